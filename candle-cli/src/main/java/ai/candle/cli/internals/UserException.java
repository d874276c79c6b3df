package ai.candle.cli.internals;

/**
 * A mistake the person running a command can fix (a missing directory, a bad option value). The CLI
 * prints its message as one line to stderr and exits with {@link ExitCodes#USAGE}.
 */
public final class UserException extends RuntimeException {

  public UserException(String message) {
    super(message);
  }

  public UserException(String message, Throwable cause) {
    super(message, cause);
  }
}
