package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CoalescingWorkerTest {

  @Test
  void requestsDuringARunCoalesceIntoOneNextRunOffTheCallersThread() throws Exception {
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch secondDone = new CountDownLatch(1);
    List<Set<String>> runs = new CopyOnWriteArrayList<>();
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger maxConcurrent = new AtomicInteger();
    Thread caller = Thread.currentThread();
    List<Thread> runners = new CopyOnWriteArrayList<>();
    try (CoalescingWorker worker =
        new CoalescingWorker(
            "test-worker",
            reasons -> {
              maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
              runners.add(Thread.currentThread());
              runs.add(reasons);
              if (runs.size() == 1) {
                firstStarted.countDown();
                await(release);
              } else {
                secondDone.countDown();
              }
              concurrent.decrementAndGet();
            })) {
      worker.request("a");
      assertTrue(firstStarted.await(5, TimeUnit.SECONDS));
      worker.request("b");
      worker.request("c");
      worker.request("b");
      release.countDown();
      assertTrue(secondDone.await(5, TimeUnit.SECONDS));
      Thread.sleep(200);
      assertEquals(List.of(Set.of("a"), Set.of("b", "c")), runs);
      assertEquals(2, worker.runs());
      assertEquals(1, maxConcurrent.get(), "one run at a time");
      runners.forEach(t -> assertNotEquals(caller, t));
    }
  }

  @Test
  void aFailingRunDoesNotStopLaterRuns() throws Exception {
    CountDownLatch second = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    try (CoalescingWorker worker =
        new CoalescingWorker(
            "test-worker",
            reasons -> {
              if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("boom");
              }
              second.countDown();
            })) {
      worker.request("x");
      Thread.sleep(200);
      worker.request("y");
      assertTrue(second.await(5, TimeUnit.SECONDS));
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
