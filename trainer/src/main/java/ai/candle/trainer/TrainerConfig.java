package ai.candle.trainer;

import ai.candle.core.HyperParameters;
import ai.candle.schemas.LayeredSettings;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.TopicNames;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the trainer, loaded in layers by {@link #load(List, Map)} (defaults, file,
 * {@code CANDLE_*} environment, flags; see {@link LayeredSettings}):
 *
 * <pre>
 * property                 default        meaning
 * bootstrap.servers        localhost:9092
 * model.name               candle         key of the versions on the models topic
 * transactional.id         (derived)      the publishing producer's; empty: candle-trainer-&lt;model.name&gt;.
 *                                         A trainer started with the same id fences the running one
 * clip.model.id            clip           which CLIP the features come from (recorded in versions)
 * feature.width            512            D
 * store.max.per.class      100            training samples kept per class (reservoir)
 * holdout.percent          20             share of a class's images (after its first) held out
 * holdout.max.per.class    20             holdout images kept per class
 * refit.samples            200            refit after this many new training samples ...
 * refit.fraction           0.2            ... or this fraction of the last fit's samples
 * refit.interval.seconds   600            refit on a timer when anything changed
 * gate.tolerance           0.02           few/medium holdout accuracy a candidate may lose
 * fit.epochs               50
 * fit.batch.size           128
 * fit.learning.rate        3e-4
 * fit.head                 auto           auto: try the Candle head's weight on a held-out split;
 *                                         off: keep it at 0 and never fit the head (AdaptiveFit)
 * fit.seed                 1
 * fit.device               auto           auto, cpu or gpu[:N] (auto: GPU when present)
 * model.max.bytes          33554432       size limit of one version (ModelVersions)
 * metrics.address          0.0.0.0        where the Prometheus endpoint listens
 * metrics.port             9465           its port (0: any free port, logged)
 * topic.classes, topic.class-counts, topic.features, topic.models, topic.training-store
 *                                         (default names; the training store is the trainer's own)
 * </pre>
 *
 * Keys starting with {@code kafka.} (file) or {@code --kafka-config key=value} pass through to the
 * trainer's consumer and producer (e.g. security settings).
 */
public record TrainerConfig(
    String bootstrapServers,
    String modelName,
    String transactionalId,
    String clipModelId,
    int featureWidth,
    int storeMaxPerClass,
    int holdoutPercent,
    int holdoutMaxPerClass,
    int refitSamples,
    double refitFraction,
    Duration refitInterval,
    double gateTolerance,
    HyperParameters hyperParameters,
    boolean fitHead,
    String device,
    int modelMaxBytes,
    TopicNames topics,
    String metricsAddress,
    int metricsPort,
    Map<String, String> kafkaOverrides) {

  static final List<String> TOPIC_KEYS = List.of("topic.classes", "topic.class-counts", "topic.features",
      "topic.models", "topic.training-store");
  static final List<String> KEYS = List.of("bootstrap.servers", "model.name", "transactional.id", "clip.model.id",
      "feature.width", "store.max.per.class", "holdout.percent", "holdout.max.per.class",
      "refit.samples", "refit.fraction", "refit.interval.seconds", "gate.tolerance", "fit.epochs",
      "fit.batch.size", "fit.learning.rate", "fit.head", "fit.seed", "fit.device",
      "model.max.bytes", "metrics.address", "metrics.port", "topic.classes", "topic.class-counts",
      "topic.features", "topic.models", "topic.training-store");

  static final LayeredSettings SETTINGS =
      new LayeredSettings(KEYS, defaultSettings(), "kafka.", "--kafka-config");

  public TrainerConfig {
    LayeredSettings.requireText(bootstrapServers, "bootstrap.servers");
    LayeredSettings.requireText(modelName, "model.name");
    LayeredSettings.requireText(transactionalId, "transactional.id");
    LayeredSettings.requireText(clipModelId, "clip.model.id");
    LayeredSettings.requirePositive(featureWidth, "feature.width");
    LayeredSettings.requirePositive(storeMaxPerClass, "store.max.per.class");
    if (holdoutPercent < 0 || holdoutPercent > 50) {
      throw new IllegalArgumentException("holdout.percent must be in 0..50, got " + holdoutPercent);
    }
    if (holdoutMaxPerClass < 0) {
      throw new IllegalArgumentException("holdout.max.per.class must be >= 0, got " + holdoutMaxPerClass);
    }
    LayeredSettings.requirePositive(refitSamples, "refit.samples");
    if (!(refitFraction > 0)) {
      throw new IllegalArgumentException("refit.fraction must be > 0, got " + refitFraction);
    }
    if (refitInterval.isNegative() || refitInterval.isZero()) {
      throw new IllegalArgumentException("refit.interval.seconds must be positive");
    }
    if (!(gateTolerance >= 0 && gateTolerance <= 1)) {
      throw new IllegalArgumentException("gate.tolerance must be in [0, 1], got " + gateTolerance);
    }
    Objects.requireNonNull(hyperParameters, "hyperParameters");
    LayeredSettings.requireText(device, "fit.device");
    LayeredSettings.requirePositive(modelMaxBytes, "model.max.bytes");
    Objects.requireNonNull(topics, "topics");
    LayeredSettings.requireText(metricsAddress, "metrics.address");
    if (metricsPort < 0 || metricsPort > 65_535) {
      throw new IllegalArgumentException("metrics.port must be in 0..65535, got " + metricsPort);
    }
    kafkaOverrides = Map.copyOf(kafkaOverrides);
  }

  /** All defaults. */
  public static TrainerConfig defaults() {
    return load(List.of(), Map.of());
  }

  /**
   * Loads the configuration.
   *
   * @throws IllegalArgumentException on an unknown flag or key, a missing value or a bad setting
   */
  public static TrainerConfig load(List<String> args, Map<String, String> env) {
    Map<String, String> s = SETTINGS.load(args, env);
    HyperParameters hp = HyperParameters.adaptive()
        .withEpochs(LayeredSettings.intOf(s, "fit.epochs"))
        .withBatchSize(LayeredSettings.intOf(s, "fit.batch.size"))
        .withLearningRate(LayeredSettings.doubleOf(s, "fit.learning.rate"))
        .withSeed(LayeredSettings.longOf(s, "fit.seed"))
        // the store caps each class already; the fit uses every sample it is given
        .withMaxPerClass(0);
    TopicNames d = TopicNames.defaults();
    TopicNames topics = new TopicNames(d.labeledImages(), d.unlabeledImages(),
        d.classAnnouncements(), s.get("topic.classes"), s.get("topic.class-counts"),
        s.get("topic.features"), s.get("topic.models"), d.predictions(), d.deadLetter(),
        s.get("topic.training-store"));
    return new TrainerConfig(s.get("bootstrap.servers"), s.get("model.name"),
        transactionalId(s.get("transactional.id"), s.get("model.name")), s.get("clip.model.id"), LayeredSettings.intOf(s, "feature.width"),
        LayeredSettings.intOf(s, "store.max.per.class"), LayeredSettings.intOf(s, "holdout.percent"),
        LayeredSettings.intOf(s, "holdout.max.per.class"), LayeredSettings.intOf(s, "refit.samples"),
        LayeredSettings.doubleOf(s, "refit.fraction"),
        Duration.ofSeconds(LayeredSettings.longOf(s, "refit.interval.seconds")),
        LayeredSettings.doubleOf(s, "gate.tolerance"), hp, fitHead(s.get("fit.head")), s.get("fit.device"),
        LayeredSettings.intOf(s, "model.max.bytes"), topics, s.get("metrics.address"),
        LayeredSettings.intOf(s, "metrics.port"), SETTINGS.passThrough(s));
  }

  /** The configured id, or {@code candle-trainer-<model.name>} when none is given. */
  private static String transactionalId(String configured, String modelName) {
    return configured.isBlank() ? "candle-trainer-" + modelName : configured;
  }

  private static boolean fitHead(String value) {
    return switch (value) {
      case "auto" -> true;
      case "off" -> false;
      default -> throw new IllegalArgumentException("fit.head must be auto or off, got '" + value + "'");
    };
  }

  /** How the fit chooses its score weights: the defaults, without the head when {@code fit.head=off}. */
  public ai.candle.core.WeightSelection.Settings selection() {
    ai.candle.core.WeightSelection.Settings s = ai.candle.core.WeightSelection.Settings.defaults();
    return fitHead ? s : s.withoutHead();
  }

  private static Map<String, String> defaultSettings() {
    Map<String, String> d = new HashMap<>();
    d.put("bootstrap.servers", "localhost:9092");
    d.put("model.name", "candle");
    d.put("transactional.id", "");
    d.put("clip.model.id", "clip");
    d.put("feature.width", "512");
    d.put("store.max.per.class", "100");
    d.put("holdout.percent", "20");
    d.put("holdout.max.per.class", "20");
    d.put("refit.samples", "200");
    d.put("refit.fraction", "0.2");
    d.put("refit.interval.seconds", "600");
    d.put("gate.tolerance", "0.02");
    d.put("fit.epochs", "50");
    d.put("fit.batch.size", "128");
    d.put("fit.learning.rate", "3e-4");
    d.put("fit.head", "auto");
    d.put("fit.seed", "1");
    d.put("fit.device", "auto");
    d.put("model.max.bytes", Integer.toString(ModelVersions.DEFAULT_MAX_BYTES));
    d.put("metrics.address", "0.0.0.0");
    d.put("metrics.port", "9465");
    TopicNames names = TopicNames.defaults();
    d.put("topic.classes", names.classes());
    d.put("topic.class-counts", names.classCounts());
    d.put("topic.features", names.features());
    d.put("topic.models", names.models());
    d.put("topic.training-store", names.trainingStore());
    return d;
  }

}
