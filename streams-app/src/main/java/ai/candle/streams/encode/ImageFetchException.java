package ai.candle.streams.encode;

/**
 * An image URI that was not fetched: a scheme or place not allowed, a malformed URI, an answer
 * other than the image, a fetch not done in time ({@code image_uri}), or an image larger than the
 * limit ({@code too_large}). The record's fault, or its source's: it is dead-lettered.
 */
public final class ImageFetchException extends Exception {

  private final boolean tooLarge;

  public ImageFetchException(String message, boolean tooLarge, Throwable cause) {
    super(message, cause);
    this.tooLarge = tooLarge;
  }

  public ImageFetchException(String message) {
    this(message, false, null);
  }

  /** Whether the image was refused for its size. */
  public boolean tooLarge() {
    return tooLarge;
  }
}
