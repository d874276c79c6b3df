package ai.candle.schemas;

/** A model version too large for the configured record limits; the message says what to raise. */
public final class ModelTooLargeException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public ModelTooLargeException(String message) {
    super(message);
  }
}
