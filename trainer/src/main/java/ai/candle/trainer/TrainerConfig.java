package ai.candle.trainer;

import ai.candle.core.HyperParameters;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.SerdeConfig;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.VersionChunks;
import ai.candle.service.ModelSettings;
import ai.candle.service.Setting;
import ai.candle.service.Settings;
import ai.candle.service.SettingsSpec;
import ai.candle.service.WireSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the trainer. Its settings are declared once, below ({@link #SETTINGS}), and
 * loaded in layers (defaults, the file named by {@code --config} or {@code CANDLE_CONFIG}, {@code
 * CANDLE_*} environment variables, flags); {@code --help} and {@code docs/settings.md} list them.
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
    int warmSteps,
    int fullRefitEvery,
    double fullRefitClassChange,
    double gateTolerance,
    HyperParameters hyperParameters,
    boolean fitHead,
    String device,
    int modelMaxBytes,
    int modelChunkBytes,
    TopicNames topics,
    SerdeConfig serde,
    String metricsAddress,
    int metricsPort,
    Map<String, String> kafkaOverrides) {

  static final Setting<String> BOOTSTRAP_SERVERS =
      Setting.text(
          "bootstrap.servers",
          "localhost:9092",
          "Kafka's bootstrap servers, host:port, comma-separated.");
  static final Setting<String> MODEL_NAME = ModelSettings.MODEL_NAME;
  static final Setting<String> TRANSACTIONAL_ID =
      Setting.optionalText(
          "transactional.id",
          "The transactional.id of the producer that publishes versions; empty: candle-trainer- followed by model.name. A"
              + " trainer started with the same id fences the running one, which stops (one trainer per model).");
  static final Setting<String> CLIP_MODEL_ID =
      Setting.text(
          "clip.model.id",
          "clip",
          "Which CLIP the features come from (recorded in every version).");
  static final Setting<Integer> FEATURE_WIDTH =
      Setting.positiveInt("feature.width", 512, "D, the width of CLIP features.");
  static final Setting<Integer> STORE_MAX_PER_CLASS =
      Setting.positiveInt(
          "store.max.per.class",
          100,
          "Training samples kept per class (a uniform reservoir sample).");
  static final Setting<Integer> HOLDOUT_PERCENT =
      Setting.integer(
              "holdout.percent",
              20,
              "The share of a class's images (after its first) held out to judge candidates, in percent.")
          .validate(v -> v >= 0 && v <= 50, "must be in 0..50");
  static final Setting<Integer> HOLDOUT_MAX_PER_CLASS =
      Setting.integer("holdout.max.per.class", 20, "Held-out images kept per class.")
          .validate(v -> v >= 0, "must be >= 0");
  static final Setting<Integer> REFIT_SAMPLES =
      Setting.positiveInt("refit.samples", 200, "Refit after this many new training samples ...");
  static final Setting<Double> REFIT_FRACTION =
      Setting.decimal(
              "refit.fraction",
              0.2,
              "... or this fraction of the last fit's samples, whichever comes first.")
          .validate(v -> v > 0, "must be > 0");
  static final Setting<Duration> REFIT_INTERVAL =
      Setting.seconds("refit.interval.seconds", 600, "Refit on this timer when anything changed.");
  static final Setting<Integer> REFIT_WARM_STEPS =
      Setting.integer(
              "refit.warm.steps",
              20,
              "A warm-started refit keeps the last full refit's weights, recomputes the prototypes and counts, and when"
                  + " the head has a weight continues it from the serving version for this many steps over the new"
                  + " samples plus a replay of stored ones.")
          .validate(v -> v >= 0, "must be >= 0");
  static final Setting<Integer> REFIT_FULL_EVERY =
      Setting.integer(
              "refit.full.every",
              10,
              "Warm-started refits between two full refits (which choose the weights anew and fit the head from scratch);"
                  + " 0: every refit is full.")
          .validate(v -> v >= 0, "must be >= 0");
  static final Setting<Double> REFIT_FULL_CLASS_CHANGE =
      Setting.decimal(
              "refit.full.class.change",
              0.1,
              "A refit is full when the base classes differ from the last full refit's by more than this share of them.")
          .validate(v -> v >= 0 && v <= 1, "must be in [0, 1]");
  static final Setting<Double> GATE_TOLERANCE =
      Setting.decimal(
              "gate.tolerance",
              0.02,
              "How much few- and medium-bucket holdout accuracy a candidate may lose against the serving version.")
          .validate(v -> v >= 0 && v <= 1, "must be in [0, 1]");
  static final Setting<Integer> FIT_EPOCHS =
      Setting.positiveInt("fit.epochs", 50, "Epochs of a fit of the head.");
  static final Setting<Integer> FIT_BATCH_SIZE =
      Setting.positiveInt("fit.batch.size", 128, "Images per batch of a fit of the head.");
  static final Setting<Double> FIT_LEARNING_RATE =
      Setting.decimal(
              "fit.learning.rate", 3e-4, "The peak learning rate of the head's cosine schedule.")
          .validate(v -> v > 0, "must be > 0");
  static final Setting<Integer> FIT_SAMPLED_ABOVE =
      Setting.integer(
              "fit.sampled.above",
              HyperParameters.DEFAULT_SAMPLED_ABOVE,
              "Fits of the head over more classes than this (full and warm-started) attend in each step over the"
                  + " batch's classes and fit.sampled.others more drawn at random, the loss corrected for the"
                  + " draw, instead of over every class: a step's cost then stops growing with the square of the"
                  + " classes; 0: always every class.")
          .validate(v -> v >= 0, "must be >= 0");
  static final Setting<Integer> FIT_SAMPLED_OTHERS =
      Setting.positiveInt(
          "fit.sampled.others",
          HyperParameters.DEFAULT_SAMPLED_OTHERS,
          "Classes a sampled step draws besides its batch's own (above fit.sampled.above).");
  static final Setting<String> FIT_HEAD =
      Setting.choice(
          "fit.head",
          "auto",
          "auto: try the Candle head's weight on a held-out split and fit it only when it earns one; off: never fit"
              + " it.",
          "auto",
          "off");
  static final Setting<Long> FIT_SEED =
      Setting.longInt(
          "fit.seed",
          1,
          "Seed of the fits: the same seed and data give the same fit on the same device.");
  static final Setting<String> FIT_DEVICE =
      Setting.text(
          "fit.device",
          "auto",
          "auto, cpu or gpu[:N] (auto: the first GPU when PyTorch sees one).");
  static final Setting<Integer> MODEL_MAX_BYTES =
      Setting.positiveInt(
          "model.max.bytes",
          ModelVersions.DEFAULT_MAX_BYTES,
          "The largest model version published, in bytes (whole, before it is cut into chunks).");
  static final Setting<Integer> MODEL_CHUNK_BYTES =
      Setting.integer(
              "model.chunk.bytes",
              VersionChunks.DEFAULT_CHUNK_BYTES,
              "A version whose parameters are larger goes to the models topics in chunks of this many bytes, then a"
                  + " manifest, in one transaction; the default keeps every record under Kafka's 1 MiB defaults.")
          .validate(v -> v >= 1024 && v <= 64 * 1024 * 1024, "must be in 1024..67108864");
  static final Setting<String> METRICS_ADDRESS =
      Setting.text("metrics.address", "0.0.0.0", "Where the Prometheus endpoint listens.");
  static final Setting<Integer> METRICS_PORT =
      Setting.integer(
              "metrics.port", 9465, "The Prometheus endpoint's port; 0 picks a free one (logged).")
          .validate(v -> v >= 0 && v <= 65_535, "must be in 0..65535");
  static final Setting<String> TOPIC_CLASSES =
      Setting.text("topic.classes", TopicNames.defaults().classes(), "The class registry topic.");
  static final Setting<String> TOPIC_CLASS_COUNTS =
      Setting.text(
          "topic.class-counts", TopicNames.defaults().classCounts(), "The class counts topic.");
  static final Setting<String> TOPIC_FEATURES =
      Setting.text("topic.features", TopicNames.defaults().features(), "The features topic.");
  static final Setting<String> TOPIC_MODELS =
      Setting.text("topic.models", TopicNames.defaults().models(), "The models topic.");
  static final Setting<String> TOPIC_TRAINING_STORE =
      Setting.text(
          "topic.training-store",
          TopicNames.defaults().trainingStore(),
          "The trainer's own topic (compacted, one partition) that keeps its"
              + " training store beyond the features topic's retention, written with the versions.");
  static final Setting<String> TOPIC_MODEL_HISTORY =
      Setting.text(
          "topic.model-history",
          TopicNames.defaults().modelHistory(),
          "The models' history topic (uncompacted, one partition): every version"
              + " is written there too, in the transaction that publishes it, so that candle models can list and roll"
              + " back to versions compaction removed from the models topic.");

  /** Every setting of the trainer, in the order the documents list them. */
  static final List<Setting<?>> SETTINGS =
      List.of(
          BOOTSTRAP_SERVERS,
          MODEL_NAME,
          TRANSACTIONAL_ID,
          CLIP_MODEL_ID,
          FEATURE_WIDTH,
          STORE_MAX_PER_CLASS,
          HOLDOUT_PERCENT,
          HOLDOUT_MAX_PER_CLASS,
          REFIT_SAMPLES,
          REFIT_FRACTION,
          REFIT_INTERVAL,
          REFIT_WARM_STEPS,
          REFIT_FULL_EVERY,
          REFIT_FULL_CLASS_CHANGE,
          GATE_TOLERANCE,
          FIT_EPOCHS,
          FIT_BATCH_SIZE,
          FIT_LEARNING_RATE,
          FIT_SAMPLED_ABOVE,
          FIT_SAMPLED_OTHERS,
          FIT_HEAD,
          FIT_SEED,
          FIT_DEVICE,
          MODEL_MAX_BYTES,
          MODEL_CHUNK_BYTES,
          METRICS_ADDRESS,
          METRICS_PORT,
          TOPIC_CLASSES,
          TOPIC_CLASS_COUNTS,
          TOPIC_FEATURES,
          TOPIC_MODELS,
          TOPIC_TRAINING_STORE,
          TOPIC_MODEL_HISTORY,
          WireSettings.SERDE,
          WireSettings.REGISTRY_URL);

  /** The trainer's settings, loaded in layers and documented from their declarations. */
  public static final SettingsSpec SPEC =
      new SettingsSpec(
          "TrainerApp",
          "The candle trainer: refits Candle from candle.features, publishes versions to candle.models.",
          "kafka.",
          "--kafka-config",
          SETTINGS);

  public TrainerConfig {
    Objects.requireNonNull(transactionalId, "transactionalId");
    Objects.requireNonNull(hyperParameters, "hyperParameters");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(serde, "serde");
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
    Settings s = SPEC.load(args, env);
    HyperParameters hp =
        HyperParameters.adaptive()
            .withEpochs(s.get(FIT_EPOCHS))
            .withBatchSize(s.get(FIT_BATCH_SIZE))
            .withLearningRate(s.get(FIT_LEARNING_RATE))
            .withSeed(s.get(FIT_SEED))
            .withSampledAbove(s.get(FIT_SAMPLED_ABOVE))
            .withSampledOthers(s.get(FIT_SAMPLED_OTHERS))
            // the store caps each class already; the fit uses every sample it is given
            .withMaxPerClass(0);
    TopicNames d = TopicNames.defaults();
    TopicNames topics =
        new TopicNames(
            d.labeledImages(),
            d.unlabeledImages(),
            d.classAnnouncements(),
            s.get(TOPIC_CLASSES),
            s.get(TOPIC_CLASS_COUNTS),
            s.get(TOPIC_FEATURES),
            s.get(TOPIC_MODELS),
            d.predictions(),
            d.deadLetter(),
            s.get(TOPIC_TRAINING_STORE),
            s.get(TOPIC_MODEL_HISTORY));
    return new TrainerConfig(
        s.get(BOOTSTRAP_SERVERS),
        s.get(MODEL_NAME),
        transactionalId(s.get(TRANSACTIONAL_ID), s.get(MODEL_NAME)),
        s.get(CLIP_MODEL_ID),
        s.get(FEATURE_WIDTH),
        s.get(STORE_MAX_PER_CLASS),
        s.get(HOLDOUT_PERCENT),
        s.get(HOLDOUT_MAX_PER_CLASS),
        s.get(REFIT_SAMPLES),
        s.get(REFIT_FRACTION),
        s.get(REFIT_INTERVAL),
        s.get(REFIT_WARM_STEPS),
        s.get(REFIT_FULL_EVERY),
        s.get(REFIT_FULL_CLASS_CHANGE),
        s.get(GATE_TOLERANCE),
        hp,
        s.get(FIT_HEAD).equals("auto"),
        s.get(FIT_DEVICE),
        s.get(MODEL_MAX_BYTES),
        s.get(MODEL_CHUNK_BYTES),
        topics,
        SerdeConfig.of(s.get(WireSettings.SERDE), s.get(WireSettings.REGISTRY_URL)),
        s.get(METRICS_ADDRESS),
        s.get(METRICS_PORT),
        s.passThrough());
  }

  /** The configured id, or {@code candle-trainer-<model.name>} when none is given. */
  private static String transactionalId(String configured, String modelName) {
    return configured.isBlank() ? "candle-trainer-" + modelName : configured;
  }

  /** The trainer's topics, their values in the configured wire format. */
  public ai.candle.schemas.Topics topicSerdes() {
    return ai.candle.schemas.Topics.of(topics, serde);
  }

  /**
   * How the fit chooses its score weights: the defaults, without the head when {@code
   * fit.head=off}.
   */
  public ai.candle.core.WeightSelection.Settings selection() {
    ai.candle.core.WeightSelection.Settings s = ai.candle.core.WeightSelection.Settings.defaults();
    return fitHead ? s : s.withoutHead();
  }
}
