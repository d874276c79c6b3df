package ai.candle.cli.internals;

/** The command line's exit codes, shared by every command's package. */
public final class ExitCodes {
  /** A mistake the user can fix: bad options, a missing or malformed input. */
  public static final int USAGE = 2;

  /** An unexpected failure. */
  public static final int INTERNAL = 1;

  private ExitCodes() {}
}
