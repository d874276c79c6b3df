package ai.candle.cli.soak;

import java.util.Arrays;

/**
 * Latencies in whole milliseconds, counted in one bucket per millisecond up to {@link #MAX_MILLIS}
 * (longer ones count as that): fixed memory however long the soak runs, exact percentiles to the
 * millisecond.
 */
final class LatencyHistogram {
  static final int MAX_MILLIS = 120_000;
  private final int[] counts = new int[MAX_MILLIS + 1];
  private long total;

  void record(long millis) {
    counts[(int) Math.max(0, Math.min(MAX_MILLIS, millis))]++;
    total++;
  }

  long count() {
    return total;
  }

  /**
   * The smallest latency that {@code q} (0..1) of the recorded ones do not exceed; NaN when none.
   */
  double percentile(double q) {
    if (total == 0) {
      return Double.NaN;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int ms = 0; ms < counts.length; ms++) {
      seen += counts[ms];
      if (seen >= rank) {
        return ms;
      }
    }
    return MAX_MILLIS;
  }

  void clear() {
    Arrays.fill(counts, 0);
    total = 0;
  }
}
