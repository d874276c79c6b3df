package ai.candle.streams.encode;

/**
 * Turns a prompt into its CLIP text feature. Thread-safe; called from the single class registry
 * task. A result of the wrong width or with non-finite values stops the app.
 */
public interface TextEncoder {

  float[] encode(String prompt);

  /**
   * The text feature of a class without a prompt of its own, whose prompt is the configured
   * template's ({@code prompt.template}). By default the encoder on that prompt; an encoder with a
   * prompt ensemble returns the ensemble's feature for the class name instead.
   */
  default float[] encodeClassName(String className, String templatePrompt) {
    return encode(templatePrompt);
  }
}
