package ai.candle.streams;

/**
 * Turns a prompt into its CLIP text feature. Thread-safe; called from the single class
 * registry task. A result of the wrong width or with non-finite values stops the app.
 */
public interface TextEncoder {

  float[] encode(String prompt);
}
