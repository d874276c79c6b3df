package ai.candle.streams.encode;

import java.util.function.LongSupplier;

/**
 * How long each thread may still wait (for the image encoder) in its current window: at most {@code
 * budget} within each window of {@code window}, windows starting at a thread's first wait and
 * following each other. Per thread: a stream thread's waits are its own poll loop's.
 */
final class WaitBudget {

  private final long windowNanos;
  private final long budgetNanos;
  private final LongSupplier nanoTime;

  /** Per thread: {window start, nanoseconds waited in it}. */
  private final ThreadLocal<long[]> windows;

  WaitBudget(long windowNanos, long budgetNanos, LongSupplier nanoTime) {
    if (budgetNanos <= 0 || windowNanos < budgetNanos) {
      throw new IllegalArgumentException(
          "a wait budget of " + budgetNanos + " ns in windows of " + windowNanos + " ns");
    }
    this.windowNanos = windowNanos;
    this.budgetNanos = budgetNanos;
    this.nanoTime = nanoTime;
    this.windows = ThreadLocal.withInitial(() -> new long[] {nanoTime.getAsLong(), 0});
  }

  /** What this thread may wait now, at most {@code limitNanos}; 0 when its budget is spent. */
  long allowance(long limitNanos) {
    return Math.max(0, Math.min(limitNanos, budgetNanos - window()[1]));
  }

  /** Counts a wait of this thread. */
  void spend(long nanos) {
    window()[1] += nanos;
  }

  long windowNanos() {
    return windowNanos;
  }

  long budgetNanos() {
    return budgetNanos;
  }

  long now() {
    return nanoTime.getAsLong();
  }

  private long[] window() {
    long[] window = windows.get();
    long now = nanoTime.getAsLong();
    if (now - window[0] >= windowNanos) {
      window[0] = now;
      window[1] = 0;
    }
    return window;
  }
}
