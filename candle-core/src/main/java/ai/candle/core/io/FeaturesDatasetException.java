package ai.candle.core.io;

/**
 * A features dataset directory cannot be read: a file or array is missing, or an array has the
 * wrong type, shape or values. The message names the file and says what to do.
 */
public class FeaturesDatasetException extends RuntimeException {

  public FeaturesDatasetException(String message) {
    super(message);
  }

  public FeaturesDatasetException(String message, Throwable cause) {
    super(message, cause);
  }
}
