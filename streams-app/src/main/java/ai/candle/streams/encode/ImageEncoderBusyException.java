package ai.candle.streams.encode;

/**
 * The image encoder could not encode an image in the time a stream thread may wait for it (its
 * queue stayed full, its result came too late, or it is stuck): nothing is wrong with the record,
 * which is dead-lettered {@code encoder_busy} with its original bytes, to be replayed.
 */
public class ImageEncoderBusyException extends Exception {

  private static final long serialVersionUID = 1L;

  public ImageEncoderBusyException(String message, Throwable cause) {
    super(message, cause);
  }
}
