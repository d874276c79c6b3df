package ai.candle.service;

/**
 * The model settings the trainer and the scorers share, declared once here: which model's versions
 * they write and read.
 */
public final class ModelSettings {
  private ModelSettings() {}

  public static final Setting<String> MODEL_NAME =
      Setting.text(
              "model.name",
              "candle",
              "The key of this model's versions on the models topic (its chunks' keys add #chunk-N).")
          .validate(n -> n.indexOf('#') < 0, "may not contain '#' (the chunk keys use it)");
}
