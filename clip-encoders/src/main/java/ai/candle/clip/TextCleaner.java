package ai.candle.clip;

import java.text.Normalizer;
import java.util.Locale;

/**
 * CLIP's text cleaning before BPE: {@code basic_clean}, {@code whitespace_clean} and {@code
 * lower()} of {@code simple_tokenizer}, with Python's definitions of whitespace and case.
 *
 * <p>Of {@code ftfy.fix_text} only the NFC normalisation is done: mojibake repair, quote uncurling,
 * width folding and control-character removal are not.
 */
final class TextCleaner {
  private static final char CAPITAL_SIGMA = '\u03A3';

  private TextCleaner() {}

  static String clean(String text) {
    String s = Normalizer.normalize(text, Normalizer.Form.NFC);
    s = HtmlUnescape.unescape(HtmlUnescape.unescape(s));
    return lowerCase(collapseWhitespace(s));
  }

  /**
   * {@code str.strip()}, then {@code re.sub(r'\s+', ' ', s).strip()} with the {@code regex}
   * module's {@code \s} (Unicode White_Space); {@code strip()} also takes U+001C..U+001F.
   */
  static String collapseWhitespace(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean inRun = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i); // all these spaces are in the BMP
      if (isWhiteSpace(c)) {
        if (!inRun) {
          out.append(' ');
        }
        inRun = true;
      } else {
        out.append(c);
        inRun = false;
      }
    }
    int start = 0;
    int end = out.length();
    while (start < end && isPythonSpace(out.charAt(start))) {
      start++;
    }
    while (end > start && isPythonSpace(out.charAt(end - 1))) {
      end--;
    }
    return out.substring(start, end);
  }

  /** Unicode White_Space: tab to CR, NEL, and the categories Zs, Zl, Zp. */
  static boolean isWhiteSpace(char c) {
    return (c >= '\t' && c <= '\r') || c == 0x85 || Character.isSpaceChar(c);
  }

  /** Python's {@code str.isspace()}: White_Space and the separators U+001C..U+001F. */
  static boolean isPythonSpace(char c) {
    return isWhiteSpace(c) || (c >= 0x1C && c <= 0x1F);
  }

  /**
   * Python's {@code str.lower()}. Java's root-locale mapping is the same but for capital sigma,
   * where Java looks at word boundaries and Python only at the letters around it: Python makes
   * "ΑΣ:Α" "ασ:α" and "ΣΑΣ한" "σας한", Java "ας:α" and "σασ한". Sigma is therefore lower-cased here,
   * the rest by Java.
   */
  static String lowerCase(String s) {
    if (s.indexOf(CAPITAL_SIGMA) < 0) {
      return s.toLowerCase(Locale.ROOT);
    }
    StringBuilder out = new StringBuilder(s.length());
    int from = 0;
    for (int i = s.indexOf(CAPITAL_SIGMA); i >= 0; i = s.indexOf(CAPITAL_SIGMA, from)) {
      out.append(s.substring(from, i).toLowerCase(Locale.ROOT));
      out.append(isFinalSigma(s, i) ? '\u03C2' : '\u03C3');
      from = i + 1;
    }
    return out.append(s.substring(from).toLowerCase(Locale.ROOT)).toString();
  }

  /**
   * Unicode's Final_Sigma as Python tests it: cased, ignorables, sigma, and no cased letter after
   * ignorables.
   */
  private static boolean isFinalSigma(String s, int sigma) {
    int before = sigma;
    int cp = -1;
    while (before > 0) {
      cp = s.codePointBefore(before);
      before -= Character.charCount(cp);
      if (!isCaseIgnorable(cp)) {
        break;
      }
      cp = -1;
    }
    if (cp < 0 || !isCased(cp)) {
      return false;
    }
    for (int after = sigma + 1; after < s.length(); after += Character.charCount(cp)) {
      cp = s.codePointAt(after);
      if (!isCaseIgnorable(cp)) {
        return !isCased(cp);
      }
    }
    return true;
  }

  private static boolean isCased(int cp) {
    return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
  }

  /**
   * Unicode's Case_Ignorable: Mn, Me, Cf, Lm, Sk and the MidLetter/MidNumLet/Single_Quote marks.
   */
  private static boolean isCaseIgnorable(int cp) {
    switch (Character.getType(cp)) {
      case Character.NON_SPACING_MARK:
      case Character.ENCLOSING_MARK:
      case Character.FORMAT:
      case Character.MODIFIER_LETTER:
      case Character.MODIFIER_SYMBOL:
        return true;
      default:
        return isMidLetter(cp);
    }
  }

  private static boolean isMidLetter(int cp) {
    switch (cp) {
      case 0x27,
      0x2E,
      0x3A,
      0xB7,
      0x387,
      0x55F,
      0x5F4,
      0x2018,
      0x2019,
      0x2024,
      0x2027,
      0xFE13,
      0xFE52,
      0xFE55,
      0xFF07,
      0xFF0E,
      0xFF1A:
        return true;
      default:
        return false;
    }
  }
}
