package ai.candle.streams.config;

import ai.candle.schemas.ModelVersions;
import ai.candle.service.ModelSettings;
import ai.candle.service.Setting;
import ai.candle.service.Settings;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Configuration of the scorer and the metrics endpoint, declared once below ({@link #SETTINGS}) and
 * loaded with ingest's in the same layers ({@link ConfigLayers}).
 *
 * @param applicationId application id of the scoring Kafka Streams client (its consumer group)
 * @param topK classes per prediction, best first
 * @param noModel what happens to an unlabelled image before any version is served
 * @param worstClasses how many worst classes {@code candle.accuracy.worst{rank}} reports
 * @param accuracyWindow the last this many prequential predictions of each frequency bucket make
 *     {@code candle.accuracy.prequential{bucket}}
 * @param catchUpMs how long a scorer that takes a partition over waits to serve at least the
 *     version the partition was scored with before (versions never go backwards on a partition)
 * @param modelName the key of this model's versions on the models topic
 * @param pinnedVersion the only model version this scorer serves; -1: the newest, whichever it is
 * @param modelMaxBytes the largest model version record read (consumer fetch sizes)
 * @param modelCatchUpMs how long the app waits at start for the models feed to read the models
 *     topic to the end offsets it had then, before it starts its clients
 * @param metricsAddress where the Prometheus endpoint listens
 * @param metricsPort its port; 0 picks a free one (logged)
 */
public record ScoringConfig(
    String applicationId,
    int topK,
    NoModelPolicy noModel,
    int worstClasses,
    int accuracyWindow,
    int catchUpMs,
    String modelName,
    long pinnedVersion,
    int modelMaxBytes,
    int modelCatchUpMs,
    String metricsAddress,
    int metricsPort) {

  /** The most worst classes reported: the {@code rank} tag stays bounded. */
  static final int MAX_WORST_CLASSES = 100;

  /** Commit interval of the scoring client: a prediction is readable (read_committed) then. */
  static final String SCORING_COMMIT_INTERVAL_MS = "100";

  static final Setting<String> APPLICATION_ID =
      Setting.text(
          "scoring.application.id",
          "candle-scorer",
          "The scoring Kafka Streams application id (its consumer group).");
  static final Setting<Integer> TOP_K =
      Setting.positiveInt("scoring.top-k", 5, "Classes per prediction, best first.");
  static final Setting<String> NO_MODEL =
      Setting.choice(
          "scoring.no-model",
          NoModelPolicy.WAIT.setting(),
          "What happens to an unlabelled image before any version is served: it waits on its topic, or is"
              + " dead-lettered.",
          "wait",
          "dead-letter");
  static final Setting<Integer> WORST_CLASSES =
      Setting.positiveInt(
              "scoring.worst-classes",
              10,
              "How many worst classes candle.accuracy.worst{rank} reports.")
          .validate(v -> v <= MAX_WORST_CLASSES, "must be at most " + MAX_WORST_CLASSES);
  static final Setting<Integer> ACCURACY_WINDOW =
      Setting.positiveInt(
          "scoring.accuracy.window",
          1000,
          "The last this many prequential predictions of each frequency bucket make its accuracy.");
  static final Setting<Integer> CATCH_UP_MS =
      Setting.integer(
              "scoring.catch-up.ms",
              10_000,
              "How long a scorer that takes a partition over waits to serve at least the version the partition was"
                  + " scored with before.")
          .validate(v -> v >= 0, "must not be negative");
  static final Setting<String> MODEL_NAME = ModelSettings.MODEL_NAME;
  static final Setting<Long> MODEL_PIN =
      Setting.longInt(
              "scoring.model.pin",
              -1,
              "Pins the scorer to this model version: it serves that version once it reads it on the models topic"
                  + " (still there: the topic is compacted) and ignores every other; -1 serves the newest. See"
                  + " candle models pin.")
          .validate(v -> v >= -1, "must be a version number, or -1 for none");
  static final Setting<Integer> MODEL_MAX_BYTES =
      Setting.positiveInt(
          "model.max.bytes",
          ModelVersions.DEFAULT_MAX_BYTES,
          "The largest model version read, in bytes: the most bytes of chunks held while a version is incomplete.");
  static final Setting<Integer> MODEL_CATCH_UP_MS =
      Setting.integer(
              "model.catch-up.ms",
              60_000,
              "How long the app waits at start for the models feed to read the models topic to the end offsets it had"
                  + " then, so that it scores with the newest version; past it, the clients start with the newest version"
                  + " read so far (logged).")
          .validate(v -> v >= 0, "must not be negative");
  static final Setting<String> METRICS_ADDRESS =
      Setting.text("metrics.address", "0.0.0.0", "Where the Prometheus endpoint listens.");
  static final Setting<Integer> METRICS_PORT =
      Setting.integer(
              "metrics.port", 9464, "The Prometheus endpoint's port; 0 picks a free one (logged).")
          .validate(v -> v >= 0 && v <= 65_535, "must be in 0..65535");

  /** Every scoring setting, in the order the documents list them. */
  static final List<Setting<?>> SETTINGS =
      List.of(
          APPLICATION_ID,
          TOP_K,
          NO_MODEL,
          WORST_CLASSES,
          ACCURACY_WINDOW,
          CATCH_UP_MS,
          MODEL_NAME,
          MODEL_PIN,
          MODEL_MAX_BYTES,
          MODEL_CATCH_UP_MS,
          METRICS_ADDRESS,
          METRICS_PORT);

  public ScoringConfig {
    java.util.Objects.requireNonNull(noModel, "scoring.no-model");
  }

  /** All defaults. */
  public static ScoringConfig defaults() {
    return load(List.of(), Map.of());
  }

  /**
   * Loads the scoring settings from the same layers as {@link IngestConfig#load}.
   *
   * @throws IllegalArgumentException on an unknown flag, a missing value or an invalid setting
   */
  public static ScoringConfig load(List<String> args, Map<String, String> env) {
    return from(ConfigLayers.load(args, env));
  }

  /**
   * Kafka Streams properties of the scoring client: those of ingest (exactly-once v2, the bootstrap
   * servers, the state dir), its own application id, a 100 ms commit interval (predictions become
   * readable at each commit), then the pass-through overrides, which apply to both clients.
   */
  public Properties streamsProperties(IngestConfig ingest) {
    Properties props = ingest.streamsProperties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, SCORING_COMMIT_INTERVAL_MS);
    props.putAll(ingest.streamsOverrides());
    return props;
  }

  static ScoringConfig from(Settings s) {
    return new ScoringConfig(
        s.get(APPLICATION_ID),
        s.get(TOP_K),
        NoModelPolicy.parse(s.get(NO_MODEL), NO_MODEL.name()),
        s.get(WORST_CLASSES),
        s.get(ACCURACY_WINDOW),
        s.get(CATCH_UP_MS),
        s.get(MODEL_NAME),
        s.get(MODEL_PIN),
        s.get(MODEL_MAX_BYTES),
        s.get(MODEL_CATCH_UP_MS),
        s.get(METRICS_ADDRESS),
        s.get(METRICS_PORT));
  }
}
