package ai.candle.schemas;

import java.util.Objects;

/**
 * Names of every topic; {@link #defaults()} gives the names of docs/design.md. Only the trainer
 * reads and writes {@code trainingStore}; the trainer and {@code candle models} write {@code
 * modelHistory} (every version also published on {@code models}, never compacted), which {@code
 * candle models} reads. The constructors without them give them their default names.
 */
public record TopicNames(
    String labeledImages,
    String unlabeledImages,
    String classAnnouncements,
    String classes,
    String classCounts,
    String features,
    String models,
    String predictions,
    String deadLetter,
    String trainingStore,
    String modelHistory) {

  /** The default name of the trainer's training-store topic. */
  public static final String DEFAULT_TRAINING_STORE = "candle.training-store";

  /** The default name of the models' history topic (uncompacted). */
  public static final String DEFAULT_MODEL_HISTORY = "candle.models.history";

  public TopicNames {
    requireName(labeledImages, "labeledImages");
    requireName(unlabeledImages, "unlabeledImages");
    requireName(classAnnouncements, "classAnnouncements");
    requireName(classes, "classes");
    requireName(classCounts, "classCounts");
    requireName(features, "features");
    requireName(models, "models");
    requireName(predictions, "predictions");
    requireName(deadLetter, "deadLetter");
    requireName(trainingStore, "trainingStore");
    requireName(modelHistory, "modelHistory");
  }

  /** The names, the model history's the default ({@value #DEFAULT_MODEL_HISTORY}). */
  public TopicNames(
      String labeledImages,
      String unlabeledImages,
      String classAnnouncements,
      String classes,
      String classCounts,
      String features,
      String models,
      String predictions,
      String deadLetter,
      String trainingStore) {
    this(
        labeledImages,
        unlabeledImages,
        classAnnouncements,
        classes,
        classCounts,
        features,
        models,
        predictions,
        deadLetter,
        trainingStore,
        DEFAULT_MODEL_HISTORY);
  }

  /**
   * The names, the training store's and the model history's the defaults ({@value
   * #DEFAULT_TRAINING_STORE}, {@value #DEFAULT_MODEL_HISTORY}).
   */
  public TopicNames(
      String labeledImages,
      String unlabeledImages,
      String classAnnouncements,
      String classes,
      String classCounts,
      String features,
      String models,
      String predictions,
      String deadLetter) {
    this(
        labeledImages,
        unlabeledImages,
        classAnnouncements,
        classes,
        classCounts,
        features,
        models,
        predictions,
        deadLetter,
        DEFAULT_TRAINING_STORE,
        DEFAULT_MODEL_HISTORY);
  }

  /** The default topic names. */
  public static TopicNames defaults() {
    return new TopicNames(
        "candle.images.labeled",
        "candle.images.unlabeled",
        "candle.classes.announcements",
        "candle.classes",
        "candle.class-counts",
        "candle.features",
        "candle.models",
        "candle.predictions",
        "candle.dead-letter",
        DEFAULT_TRAINING_STORE,
        DEFAULT_MODEL_HISTORY);
  }

  private static void requireName(String name, String field) {
    Objects.requireNonNull(name, () -> "topic name " + field + " is null");
    if (name.isBlank()) {
      throw new IllegalArgumentException("topic name " + field + " is blank");
    }
  }
}
