package ai.candle.clip;

/**
 * The bytes given are not an image the encoder reads, or one larger than its pixel limit: the
 * image's fault, not the encoder's.
 */
public class UnreadableImageException extends Exception {

  private static final long serialVersionUID = 1L;

  public UnreadableImageException(String message) {
    super(message);
  }

  public UnreadableImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
