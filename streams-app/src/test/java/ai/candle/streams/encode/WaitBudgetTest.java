package ai.candle.streams.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A stream thread waits for the image encoder at most its budget in each window. */
class WaitBudgetTest {

  @Test
  void eachThreadWaitsAtMostItsBudgetInEachWindow() throws Exception {
    long[] now = {0};
    WaitBudget budget = new WaitBudget(100, 10, () -> now[0]);
    assertEquals(5, budget.allowance(5));
    budget.spend(7);
    assertEquals(3, budget.allowance(5));
    budget.spend(3);
    assertEquals(0, budget.allowance(5));
    long[] otherThreads = new long[1];
    Thread other = new Thread(() -> otherThreads[0] = budget.allowance(5));
    other.start();
    other.join();
    assertEquals(5, otherThreads[0], "another thread has its own budget");
    now[0] = 99;
    assertEquals(0, budget.allowance(5));
    now[0] = 100; // a new window
    assertEquals(5, budget.allowance(5));
  }
}
