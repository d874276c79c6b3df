package ai.candle.clip;

/**
 * A loaded encoder failed while running its model (the engine threw, or the model returned a result
 * of the wrong shape): the encoder's fault, not the input's.
 */
public class EncoderFailedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public EncoderFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
