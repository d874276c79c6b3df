package ai.candle.streams;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the ingest topology: loads {@link IngestConfig}, starts {@link KafkaStreams}, closes it in
 * a shutdown hook (SIGTERM/SIGINT; the JVM then exits with its signal status). Exits with status
 * 1 when the streams client died of an error, 2 on a configuration error.
 *
 * <p>Logs {@value #RUNNING_MESSAGE} when the client reaches RUNNING (for scripts and tests that
 * start it as a child JVM).
 */
public final class StreamsApp {

  static final String RUNNING_MESSAGE = "candle ingest RUNNING";
  private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private StreamsApp() {}

  public static void main(String[] args) throws InterruptedException {
    IngestConfig config;
    try {
      config = IngestConfig.load(List.of(args), System.getenv());
    } catch (IllegalArgumentException | UncheckedIOException e) {
      LOG.error("Invalid configuration: {}", e.getMessage(), e);
      System.exit(2);
      return;
    }
    MeterRegistry registry = new SimpleMeterRegistry();
    Topology topology = IngestTopology.build(config, registry);
    LOG.info("Starting {} against {} with topology:\n{}", config.applicationId(),
        config.bootstrapServers(), topology.describe());
    if (!run(new KafkaStreams(topology, config.streamsProperties()), registry)) {
      System.exit(1);
    }
  }

  /** Starts the client and blocks until it stops; true when it stopped without an error. */
  private static boolean run(KafkaStreams streams, MeterRegistry registry)
      throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      LOG.info("Kafka Streams state {} -> {}", before, now);
      if (now == KafkaStreams.State.RUNNING) {
        LOG.info(RUNNING_MESSAGE);
      }
      if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
        stopped.countDown();
      }
    });
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("Stream thread failed; shutting the client down", e);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("Shutdown requested; closing Kafka Streams");
      streams.close(CLOSE_TIMEOUT);
    }, "candle-ingest-shutdown"));
    try (KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(streams)) {
      metrics.bindTo(registry);
      streams.start();
      stopped.await();
    }
    return streams.state() != KafkaStreams.State.ERROR;
  }
}
