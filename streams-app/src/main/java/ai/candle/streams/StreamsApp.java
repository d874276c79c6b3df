package ai.candle.streams;

import ai.candle.clip.EncoderLoadException;
import ai.candle.schemas.Topics;
import ai.candle.service.LayeredSettings;
import ai.candle.service.MetricsServer;
import ai.candle.service.Prometheus;
import ai.candle.streams.config.ConfigLayers;
import ai.candle.streams.config.EncoderConfig;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.config.NoModelPolicy;
import ai.candle.streams.config.ScoringConfig;
import ai.candle.streams.encode.ClipEncoders;
import ai.candle.streams.ingest.IngestTopology;
import ai.candle.streams.model.ModelHolder;
import ai.candle.streams.model.ModelVersionFeed;
import ai.candle.streams.scoring.ClassCountsView;
import ai.candle.streams.scoring.Scoring;
import ai.candle.streams.scoring.ScoringTopology;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the app: the ingest Kafka Streams client (with prequential scoring), the scoring client, the
 * models feed, the class-counts view and the Prometheus endpoint, in one process.
 *
 * <p>Loads {@link IngestConfig}, {@link ScoringConfig} and {@link EncoderConfig} (the CLIP
 * encoders, none by default), serves {@code /metrics}, loads the encoders, waits until the models
 * feed has read the models topic to the end offsets it had at start (at most {@code
 * model.catch-up.ms}), then starts the ingest client, and the scoring client at once with {@code
 * scoring.no-model=dead-letter} or once a model version serves with {@code wait} (the default:
 * unlabelled images wait on their topic). A shutdown hook (SIGTERM/SIGINT) closes everything; the
 * JVM then exits with its signal status. Exits with status 1 when a streams client died of an error
 * or the models feed stopped, 2 on a configuration error (the metrics port taken included, an
 * encoder that does not load too).
 *
 * <p>Logs {@value #RUNNING_MESSAGE} and {@value #SCORER_RUNNING_MESSAGE} when the clients reach
 * RUNNING (for scripts and tests that start it as a child JVM).
 */
public final class StreamsApp {

  static final String RUNNING_MESSAGE = "candle ingest RUNNING";
  static final String SCORER_RUNNING_MESSAGE = "candle scorer RUNNING";
  private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

  private StreamsApp() {}

  public static void main(String[] args) throws InterruptedException {
    if (LayeredSettings.wantsHelp(List.of(args))) {
      System.out.print(ConfigLayers.help());
      return;
    }
    IngestConfig config;
    ScoringConfig scoring;
    EncoderConfig encoding;
    PrometheusMeterRegistry registry = Prometheus.registry();
    MetricsServer metrics;
    try {
      config = IngestConfig.load(List.of(args), System.getenv());
      scoring = ScoringConfig.load(List.of(args), System.getenv());
      encoding = EncoderConfig.load(List.of(args), System.getenv());
      metrics = MetricsServer.start(scoring.metricsAddress(), scoring.metricsPort(), registry);
    } catch (IllegalArgumentException | UncheckedIOException | IOException e) {
      // IOException: the metrics address cannot be bound (the message says which settings)
      LOG.error("Invalid configuration: {}", e.getMessage(), e);
      System.exit(2);
      return;
    }
    preferOneTorchThreadPerCall();
    ClipEncoders encoders;
    try {
      encoders = ClipEncoders.load(encoding, config.featureWidth());
    } catch (EncoderLoadException e) {
      LOG.error("Invalid configuration: {}", e.getMessage(), e);
      metrics.close();
      System.exit(2);
      return;
    }
    if (!run(config, scoring, registry, metrics, encoders)) {
      System.exit(1);
    }
  }

  /** Starts everything and blocks until a client stops; true when none died of an error. */
  private static boolean run(
      IngestConfig config,
      ScoringConfig scoring,
      PrometheusMeterRegistry registry,
      MetricsServer metrics,
      ClipEncoders encoders)
      throws InterruptedException {
    Topics topics = config.topicSerdes();
    // in the registry wire format: a registry that is down or refuses a schema stops the app here
    topics.registerSchemas();
    ModelHolder models =
        new ModelHolder(
            scoring.modelName(),
            config.featureWidth(),
            scoring.pinnedVersion(),
            scoring.modelMaxBytes(),
            registry,
            Clock.systemUTC(),
            topics.models().valueSerde().deserializer());
    ClassCountsView counts = ClassCountsView.start(config);
    // the clients' lifecycle is known only below: the feed reports a stop through this
    CompletableFuture<AppClients> lifecycle = new CompletableFuture<>();
    ModelVersionFeed feed =
        ModelVersionFeed.start(
            config,
            scoring,
            models,
            error ->
                lifecycle.thenAccept(
                    clients ->
                        clients.fail(
                            "The models feed stopped ("
                                + error
                                + "); this process would serve a version that never changes",
                            error)));
    Scoring shared = Scoring.of(scoring, models, counts, registry);
    Topology ingestTopology =
        IngestTopology.build(config, registry, encoders.encoders(), Optional.of(shared));
    Topology scoringTopology = ScoringTopology.build(config, shared, registry, encoders.encoders());
    LOG.info(
        "Starting {} and {} against {} with topologies:\n{}\n{}",
        config.applicationId(),
        scoring.applicationId(),
        config.bootstrapServers(),
        ingestTopology.describe(),
        scoringTopology.describe());
    // closed in this order after the clients: the encoders once no stream thread uses them
    AppClients clients = new AppClients(registry, List.of(feed, counts, models, metrics, encoders));
    KafkaStreams ingest =
        clients.add(
            new KafkaStreams(ingestTopology, config.streamsProperties()),
            "ingest",
            RUNNING_MESSAGE);
    KafkaStreams scorer =
        clients.add(
            new KafkaStreams(scoringTopology, scoring.streamsProperties(config)),
            "scorer",
            SCORER_RUNNING_MESSAGE);
    lifecycle.complete(clients);
    metrics.withHealth(() -> clients.health(() -> models.firstServed().isDone()));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("Shutdown requested; closing Kafka Streams");
                  clients.close();
                },
                "candle-shutdown"));
    startOnceCaughtUp(config, scoring, models, feed, clients, ingest, scorer);
    clients.awaitStop();
    boolean ok = !clients.failed();
    clients.close();
    return ok;
  }

  /**
   * Starts the clients once the models feed has read the models topic to the end offsets it had at
   * start (or {@code model.catch-up.ms} passed), so that a restarted process scores, labelled
   * images included, with the newest version and not with one of the first it replays; then the
   * scorer at once with {@code scoring.no-model=dead-letter}, or once a version serves with {@code
   * wait}.
   */
  private static void startOnceCaughtUp(
      IngestConfig config,
      ScoringConfig scoring,
      ModelHolder models,
      ModelVersionFeed feed,
      AppClients clients,
      KafkaStreams ingest,
      KafkaStreams scorer) {
    LOG.info(
        "The clients start once the models feed has read {} to its end offsets at start (at"
            + " most {} ms, model.catch-up.ms)",
        config.topics().models(),
        scoring.modelCatchUpMs());
    feed.caughtUp(Duration.ofMillis(scoring.modelCatchUpMs()))
        .thenRun(
            () -> {
              clients.start(ingest);
              if (scoring.noModel() == NoModelPolicy.WAIT) {
                LOG.info(
                    "The scorer starts once a version of model '{}' serves (scoring.no-model=wait);"
                        + " until then unlabelled images wait on {}",
                    scoring.modelName(),
                    config.topics().unlabeledImages());
                models.firstServed().thenRun(() -> clients.start(scorer));
              } else {
                clients.start(scorer);
              }
            });
  }

  /**
   * Scoring calls run one image each on every stream thread: PyTorch's own intra-op threads would
   * only compete with them for the cores, so one per call unless told otherwise ({@code
   * -Dai.djl.pytorch.num_threads} or {@code OMP_NUM_THREADS}). The native library comes from the
   * Maven artifact; DJL never downloads ({@code ai.djl.offline}).
   */
  private static void preferOneTorchThreadPerCall() {
    if (System.getProperty("ai.djl.pytorch.num_threads") == null
        && System.getenv("OMP_NUM_THREADS") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }
}
