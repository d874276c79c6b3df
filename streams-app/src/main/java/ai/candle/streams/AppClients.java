package ai.candle.streams;

import ai.candle.service.Health;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle of the app's Kafka Streams clients and the resources that serve them: started one
 * by one (the scorer possibly later, from another thread), stopped together when one of them stops
 * or the process is asked to, each client's metrics bound to the registry.
 */
final class AppClients {

  private static final Logger LOG = LoggerFactory.getLogger(AppClients.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final MeterRegistry registry;
  private final List<AutoCloseable> resources;
  private final List<KafkaStreams> clients = new ArrayList<>();
  private final List<String> names = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<KafkaStreamsMetrics> clientMetrics = new ArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Object startLock = new Object();
  private volatile boolean closing;
  private boolean closed;
  private volatile boolean failed;

  /**
   * @param resources closed after the clients, in this order
   */
  AppClients(MeterRegistry registry, List<AutoCloseable> resources) {
    this.registry = registry;
    this.resources = List.copyOf(resources);
  }

  /** Watches a client (state, failures, metrics); returns it. */
  KafkaStreams add(KafkaStreams streams, String name, String runningMessage) {
    streams.setStateListener(
        (now, before) -> {
          LOG.info("Kafka Streams {} state {} -> {}", name, before, now);
          if (now == KafkaStreams.State.RUNNING) {
            LOG.info(runningMessage);
          }
          if (now == KafkaStreams.State.ERROR) {
            failed = true;
          }
          if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
            stopped.countDown();
          }
        });
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("A {} stream thread failed; shutting the client down", name, e);
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(streams);
    metrics.bindTo(registry);
    clientMetrics.add(metrics);
    clients.add(streams);
    names.add(name);
    return streams;
  }

  /**
   * The app's health for the probes: live unless a client failed or stopped; ready when every
   * client is RUNNING and {@code servingVersion} says a model version is served (the scorer starts
   * only then with {@code scoring.no-model=wait}).
   */
  Health.Status health(java.util.function.BooleanSupplier servingVersion) {
    if (failed) {
      return Health.Status.down("a Kafka Streams client failed; see the log");
    }
    List<String> notRunning = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      KafkaStreams.State state = clients.get(i).state();
      if (state == KafkaStreams.State.ERROR
          || state == KafkaStreams.State.PENDING_ERROR
          || state == KafkaStreams.State.PENDING_SHUTDOWN
          || (closing && state == KafkaStreams.State.NOT_RUNNING)) {
        return Health.Status.down("Kafka Streams " + names.get(i) + " is " + state);
      }
      if (state != KafkaStreams.State.RUNNING) {
        notRunning.add(names.get(i) + " " + state);
      }
    }
    if (!servingVersion.getAsBoolean()) {
      return Health.Status.starting(
          "no model version served yet" + (notRunning.isEmpty() ? "" : "; " + notRunning));
    }
    return notRunning.isEmpty()
        ? Health.Status.up("every client RUNNING, a model version served")
        : Health.Status.starting(String.join(", ", notRunning));
  }

  /** Starts a client unless the app is closing (safe from any thread). */
  void start(KafkaStreams streams) {
    synchronized (startLock) {
      if (closing) {
        return;
      }
      try {
        streams.start();
      } catch (RuntimeException e) {
        LOG.error("Could not start a Kafka Streams client", e);
        failed = true;
        stopped.countDown();
      }
    }
  }

  /**
   * Fails the app from any thread, as a client dying of an error would: {@link #awaitStop} returns
   * and {@link #failed} is true (the app then closes everything and exits with status 1).
   */
  void fail(String what, Throwable cause) {
    LOG.error("{}; shutting the app down", what, cause);
    failed = true;
    stopped.countDown();
  }

  /** Blocks until a client stops (or fails). */
  void awaitStop() throws InterruptedException {
    stopped.await();
  }

  /** Whether a client died of an error or could not start. */
  boolean failed() {
    return failed;
  }

  /** Closes the clients (last added first), then the resources; idempotent. */
  synchronized void close() {
    synchronized (startLock) {
      closing = true;
    }
    if (closed) {
      return;
    }
    closed = true;
    for (int i = clients.size() - 1; i >= 0; i--) {
      clients.get(i).close(CLOSE_TIMEOUT);
    }
    clientMetrics.forEach(KafkaStreamsMetrics::close);
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        LOG.warn("Closing {} failed: {}", resource.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
