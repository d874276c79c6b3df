package ai.candle.schemas;

import java.util.Locale;

/**
 * How the Avro values of the topics are framed (schemas/README.md, "Wire formats"). Readers accept
 * both whatever they write, so producers can be switched one at a time.
 */
public enum WireFormat {
  /**
   * Avro single-object encoding: {@code C3 01}, the 8-byte schema fingerprint, the datum. No
   * registry.
   */
  SINGLE_OBJECT,
  /**
   * The Confluent wire format: byte {@code 0}, the 4-byte big-endian schema id of a schema
   * registry, the datum. Schemas are registered under TopicNameStrategy subjects ({@code
   * <topic>-value}).
   */
  REGISTRY;

  /** Its name in settings: {@code single-object} or {@code registry}. */
  public String setting() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The format a setting names. */
  public static WireFormat fromSetting(String value) {
    for (WireFormat f : values()) {
      if (f.setting().equalsIgnoreCase(value.trim())) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown wire format '" + value + "': single-object or registry");
  }
}
