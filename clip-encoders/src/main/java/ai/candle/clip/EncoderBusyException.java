package ai.candle.clip;

/**
 * The image was not encoded in time: the encoder's queue stayed full, its result did not come
 * before the caller's deadline, the encoder has made no progress for longer than the deadline, or
 * it is closed. Nothing is wrong with the image; it may be submitted again later.
 */
public class EncoderBusyException extends Exception {

  private static final long serialVersionUID = 1L;

  public EncoderBusyException(String message) {
    super(message);
  }

  public EncoderBusyException(String message, Throwable cause) {
    super(message, cause);
  }
}
