package ai.candle.trainer;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a job on its own thread, one run at a time; requests that arrive while a run is going
 * coalesce into ONE next run, which receives every reason requested meanwhile. The job never runs
 * on the caller's thread (the consumer's).
 */
final class CoalescingWorker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CoalescingWorker.class);

  private final String name;
  private final Consumer<Set<String>> job;
  private final ExecutorService executor;
  private final Set<String> pending = new LinkedHashSet<>();
  private boolean scheduled;
  private long runs;

  CoalescingWorker(String name, Consumer<Set<String>> job) {
    this.name = name;
    this.job = job;
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
  }

  /** Asks for a run; returns at once. */
  synchronized void request(String reason) {
    pending.add(reason);
    if (!scheduled && !executor.isShutdown()) {
      scheduled = true;
      executor.execute(this::runPending);
    }
  }

  /** Runs started so far. */
  synchronized long runs() {
    return runs;
  }

  private void runPending() {
    Set<String> reasons;
    synchronized (this) {
      reasons = new LinkedHashSet<>(pending);
      pending.clear();
      runs++;
    }
    try {
      job.accept(reasons);
    } catch (RuntimeException | Error e) {
      LOG.error("{} failed (requested for {}); the next request runs it again", name, reasons, e);
    } finally {
      synchronized (this) {
        if (pending.isEmpty() || executor.isShutdown()) {
          scheduled = false;
        } else {
          executor.execute(this::runPending);
        }
      }
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
