package ai.candle.schemas;

import java.util.Objects;

/**
 * Names of every topic; {@link #defaults()} gives the names of docs/design.md. Only the trainer
 * reads and writes {@code trainingStore}; the constructor without it gives it its default name.
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
    String trainingStore) {

  /** The default name of the trainer's training-store topic. */
  public static final String DEFAULT_TRAINING_STORE = "candle.training-store";

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
  }

  /** The names, the training store's the default ({@value #DEFAULT_TRAINING_STORE}). */
  public TopicNames(String labeledImages, String unlabeledImages, String classAnnouncements, String classes,
      String classCounts, String features, String models, String predictions, String deadLetter) {
    this(labeledImages, unlabeledImages, classAnnouncements, classes, classCounts, features, models,
        predictions, deadLetter, DEFAULT_TRAINING_STORE);
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
        DEFAULT_TRAINING_STORE);
  }

  private static void requireName(String name, String field) {
    Objects.requireNonNull(name, () -> "topic name " + field + " is null");
    if (name.isBlank()) {
      throw new IllegalArgumentException("topic name " + field + " is blank");
    }
  }
}
