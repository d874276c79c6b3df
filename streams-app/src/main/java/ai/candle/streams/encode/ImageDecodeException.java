package ai.candle.streams.encode;

/** An image's bytes (or URI) cannot be read as an image: the record's fault, not the app's. */
public class ImageDecodeException extends Exception {

  private static final long serialVersionUID = 1L;

  public ImageDecodeException(String message) {
    super(message);
  }

  public ImageDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
