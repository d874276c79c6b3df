package ai.candle.clip;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTML character references replaced the way Python's {@code html.unescape} replaces them, for the
 * entities that occur in practice.
 *
 * <p>Numeric references ({@code &#39;}, {@code &#x27;}, with or without {@code ;}) follow Python
 * exactly: {@code 0x80..0x9F} are read as Windows-1252, {@code 0} and surrogates or values past
 * {@code U+10FFFF} become {@code U+FFFD}, control characters and noncharacters vanish. Named
 * references cover the HTML 4 set (Latin-1, symbols, Greek, punctuation) plus {@code &apos;}; the
 * 106 legacy names (Latin-1, {@code amp lt gt quot} and their upper-case forms, {@code COPY REG})
 * also match without {@code ;} and as the longest prefix of a longer name, as HTML5 says. The other
 * HTML5 names (about 2,000 rare ones such as {@code &NotNestedGreaterGreater;}) are left as
 * written, where Python would replace them.
 */
final class HtmlUnescape {
  /** Python's {@code html._charref}. */
  private static final Pattern CHARREF =
      Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");

  /** Names of U+00A0..U+00FF, in code point order; all are legacy names. */
  private static final String[] LATIN1 = {
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect",
    "uml", "copy", "ordf", "laquo", "not", "shy", "reg", "macr",
    "deg", "plusmn", "sup2", "sup3", "acute", "micro", "para", "middot",
    "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil",
    "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml",
    "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times",
    "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig",
    "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml",
    "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide",
    "oslash", "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
  };

  /** Greek capitals U+0391..U+03A9 (U+03A2 is unassigned), then small U+03B1..U+03C9. */
  private static final String[] GREEK = {
    "Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota", "Kappa", "Lambda",
    "Mu", "Nu", "Xi", "Omicron", "Pi", "Rho", null, "Sigma", "Tau", "Upsilon", "Phi", "Chi", "Psi",
    "Omega",
  };

  /** Other names (need the {@code ;}), as name, code point pairs. */
  private static final Object[] OTHER = {
    "apos",
    0x27,
    "OElig",
    0x152,
    "oelig",
    0x153,
    "Scaron",
    0x160,
    "scaron",
    0x161,
    "Yuml",
    0x178,
    "fnof",
    0x192,
    "circ",
    0x2C6,
    "tilde",
    0x2DC,
    "thetasym",
    0x3D1,
    "upsih",
    0x3D2,
    "piv",
    0x3D6,
    "ensp",
    0x2002,
    "emsp",
    0x2003,
    "thinsp",
    0x2009,
    "zwnj",
    0x200C,
    "zwj",
    0x200D,
    "lrm",
    0x200E,
    "rlm",
    0x200F,
    "ndash",
    0x2013,
    "mdash",
    0x2014,
    "lsquo",
    0x2018,
    "rsquo",
    0x2019,
    "sbquo",
    0x201A,
    "ldquo",
    0x201C,
    "rdquo",
    0x201D,
    "bdquo",
    0x201E,
    "dagger",
    0x2020,
    "Dagger",
    0x2021,
    "bull",
    0x2022,
    "hellip",
    0x2026,
    "permil",
    0x2030,
    "prime",
    0x2032,
    "Prime",
    0x2033,
    "lsaquo",
    0x2039,
    "rsaquo",
    0x203A,
    "oline",
    0x203E,
    "frasl",
    0x2044,
    "euro",
    0x20AC,
    "image",
    0x2111,
    "weierp",
    0x2118,
    "real",
    0x211C,
    "trade",
    0x2122,
    "alefsym",
    0x2135,
    "larr",
    0x2190,
    "uarr",
    0x2191,
    "rarr",
    0x2192,
    "darr",
    0x2193,
    "harr",
    0x2194,
    "crarr",
    0x21B5,
    "lArr",
    0x21D0,
    "uArr",
    0x21D1,
    "rArr",
    0x21D2,
    "dArr",
    0x21D3,
    "hArr",
    0x21D4,
    "forall",
    0x2200,
    "part",
    0x2202,
    "exist",
    0x2203,
    "empty",
    0x2205,
    "nabla",
    0x2207,
    "isin",
    0x2208,
    "notin",
    0x2209,
    "ni",
    0x220B,
    "prod",
    0x220F,
    "sum",
    0x2211,
    "minus",
    0x2212,
    "lowast",
    0x2217,
    "radic",
    0x221A,
    "prop",
    0x221D,
    "infin",
    0x221E,
    "ang",
    0x2220,
    "and",
    0x2227,
    "or",
    0x2228,
    "cap",
    0x2229,
    "cup",
    0x222A,
    "int",
    0x222B,
    "there4",
    0x2234,
    "sim",
    0x223C,
    "cong",
    0x2245,
    "asymp",
    0x2248,
    "ne",
    0x2260,
    "equiv",
    0x2261,
    "le",
    0x2264,
    "ge",
    0x2265,
    "sub",
    0x2282,
    "sup",
    0x2283,
    "nsub",
    0x2284,
    "sube",
    0x2286,
    "supe",
    0x2287,
    "oplus",
    0x2295,
    "otimes",
    0x2297,
    "perp",
    0x22A5,
    "sdot",
    0x22C5,
    "lceil",
    0x2308,
    "rceil",
    0x2309,
    "lfloor",
    0x230A,
    "rfloor",
    0x230B,
    "lang",
    0x27E8,
    "rang",
    0x27E9,
    "loz",
    0x25CA,
    "spades",
    0x2660,
    "clubs",
    0x2663,
    "hearts",
    0x2665,
    "diams",
    0x2666,
  };

  /** Windows-1252 reading of {@code &#128;..&#159;} (Python's {@code _invalid_charrefs}). */
  private static final int[] CP1252 = {
    0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x2C6, 0x2030, 0x160, 0x2039, 0x152, 0x8D, 0x17D, 0x8F,
    0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178,
  };

  /** Keys as in Python's {@code html5} table: {@code name;} always, bare {@code name} if legacy. */
  private static final Map<String, String> NAMED = named();

  private HtmlUnescape() {}

  static String unescape(String s) {
    if (s.indexOf('&') < 0) {
      return s;
    }
    Matcher m = CHARREF.matcher(s);
    StringBuilder out = new StringBuilder(s.length());
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(replace(m.group(1))));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String replace(String ref) {
    if (ref.charAt(0) == '#') {
      return numeric(ref);
    }
    String whole = NAMED.get(ref);
    if (whole != null) {
      return whole;
    }
    // The longest legacy name that is a prefix: "&ampx" is "&x". Only bare legacy names can
    // match here, since a ';' can only be the last character of the reference.
    for (int end = ref.length() - 1; end > 1; end--) {
      String prefix = NAMED.get(ref.substring(0, end));
      if (prefix != null) {
        return prefix + ref.substring(end);
      }
    }
    return "&" + ref;
  }

  private static String numeric(String ref) {
    boolean hex = ref.charAt(1) == 'x' || ref.charAt(1) == 'X';
    int from = hex ? 2 : 1;
    int to = ref.endsWith(";") ? ref.length() - 1 : ref.length();
    int radix = hex ? 16 : 10;
    long value = 0;
    for (int i = from; i < to && value <= Character.MAX_CODE_POINT; i++) {
      value = value * radix + Character.digit(ref.charAt(i), radix);
    }
    if (value == 0) {
      return "\uFFFD";
    }
    if (value == 0x0D) {
      return "\r";
    }
    if (value >= 0x80 && value <= 0x9F) {
      return Character.toString(CP1252[(int) value - 0x80]);
    }
    if (value > Character.MAX_CODE_POINT || (value >= 0xD800 && value <= 0xDFFF)) {
      return "\uFFFD";
    }
    int cp = (int) value;
    return invalidCodePoint(cp) ? "" : Character.toString(cp);
  }

  /**
   * Python's {@code _invalid_codepoints}: C0 controls but tab, LF, FF, CR; DEL..U+009F;
   * noncharacters.
   */
  private static boolean invalidCodePoint(int cp) {
    return (cp >= 0x01 && cp <= 0x08)
        || cp == 0x0B
        || (cp >= 0x0E && cp <= 0x1F)
        || (cp >= 0x7F && cp <= 0x9F)
        || (cp >= 0xFDD0 && cp <= 0xFDEF)
        || (cp & 0xFFFE) == 0xFFFE;
  }

  private static Map<String, String> named() {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i < LATIN1.length; i++) {
      legacy(map, LATIN1[i], 0xA0 + i);
    }
    legacy(map, "amp", '&');
    legacy(map, "AMP", '&');
    legacy(map, "lt", '<');
    legacy(map, "LT", '<');
    legacy(map, "gt", '>');
    legacy(map, "GT", '>');
    legacy(map, "quot", '"');
    legacy(map, "QUOT", '"');
    legacy(map, "COPY", 0xA9);
    legacy(map, "REG", 0xAE);
    for (int i = 0; i < GREEK.length; i++) {
      if (GREEK[i] != null) {
        map.put(GREEK[i] + ";", Character.toString(0x391 + i));
        map.put(GREEK[i].toLowerCase(java.util.Locale.ROOT) + ";", Character.toString(0x3B1 + i));
      }
    }
    map.put("sigmaf;", "\u03C2");
    for (int i = 0; i < OTHER.length; i += 2) {
      map.put(OTHER[i] + ";", Character.toString((Integer) OTHER[i + 1]));
    }
    return Map.copyOf(map);
  }

  private static void legacy(Map<String, String> map, String name, int codePoint) {
    String value = Character.toString(codePoint);
    map.put(name, value);
    map.put(name + ";", value);
  }
}
