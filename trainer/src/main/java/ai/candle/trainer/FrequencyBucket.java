package ai.candle.trainer;

/**
 * Class-frequency buckets of the dashboards (DESIGN.md flow 5), by a class's live image count:
 * many > 100, medium 20–100, few 1–19, new = 0.
 */
enum FrequencyBucket {
  MANY, MEDIUM, FEW, NEW;

  static FrequencyBucket of(long images) {
    if (images <= 0) {
      return NEW;
    }
    if (images < 20) {
      return FEW;
    }
    return images <= 100 ? MEDIUM : MANY;
  }

  /** The tag value: lower case. */
  String tag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
