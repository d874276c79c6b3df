package ai.candle.streams.config;

import java.util.Arrays;
import java.util.Locale;

/** What the scorer does with an unlabelled image before any model version is served. */
public enum NoModelPolicy {
  /**
   * The image waits on its topic: the scoring Kafka Streams client is started only once the first
   * version is served, so nothing is consumed (or committed) before.
   */
  WAIT("wait"),
  /** The image is dead-lettered with reason "no model yet" (category {@code no_model}). */
  DEAD_LETTER("dead-letter");

  private final String setting;

  NoModelPolicy(String setting) {
    this.setting = setting;
  }

  /** The value of {@code scoring.no-model}. */
  public String setting() {
    return setting;
  }

  static NoModelPolicy parse(String value, String key) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values())
        .filter(p -> p.setting.equals(v))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    key
                        + " must be one of "
                        + Arrays.stream(values()).map(NoModelPolicy::setting).toList()
                        + ", got '"
                        + value
                        + "'"));
  }
}
