package ai.candle.service;

/**
 * The wire-format settings every service shares, declared once here (schemas/README.md, "Wire
 * formats"): what a service writes, and the schema registry it resolves registry-framed values
 * with.
 */
public final class WireSettings {
  private WireSettings() {}

  public static final Setting<String> SERDE =
      Setting.choice(
          "serde",
          "single-object",
          "The wire format of the Avro values this service writes: single-object (Avro single-object"
              + " encoding, no registry) or registry (Confluent framing: byte 0, 4-byte schema id; needs"
              + " registry.url). Either is read.",
          "single-object",
          "registry");
  public static final Setting<String> REGISTRY_URL =
      Setting.optionalText(
          "registry.url",
          "The schema registry's Confluent-compatible REST API, e.g. http://registry:8080/apis/ccompat/v7"
              + " (user:secret@ for basic auth); without it, registry-framed values are dead-lettered.");
}
