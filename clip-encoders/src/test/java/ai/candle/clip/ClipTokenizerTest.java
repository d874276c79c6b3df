package ai.candle.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ClipTokenizerTest {
  private static final int SOT = ClipTokenizer.START_OF_TEXT;
  private static final int EOT = ClipTokenizer.END_OF_TEXT;
  private static final int GOLDEN_LINES = 1010;

  private static ClipTokenizer tokenizer;

  /**
   * One line of {@code tokenizer-golden.tsv}: CLIP's ids with start and end, unpadded, untruncated.
   */
  record Golden(int line, String text, int[] ids) {}

  @BeforeAll
  static void load() {
    tokenizer = ClipTokenizer.load();
  }

  /** {@code ../shared/clip/tokenizer-golden.tsv}, located as candle-core's GoldenFiles does. */
  private static List<Golden> readGolden() throws IOException {
    String shared = System.getProperty("candle.shared", "../shared");
    Path file = Path.of(shared, "clip", "tokenizer-golden.tsv");
    if (!Files.isRegularFile(file)) {
      fail(
          "no golden file "
              + file.toAbsolutePath()
              + ": is ../shared beside the checkout? (system property"
              + " candle.shared = "
              + System.getProperty("candle.shared")
              + ", set by the parent pom)");
    }
    List<Golden> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int tab = line.lastIndexOf('\t');
      assertTrue(tab >= 0, file + " line " + (i + 1) + " has no tab: " + line);
      // a tab inside a prompt is written \t; no other escape occurs in the file
      String text = line.substring(0, tab).replace("\\t", "\t");
      int[] ids =
          Arrays.stream(line.substring(tab + 1).trim().split(" "))
              .mapToInt(Integer::parseInt)
              .toArray();
      out.add(new Golden(i + 1, text, ids));
    }
    return out;
  }

  @Test
  void everyGoldenLineGetsClipsIds() throws IOException {
    List<Golden> golden = readGolden();
    assertEquals(GOLDEN_LINES, golden.size(), "lines in tokenizer-golden.tsv");
    List<String> mismatches = new ArrayList<>();
    for (Golden g : golden) {
      int[] bpe = tokenizer.encode(g.text());
      int[] actual = new int[bpe.length + 2];
      actual[0] = SOT;
      System.arraycopy(bpe, 0, actual, 1, bpe.length);
      actual[actual.length - 1] = EOT;
      if (!Arrays.equals(g.ids(), actual)) {
        mismatches.add(describe(g, actual));
      }
    }
    assertTrue(
        mismatches.isEmpty(),
        mismatches.size()
            + " of "
            + golden.size()
            + " golden lines differ, first ones:\n"
            + mismatches.stream().limit(5).collect(Collectors.joining("\n")));
  }

  @Test
  void everyGoldenLineGivesClipsPaddedRow() throws IOException {
    List<String> mismatches = new ArrayList<>();
    for (Golden g : readGolden()) {
      int[] expected = new int[77];
      System.arraycopy(g.ids(), 0, expected, 0, Math.min(77, g.ids().length));
      expected[Math.min(77, g.ids().length) - 1] = EOT;
      int[] actual = tokenizer.tokenize(g.text(), 77, true);
      if (!Arrays.equals(expected, actual)) {
        mismatches.add(describe(g, actual));
      }
    }
    assertTrue(
        mismatches.isEmpty(),
        mismatches.size()
            + " rows differ, first ones:\n"
            + mismatches.stream().limit(5).collect(Collectors.joining("\n")));
  }

  @Test
  void longTextIsCutTo77EndingInEndOfTextOrRefused() {
    // (the golden file's 300 x's come to exactly 77 ids, so they fit)
    String text = "a photo of a great white shark. ".repeat(20);
    int[] row = tokenizer.tokenize(text, 77, true);
    assertEquals(77, row.length);
    assertEquals(SOT, row[0]);
    assertEquals(EOT, row[76]);
    assertTrue(Arrays.stream(row).noneMatch(id -> id == 0), "a cut row has no padding");
    assertArrayEquals(
        Arrays.copyOfRange(tokenizer.encode(text), 0, 75), Arrays.copyOfRange(row, 1, 76));

    int length = tokenizer.encode(text).length + 2;
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenize(text, 77, false));
    assertTrue(
        e.getMessage().contains(length + " tokens") && e.getMessage().contains("77"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenize(text));
  }

  @Test
  void exactly77TokensFitWithoutTruncation() {
    String fits = "a ".repeat(75); // "a" is one id: 75 + start + end
    int[] row = tokenizer.tokenize(fits);
    assertEquals(EOT, row[76]);
    assertEquals(320, row[75]);
    assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenize(fits + "a"));
    assertEquals(EOT, tokenizer.tokenize(fits + "a", 77, true)[76]);
  }

  @Test
  void shortTextIsZeroPadded() {
    int[] row = tokenizer.tokenize("a photo of a tench.", 77, false);
    int[] ids = {SOT, 320, 1125, 539, 320, 1149, 634, 269, EOT};
    assertArrayEquals(ids, Arrays.copyOf(row, ids.length));
    assertTrue(Arrays.stream(row, ids.length, 77).allMatch(id -> id == 0), Arrays.toString(row));

    int[] shortRow = tokenizer.tokenize("a photo of a tench.", 5, true);
    assertArrayEquals(new int[] {SOT, 320, 1125, 539, EOT}, shortRow);
  }

  @Test
  void emptyAndBlankTextsAreStartAndEndOnly() {
    int[] expected = new int[77];
    expected[0] = SOT;
    expected[1] = EOT;
    assertArrayEquals(expected, tokenizer.tokenize("", 77, false));
    assertArrayEquals(expected, tokenizer.tokenize(" \t\n\u00a0\u3000 ", 77, false));
    assertArrayEquals(new int[0], tokenizer.encode(""));
  }

  @Test
  void caseDoesNotMatter() {
    assertArrayEquals(
        tokenizer.encode("a photo of a great white shark!!"),
        tokenizer.encode("A PHOTO OF A Great White Shark!!"));
    assertArrayEquals(tokenizer.encode("don't"), tokenizer.encode("DON'T"));
  }

  @Test
  void htmlEntitiesAreUnescapedTwice() {
    assertArrayEquals(tokenizer.encode("&"), tokenizer.encode("&amp;"));
    assertArrayEquals(tokenizer.encode("&"), tokenizer.encode("&amp;amp;"));
    assertArrayEquals(
        tokenizer.encode("<b> tom & jerry"), tokenizer.encode("&lt;b&gt; tom &amp jerry"));
    assertArrayEquals(tokenizer.encode("it's café"), tokenizer.encode("it&#39;s caf&eacute;"));
    assertArrayEquals(tokenizer.encode("it's…"), tokenizer.encode("it&#x27;s&hellip;"));
    assertArrayEquals(tokenizer.encode("a b"), tokenizer.encode("a&nbsp;b"));
  }

  @Test
  void htmlUnescapeFollowsPython() {
    assertEquals("&x", HtmlUnescape.unescape("&ampx")); // longest legacy prefix
    assertEquals("&hellip", HtmlUnescape.unescape("&hellip")); // not legacy: needs ';'
    assertEquals("&nosuch;", HtmlUnescape.unescape("&nosuch;"));
    assertEquals("\u20ac", HtmlUnescape.unescape("&#128;")); // Windows-1252
    assertEquals("\ufffd\ufffd", HtmlUnescape.unescape("&#0;&#x110000;"));
    assertEquals("", HtmlUnescape.unescape("&#1;&#x7f;&#xFFFF;"));
    assertEquals("\uD83D\uDE42", HtmlUnescape.unescape("&#x1F642;"));
  }

  @Test
  void cleaningUsesPythonsWhitespaceAndCase() {
    assertEquals("a b c", TextCleaner.clean("  A\u00a0\u2028 B\n\tc\u3000"));
    assertEquals(
        "a\u001cb", TextCleaner.clean("\u001fa\u001cb\u001e")); // strip()s but \s does not match
    assertEquals("οδος", TextCleaner.lowerCase("ΟΔΟΣ"));
    // Java's own toLowerCase gives "ας:α" and "σασ한국어ß" (it looks at word boundaries)
    assertEquals("ασ:α", TextCleaner.lowerCase("ΑΣ:Α"));
    assertEquals("σας한국어ß", TextCleaner.lowerCase("ΣΑΣ한국어ẞ"));
    assertEquals("σ", TextCleaner.lowerCase("Σ"));
    assertEquals("caf\u00e9", TextCleaner.clean("cafe\u0301")); // NFC
  }

  @Test
  void specialTokensInTextKeepTheirIds() {
    assertArrayEquals(new int[] {EOT}, tokenizer.encode("<|endoftext|>"));
    assertArrayEquals(new int[] {SOT}, tokenizer.encode("<|StartOfText|>"));
  }

  @Test
  void repeatedCallsGiveTheSameIds() {
    int[] first = tokenizer.encode("hyphen-ated snake_case CamelCase");
    assertArrayEquals(first, tokenizer.encode("hyphen-ated snake_case CamelCase"));
  }

  @Test
  void badContextLengthIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenize("a", 0, true));
  }

  private static String describe(Golden g, int[] actual) {
    return "line "
        + g.line()
        + " \""
        + g.text()
        + "\"\n  clip: "
        + Arrays.toString(g.ids())
        + "\n  java: "
        + Arrays.toString(actual);
  }
}
