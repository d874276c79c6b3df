package ai.candle.cli.demo;

import ai.candle.kafka.EmbeddedKafkaBroker;
import ai.candle.kafka.SchemaRegistryProcess;
import ai.candle.schemas.SerdeConfig;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.TopicSpecs;
import ai.candle.schemas.Topics;
import ai.candle.schemas.WireFormat;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The deployment the demo runs on one machine: the embedded KRaft broker (data in {@code
 * <folder>/kafka}), the topics as {@link TopicSpecs} lists them (3 partitions), the streams app
 * (ingest + scoring) and the trainer as child JVMs on this JVM's classpath with their Prometheus
 * endpoints, their logs in the folder; with the registry wire format, a schema registry too ({@link
 * SchemaRegistryProcess}, its log {@code registry.log}). {@link #start} returns once the ingest
 * client runs and the trainer caught up; {@link #close} stops the trainer, the streams app, the
 * registry, then the broker.
 */
public final class DemoServices implements AutoCloseable {
  static final String STREAMS_MAIN = "ai.candle.streams.StreamsApp";
  static final String TRAINER_MAIN = "ai.candle.trainer.TrainerApp";

  /**
   * DJL backs every tensor made from a Java array with a direct buffer that only a collection
   * frees; a ceiling below the default (-Xmx) makes the JVM collect them before native memory
   * drifts up (BENCHMARKS.md, "Soak").
   */
  static final String DIRECT_MEMORY = "-XX:MaxDirectMemorySize=512m";

  static final int PARTITIONS = 3;
  static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  /** What each service logs with the URL of its endpoint (port 0 resolved). */
  static final String STREAMS_METRICS_LINE = "Serving Prometheus metrics at";

  static final String TRAINER_METRICS_LINE = "candle trainer metrics on";

  /**
   * What to start.
   *
   * @param folder holds the broker's data, the streams app's state and both logs
   * @param featureWidth D of the features the stream carries
   * @param clipModelId recorded in every model version
   * @param fitEpochs epochs of each refit
   * @param maxPerClass training samples the trainer keeps per class
   * @param streamsMetricsPort the streams app's Prometheus port (0: any free one)
   * @param trainerMetricsPort the trainer's (0: any free one)
   * @param serde the wire format every service writes
   * @param streamsArgs more settings of the streams app, as its flags (e.g. {@code
   *     --scoring-no-model dead-letter})
   * @param trainerArgs more settings of the trainer, as its flags (e.g. {@code --model-chunk-bytes
   *     1024})
   */
  public record Settings(
      Path folder,
      int featureWidth,
      String clipModelId,
      int fitEpochs,
      int maxPerClass,
      int streamsMetricsPort,
      int trainerMetricsPort,
      WireFormat serde,
      List<String> streamsArgs,
      List<String> trainerArgs) {

    public Settings {
      streamsArgs = List.copyOf(streamsArgs);
      trainerArgs = List.copyOf(trainerArgs);
    }

    /** The same settings with more streams-app flags. */
    public Settings withStreamsArgs(String... args) {
      return new Settings(
          folder,
          featureWidth,
          clipModelId,
          fitEpochs,
          maxPerClass,
          streamsMetricsPort,
          trainerMetricsPort,
          serde,
          List.of(args),
          trainerArgs);
    }

    /** The same settings with more trainer flags. */
    public Settings withTrainerArgs(String... args) {
      return new Settings(
          folder,
          featureWidth,
          clipModelId,
          fitEpochs,
          maxPerClass,
          streamsMetricsPort,
          trainerMetricsPort,
          serde,
          streamsArgs,
          List.of(args));
    }

    /** Single-object encoding, no registry, the streams app's defaults. */
    public Settings(
        Path folder,
        int featureWidth,
        String clipModelId,
        int fitEpochs,
        int maxPerClass,
        int streamsMetricsPort,
        int trainerMetricsPort) {
      this(
          folder,
          featureWidth,
          clipModelId,
          fitEpochs,
          maxPerClass,
          streamsMetricsPort,
          trainerMetricsPort,
          WireFormat.SINGLE_OBJECT);
    }

    /** This wire format, the streams app's defaults. */
    public Settings(
        Path folder,
        int featureWidth,
        String clipModelId,
        int fitEpochs,
        int maxPerClass,
        int streamsMetricsPort,
        int trainerMetricsPort,
        WireFormat serde) {
      this(
          folder,
          featureWidth,
          clipModelId,
          fitEpochs,
          maxPerClass,
          streamsMetricsPort,
          trainerMetricsPort,
          serde,
          List.of(),
          List.of());
    }
  }

  private final EmbeddedKafkaBroker broker;
  private final ChildService streams;
  private final ChildService trainer;
  private final TopicNames names;
  private final SerdeConfig serde;
  private final SchemaRegistryProcess registry;

  private DemoServices(
      EmbeddedKafkaBroker broker,
      SchemaRegistryProcess registry,
      ChildService streams,
      ChildService trainer,
      TopicNames names,
      SerdeConfig serde) {
    this.broker = broker;
    this.registry = registry;
    this.streams = streams;
    this.trainer = trainer;
    this.names = names;
    this.serde = serde;
  }

  /**
   * Turns off the embedded broker's own log output (controller activation, closed clients): not the
   * user's business in a command's terminal. Call before {@link #start}.
   */
  public static void quietBrokerLogs() {
    for (String logger : List.of("org.apache.kafka", "kafka", "state.change.logger")) {
      System.setProperty("org.slf4j.simpleLogger.log." + logger, "off");
    }
  }

  /** Starts the broker, creates the topics, starts both services and waits until they run. */
  public static DemoServices start(Settings s) throws Exception {
    List<AutoCloseable> started = new ArrayList<>();
    try {
      EmbeddedKafkaBroker broker =
          EmbeddedKafkaBroker.builder().dataDir(s.folder().resolve("kafka")).start();
      started.add(broker);
      TopicNames names = TopicNames.defaults();
      broker.createTopics(TopicSpecs.all(names, PARTITIONS, (short) 1));
      String bs = broker.bootstrapServers();
      String width = Integer.toString(s.featureWidth());
      SerdeConfig serde = SerdeConfig.singleObject();
      List<String> serdeFlags = List.of();
      SchemaRegistryProcess registry = null;
      if (s.serde() == WireFormat.REGISTRY) {
        registry = SchemaRegistryProcess.start(s.folder().resolve("registry.log"));
        started.add(0, registry);
        serde = SerdeConfig.registry(registry.url());
        serdeFlags = List.of("--serde", "registry", "--registry-url", registry.url());
      }
      List<String> streamsFlags =
          new ArrayList<>(
              List.of(
                  "--bootstrap-servers",
                  bs,
                  "--state-dir",
                  s.folder().resolve("streams-state").toString(),
                  "--feature-width",
                  width,
                  "--metrics-port",
                  Integer.toString(s.streamsMetricsPort())));
      streamsFlags.addAll(serdeFlags);
      streamsFlags.addAll(s.streamsArgs());
      ChildService streams =
          ChildService.start(
              "streams-app",
              STREAMS_MAIN,
              List.of("-Xmx2g", DIRECT_MEMORY),
              streamsFlags,
              s.folder().resolve("streams-app.log"));
      started.add(0, streams);
      // one PyTorch thread: the fit leaves a core to the broker, the streams app and the trainer's
      // own
      // extends, which publish a newly announced class within seconds
      List<String> trainerFlags =
          new ArrayList<>(
              List.of(
                  "--bootstrap-servers",
                  bs,
                  "--feature-width",
                  width,
                  "--fit-epochs",
                  Integer.toString(s.fitEpochs()),
                  "--store-max-per-class",
                  Integer.toString(s.maxPerClass()),
                  "--metrics-port",
                  Integer.toString(s.trainerMetricsPort()),
                  "--clip-model-id",
                  s.clipModelId()));
      trainerFlags.addAll(serdeFlags);
      trainerFlags.addAll(s.trainerArgs());
      ChildService trainer =
          ChildService.start(
              "trainer",
              TRAINER_MAIN,
              List.of("-Xmx2g", DIRECT_MEMORY, "-Dai.djl.pytorch.num_threads=1"),
              trainerFlags,
              s.folder().resolve("trainer.log"));
      started.add(0, trainer);
      streams.awaitLog("candle ingest RUNNING", START_TIMEOUT);
      trainer.awaitLog("candle trainer caught up", START_TIMEOUT);
      return new DemoServices(broker, registry, streams, trainer, names, serde);
    } catch (Exception | Error e) {
      for (AutoCloseable c : started) {
        try {
          c.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  /** The topics, their values in the services' wire format. */
  public Topics topics() {
    return Topics.of(names, serde);
  }

  /** What the services write, and the registry's URL when there is one. */
  public SerdeConfig serde() {
    return serde;
  }

  public List<ChildService> services() {
    return List.of(streams, trainer);
  }

  /** The streams app's endpoint as it logged it, e.g. {@code http://0.0.0.0:9464/metrics}. */
  public URI streamsMetrics() throws IOException {
    return url(streams, STREAMS_METRICS_LINE);
  }

  /** The trainer's endpoint as it logged it. */
  public URI trainerMetrics() throws IOException {
    return url(trainer, TRAINER_METRICS_LINE);
  }

  /** "metrics: streams-app URL, trainer URL" for the terminal. */
  public String endpoints() throws IOException {
    return "metrics: streams-app " + streamsMetrics() + ", trainer " + trainerMetrics();
  }

  private static URI url(ChildService service, String marker) throws IOException {
    String line = service.firstLine(marker);
    if (line == null || !line.contains("http")) {
      throw new IllegalStateException(
          service.name() + " did not log '" + marker + " <url>'; see " + service.log());
    }
    return URI.create(line.substring(line.indexOf("http")).trim());
  }

  /** Fails with the service's log tail when one of them died. */
  public void assertAlive(String when) {
    for (ChildService s : services()) {
      if (!s.isAlive()) {
        throw new IllegalStateException(
            s.name() + " died " + when + "; see " + s.log() + ":\n" + s.tail(20));
      }
    }
  }

  @Override
  public void close() throws Exception {
    try (EmbeddedKafkaBroker b = broker;
        SchemaRegistryProcess r = registry;
        ChildService st = streams;
        ChildService tr = trainer) {
      // closed in reverse: the trainer, the streams app, the registry (if any), then the broker
    }
  }
}
