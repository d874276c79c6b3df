package ai.candle.trainer;

import java.time.Duration;

/**
 * Delays between the attempts of something that is retried: {@code first} after the first failed
 * attempt, doubling after each further one, never more than {@code max}.
 */
record Backoff(Duration first, Duration max) {
  /** A failed publish: again after 1 s, 2 s, 4 s ... at most 30 s apart. */
  static final Backoff PUBLISH = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));

  Backoff {
    if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 < first <= max, got " + first + " and " + max);
    }
  }

  /** How long to wait after the {@code failures}-th failed attempt (1 = the first). */
  Duration after(int failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures counts from 1, got " + failures);
    }
    Duration delay = first;
    for (int i = 1; i < failures && delay.compareTo(max) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(max) < 0 ? delay : max;
  }
}
