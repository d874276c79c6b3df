package ai.candle.cli.ops;

import ai.candle.cli.internals.UserException;

/**
 * What is wrong with {@code candle send}'s input: every problem is counted, the first is kept with
 * where it is, and {@link #check()} reports it as one line, with how many more there are.
 */
final class Problems {
  private String first;
  private int count;

  void add(String where, String what) {
    if (first == null) {
      first = where + ": " + what;
    }
    count++;
  }

  boolean any() {
    return count > 0;
  }

  /** Fails with the first problem when there is one: nothing is sent. */
  void check() {
    if (first != null) {
      throw new UserException(
          first
              + (count > 1
                  ? " (and " + (count - 1) + " more problem" + (count > 2 ? "s" : "") + ")"
                  : "")
              + "; nothing was sent");
    }
  }
}
