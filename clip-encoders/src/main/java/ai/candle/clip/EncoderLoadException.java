package ai.candle.clip;

/**
 * A CLIP encoder cannot be loaded: its model file is missing or not a model the chosen engine
 * reads, the engine is not available on this machine, or the model does not behave as a CLIP
 * encoder. The message says what to do; the cause is kept.
 */
public class EncoderLoadException extends Exception {

  private static final long serialVersionUID = 1L;

  public EncoderLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
