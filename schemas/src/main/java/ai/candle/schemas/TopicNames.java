package ai.candle.schemas;

import java.util.Objects;

/** Names of every topic; {@link #defaults()} gives the names of docs/design.md. */
public record TopicNames(
    String labeledImages,
    String unlabeledImages,
    String classAnnouncements,
    String classes,
    String classCounts,
    String features,
    String models,
    String predictions,
    String deadLetter) {

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
        "candle.dead-letter");
  }

  private static void requireName(String name, String field) {
    Objects.requireNonNull(name, () -> "topic name " + field + " is null");
    if (name.isBlank()) {
      throw new IllegalArgumentException("topic name " + field + " is blank");
    }
  }
}
