package ai.candle.cli.ops;

import java.util.Locale;

/** How the operator commands write numbers and sizes in plain text. */
final class Text {

  private Text() {}

  /** 512 B, 3.4 KiB, 7.1 MiB. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    if (n < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
  }

  /** A fraction or weight with three decimals; "-" for none. */
  static String decimal(Double x) {
    return x == null || x.isNaN() ? "-" : String.format(Locale.ROOT, "%.3f", x);
  }

  /** The text cut to {@code max} characters, with an ellipsis when it was longer. */
  static String cut(String s, int max) {
    if (s == null) {
      return "";
    }
    String one = s.replaceAll("\\s+", " ");
    return one.length() <= max ? one : one.substring(0, max - 1) + "…";
  }
}
