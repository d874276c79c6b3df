package ai.candle.streams.scoring;

/** Which images a prediction is for: the bounded {@code role} tag of the scoring metrics. */
enum ScoringRole {
  /** A labelled image, scored before it counts. */
  PREQUENTIAL("prequential"),
  /** An image of {@code candle.images.unlabeled}. */
  UNLABELED("unlabeled");

  private final String tag;

  ScoringRole(String tag) {
    this.tag = tag;
  }

  String tag() {
    return tag;
  }
}
