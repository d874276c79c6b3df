package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void theDelayDoublesFromTheFirstUpToTheMaximum() {
    Backoff b = Backoff.PUBLISH;
    assertEquals(Duration.ofSeconds(1), b.after(1));
    assertEquals(Duration.ofSeconds(2), b.after(2));
    assertEquals(Duration.ofSeconds(16), b.after(5));
    assertEquals(Duration.ofSeconds(30), b.after(6));
    assertEquals(Duration.ofSeconds(30), b.after(1_000_000), "no overflow after many failures");
  }

  @Test
  void nonsenseIsRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> Backoff.PUBLISH.after(0));
  }
}
