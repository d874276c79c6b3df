package ai.candle.core;

import java.util.Locale;

/**
 * Class-frequency buckets (docs/design.md flow 5), by a class's count of valid labelled images:
 * many > 100, medium 20–100, few 1–19, new = 0. The bounded {@code bucket} tag of the accuracy
 * metrics of the scorers, the trainer's holdout and the evaluation reports.
 */
public enum FrequencyBucket {
  /** More than 100 images. */
  MANY,
  /** 20 to 100 images. */
  MEDIUM,
  /** 1 to 19 images. */
  FEW,
  /** No image yet. */
  NEW;

  /** The metric tag value: the name in lower case. */
  public String tag() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The bucket of a class with {@code images} valid labelled images. */
  public static FrequencyBucket of(long images) {
    if (images > 100) {
      return MANY;
    }
    if (images >= 20) {
      return MEDIUM;
    }
    return images >= 1 ? FEW : NEW;
  }
}
