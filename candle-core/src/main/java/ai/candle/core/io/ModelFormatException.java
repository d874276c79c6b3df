package ai.candle.core.io;

/**
 * A model blob cannot be read: it is not a Candle model, it was cut short or corrupted in
 * transit, it was written by a newer library, or its contents contradict each other. The
 * message says which, and what to do about it.
 */
public class ModelFormatException extends RuntimeException {

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
