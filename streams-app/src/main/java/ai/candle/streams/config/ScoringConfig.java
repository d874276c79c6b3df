package ai.candle.streams.config;

import ai.candle.schemas.LayeredSettings;
import ai.candle.schemas.ModelVersions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Configuration of the scorer and the metrics endpoint, loaded in the same layers as {@link
 * IngestConfig} (defaults &lt; file &lt; environment &lt; flags, see {@link ConfigLayers}):
 *
 * <pre>
 * property                  env                              flag                        default
 * scoring.application.id    CANDLE_SCORING_APPLICATION_ID    --scoring-application-id    candle-scorer
 * scoring.top-k             CANDLE_SCORING_TOP_K             --scoring-top-k             5
 * scoring.no-model          CANDLE_SCORING_NO_MODEL          --scoring-no-model          wait (or dead-letter)
 * scoring.worst-classes     CANDLE_SCORING_WORST_CLASSES     --scoring-worst-classes     10
 * scoring.accuracy.window   CANDLE_SCORING_ACCURACY_WINDOW   --scoring-accuracy-window   1000
 * scoring.catch-up.ms       CANDLE_SCORING_CATCH_UP_MS       --scoring-catch-up-ms       10000
 * model.name                CANDLE_MODEL_NAME                --model-name                candle
 * model.max.bytes           CANDLE_MODEL_MAX_BYTES           --model-max-bytes           33554432
 * metrics.address           CANDLE_METRICS_ADDRESS           --metrics-address           0.0.0.0
 * metrics.port              CANDLE_METRICS_PORT              --metrics-port              9464 (0: any free port)
 * </pre>
 *
 * @param applicationId application id of the scoring Kafka Streams client (its consumer group)
 * @param topK classes per prediction, best first
 * @param noModel what happens to an unlabelled image before any version is served
 * @param worstClasses how many worst classes {@code candle.accuracy.worst{rank}} reports
 * @param accuracyWindow the last this many prequential predictions of each frequency bucket
 *     make {@code candle.accuracy.prequential{bucket}}
 * @param catchUpMs how long a scorer that takes a partition over waits to serve at least the
 *     version the partition was scored with before (versions never go backwards on a partition)
 * @param modelName the key of this model's versions on the models topic
 * @param modelMaxBytes the largest model version record read (consumer fetch sizes)
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
    int modelMaxBytes,
    String metricsAddress,
    int metricsPort) {

  /** The most worst classes reported: the {@code rank} tag stays bounded. */
  static final int MAX_WORST_CLASSES = 100;
  /** Commit interval of the scoring client: a prediction is readable (read_committed) then. */
  static final String SCORING_COMMIT_INTERVAL_MS = "100";

  static final List<String> KEYS = List.of(
      "scoring.application.id", "scoring.top-k", "scoring.no-model", "scoring.worst-classes",
      "scoring.accuracy.window", "scoring.catch-up.ms", "model.name", "model.max.bytes", "metrics.address",
      "metrics.port");

  public ScoringConfig {
    LayeredSettings.requireText(applicationId, "scoring.application.id");
    LayeredSettings.requirePositive(topK, "scoring.top-k");
    java.util.Objects.requireNonNull(noModel, "scoring.no-model");
    LayeredSettings.requirePositive(worstClasses, "scoring.worst-classes");
    if (worstClasses > MAX_WORST_CLASSES) {
      throw new IllegalArgumentException("scoring.worst-classes must be at most "
          + MAX_WORST_CLASSES + ", got " + worstClasses);
    }
    LayeredSettings.requirePositive(accuracyWindow, "scoring.accuracy.window");
    if (catchUpMs < 0) {
      throw new IllegalArgumentException("scoring.catch-up.ms must not be negative, got "
          + catchUpMs);
    }
    LayeredSettings.requireText(modelName, "model.name");
    LayeredSettings.requirePositive(modelMaxBytes, "model.max.bytes");
    LayeredSettings.requireText(metricsAddress, "metrics.address");
    if (metricsPort < 0 || metricsPort > 65_535) {
      throw new IllegalArgumentException("metrics.port must be in 0..65535, got " + metricsPort);
    }
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
    return fromSettings(ConfigLayers.load(args, env));
  }

  /**
   * Kafka Streams properties of the scoring client: those of ingest (exactly-once v2, the
   * bootstrap servers, the state dir), its own application id, a 100 ms commit interval
   * (predictions become readable at each commit), then the pass-through overrides, which apply to
   * both clients.
   */
  public Properties streamsProperties(IngestConfig ingest) {
    Properties props = ingest.streamsProperties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, SCORING_COMMIT_INTERVAL_MS);
    props.putAll(ingest.streamsOverrides());
    return props;
  }

  static Map<String, String> defaultSettings() {
    Map<String, String> d = new HashMap<>();
    d.put("scoring.application.id", "candle-scorer");
    d.put("scoring.top-k", "5");
    d.put("scoring.no-model", NoModelPolicy.WAIT.setting());
    d.put("scoring.worst-classes", "10");
    d.put("scoring.accuracy.window", "1000");
    d.put("scoring.catch-up.ms", "10000");
    d.put("model.name", "candle");
    d.put("model.max.bytes", Integer.toString(ModelVersions.DEFAULT_MAX_BYTES));
    d.put("metrics.address", "0.0.0.0");
    d.put("metrics.port", "9464");
    return d;
  }

  static ScoringConfig fromSettings(Map<String, String> s) {
    return new ScoringConfig(s.get("scoring.application.id"),
        LayeredSettings.intOf(s, "scoring.top-k"),
        NoModelPolicy.parse(s.get("scoring.no-model"), "scoring.no-model"),
        LayeredSettings.intOf(s, "scoring.worst-classes"),
        LayeredSettings.intOf(s, "scoring.accuracy.window"),
        LayeredSettings.intOf(s, "scoring.catch-up.ms"),
        s.get("model.name"),
        LayeredSettings.intOf(s, "model.max.bytes"),
        s.get("metrics.address"),
        LayeredSettings.intOf(s, "metrics.port"));
  }

}
