package ai.candle.clip;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * CLIP's text tokenizer: the byte-level BPE of OpenAI's {@code simple_tokenizer} and the
 * fixed-length rows of {@code clip.tokenize}, giving the same ids.
 *
 * <ol>
 *   <li>Clean: Unicode NFC (the part of {@code ftfy.fix_text} kept here), HTML entities unescaped
 *       twice, whitespace runs collapsed to one space, stripped, lower-cased.
 *   <li>Split into words, numbers (one digit each), punctuation runs, the contractions {@code 's 't
 *       're 've 'm 'll 'd} and the two special tokens.
 *   <li>Each piece: its UTF-8 bytes as CLIP's 256 byte symbols, {@code </w>} on the last one, then
 *       the merges applied by rank; every resulting symbol is one id.
 * </ol>
 *
 * <p>Instances are immutable apart from a bounded cache of pieces already split, and safe to share
 * between threads.
 */
public final class ClipTokenizer {
  /** CLIP's context length: every text model row has 77 ids. */
  public static final int CONTEXT_LENGTH = 77;

  /** {@code <|startoftext|>}. */
  public static final int START_OF_TEXT = 49406;

  /** {@code <|endoftext|>}. */
  public static final int END_OF_TEXT = 49407;

  /** Ids run from 0 to 49407. */
  public static final int VOCAB_SIZE = 49408;

  static final String VOCAB_RESOURCE = "/ai/candle/clip/bpe_simple_vocab_16e6.txt.gz";

  /** The file holds more merges than CLIP uses: its vocabulary stops at 49,152 - 256 - 2. */
  private static final int MERGES = 49152 - 256 - 2;

  private static final String END_OF_WORD = "</w>";
  private static final String SOT_TEXT = "<|startoftext|>";
  private static final String EOT_TEXT = "<|endoftext|>";
  private static final int CACHE_LIMIT = 100_000;

  /**
   * CLIP's pattern. Cleaning leaves no Unicode White_Space but single spaces, so Java's ASCII
   * {@code \s} here acts as the Unicode one of Python's {@code regex}.
   */
  private static final Pattern PIECES =
      Pattern.compile(
          "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d"
              + "|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);

  private static final char[] BYTE_SYMBOLS = byteSymbols();

  private final Map<String, Integer> ids;
  private final Map<String, Integer> mergeRanks;
  private final Map<String, int[]> cache = new ConcurrentHashMap<>();

  private ClipTokenizer(Map<String, Integer> ids, Map<String, Integer> mergeRanks) {
    this.ids = ids;
    this.mergeRanks = mergeRanks;
  }

  /** The tokenizer with CLIP's vocabulary, read from this module's resources. */
  public static ClipTokenizer load() {
    InputStream in = ClipTokenizer.class.getResourceAsStream(VOCAB_RESOURCE);
    if (in == null) {
      throw new IllegalStateException(
          "CLIP's BPE vocabulary is not on the classpath at "
              + VOCAB_RESOURCE
              + "; it ships in the clip-encoders jar (src/main/resources), is that jar complete?");
    }
    return read(in, "classpath:" + VOCAB_RESOURCE);
  }

  /** Reads a gzipped merge list in the format of {@code bpe_simple_vocab_16e6.txt.gz}. */
  static ClipTokenizer read(InputStream gzipped, String source) {
    String text;
    try (InputStream in = new GZIPInputStream(gzipped)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read CLIP's BPE vocabulary from " + source, e);
    }
    String[] lines = text.split("\n", -1);
    if (lines.length < MERGES + 1) {
      throw new IllegalStateException(
          source
              + " has "
              + lines.length
              + " lines; CLIP's vocabulary needs a header and "
              + MERGES
              + " merges");
    }
    Map<String, Integer> ids = new HashMap<>(2 * VOCAB_SIZE);
    Map<String, Integer> ranks = new HashMap<>(2 * MERGES);
    List<String> vocab = new ArrayList<>(VOCAB_SIZE);
    char[] symbols = symbolsInIdOrder();
    for (char c : symbols) {
      vocab.add(String.valueOf(c));
    }
    for (char c : symbols) {
      vocab.add(c + END_OF_WORD);
    }
    for (int rank = 0; rank < MERGES; rank++) {
      String[] pair = lines[rank + 1].trim().split("\\s+");
      if (pair.length != 2) {
        throw new IllegalStateException(
            source + " line " + (rank + 2) + " is not a merge of two symbols: " + lines[rank + 1]);
      }
      ranks.put(pairKey(pair[0], pair[1]), rank); // a repeated pair keeps its last rank, as in CLIP
      vocab.add(pair[0] + pair[1]);
    }
    vocab.add(SOT_TEXT);
    vocab.add(EOT_TEXT);
    for (int id = 0; id < vocab.size(); id++) {
      ids.put(vocab.get(id), id); // a repeated symbol keeps its last id, as in CLIP
    }
    if (ids.get(SOT_TEXT) != START_OF_TEXT || ids.get(EOT_TEXT) != END_OF_TEXT) {
      throw new IllegalStateException(source + " does not give CLIP's special token ids");
    }
    return new ClipTokenizer(Map.copyOf(ids), Map.copyOf(ranks));
  }

  /**
   * {@code clip.tokenize} of one text: start token, the BPE ids, end token, zeros up to {@code
   * contextLength}.
   *
   * @param truncate what to do with a text too long for {@code contextLength}: keep its first ids
   *     and end with {@link #END_OF_TEXT} (true), or throw (false)
   * @throws IllegalArgumentException if the text is too long and {@code truncate} is false, or
   *     {@code contextLength < 1}
   */
  public int[] tokenize(String text, int contextLength, boolean truncate) {
    if (contextLength < 1) {
      throw new IllegalArgumentException("context length must be at least 1, got " + contextLength);
    }
    int[] bpe = encode(text);
    int length = bpe.length + 2;
    if (length > contextLength && !truncate) {
      throw new IllegalArgumentException(
          "text is "
              + length
              + " tokens long with its start and end tokens, more than the context length of "
              + contextLength
              + " (tokenize with truncate=true to cut it): \""
              + preview(text)
              + "\"");
    }
    int[] row = new int[contextLength];
    row[0] = START_OF_TEXT;
    System.arraycopy(bpe, 0, row, 1, Math.min(bpe.length, contextLength - 1));
    row[Math.min(length, contextLength) - 1] = END_OF_TEXT;
    return row;
  }

  /** {@link #tokenize(String, int, boolean)} with CLIP's 77 ids, throwing on a longer text. */
  public int[] tokenize(String text) {
    return tokenize(text, CONTEXT_LENGTH, false);
  }

  /** The BPE ids of a text, without start and end tokens ({@code SimpleTokenizer.encode}). */
  public int[] encode(String text) {
    Objects.requireNonNull(text, "text");
    Matcher m = PIECES.matcher(TextCleaner.clean(text));
    int[] out = new int[16];
    int n = 0;
    while (m.find()) {
      int[] piece = pieceIds(m.group());
      if (n + piece.length > out.length) {
        out = Arrays.copyOf(out, Math.max(2 * out.length, n + piece.length));
      }
      System.arraycopy(piece, 0, out, n, piece.length);
      n += piece.length;
    }
    return Arrays.copyOf(out, n);
  }

  private int[] pieceIds(String piece) {
    if (piece.equals(SOT_TEXT)) {
      return new int[] {START_OF_TEXT};
    }
    if (piece.equals(EOT_TEXT)) {
      return new int[] {END_OF_TEXT};
    }
    int[] cached = cache.get(piece);
    if (cached == null) {
      cached = bpe(piece);
      if (cache.size() >= CACHE_LIMIT) {
        cache.clear();
      }
      cache.put(piece, cached);
    }
    return cached;
  }

  /**
   * Byte symbols of the piece, then the best-ranked adjacent pair merged everywhere, until none is
   * left.
   */
  private int[] bpe(String piece) {
    byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
    List<String> word = new ArrayList<>(bytes.length);
    for (byte b : bytes) {
      word.add(String.valueOf(BYTE_SYMBOLS[b & 0xFF]));
    }
    word.set(word.size() - 1, word.get(word.size() - 1) + END_OF_WORD);
    while (word.size() > 1) {
      int best = bestPair(word);
      if (best < 0) {
        break;
      }
      word = mergeAll(word, word.get(best), word.get(best + 1));
    }
    int[] out = new int[word.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ids.get(word.get(i));
    }
    return out;
  }

  /** Index of the left symbol of the adjacent pair with the lowest merge rank, or -1. */
  private int bestPair(List<String> word) {
    int best = -1;
    int bestRank = Integer.MAX_VALUE;
    for (int i = 0; i + 1 < word.size(); i++) {
      Integer rank = mergeRanks.get(pairKey(word.get(i), word.get(i + 1)));
      if (rank != null && rank < bestRank) {
        bestRank = rank;
        best = i;
      }
    }
    return best;
  }

  /** Every non-overlapping occurrence of (first, second), left to right, joined into one symbol. */
  private static List<String> mergeAll(List<String> word, String first, String second) {
    List<String> merged = new ArrayList<>(word.size());
    int i = 0;
    while (i < word.size()) {
      if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
        merged.add(first + second);
        i += 2;
      } else {
        merged.add(word.get(i));
        i++;
      }
    }
    return merged;
  }

  /** Symbols never hold a space (the space byte is the symbol U+0120). */
  private static String pairKey(String first, String second) {
    return first + ' ' + second;
  }

  /**
   * GPT-2's {@code bytes_to_unicode}: printable Latin-1 bytes stand for themselves, the other 68
   * bytes take U+0100 onwards in byte order. Indexed by byte; ids follow {@link #symbolsInIdOrder}.
   */
  private static char[] byteSymbols() {
    char[] symbols = new char[256];
    int next = 0x100;
    for (int b = 0; b < 256; b++) {
      symbols[b] = printable(b) ? (char) b : (char) next++;
    }
    return symbols;
  }

  /**
   * The 256 byte symbols as CLIP numbers them: printable bytes first, then the others, each group
   * in byte order. The first group stands for itself (below U+0100) and the second was given U+0100
   * onwards in byte order, so this is simply ascending symbol order.
   */
  private static char[] symbolsInIdOrder() {
    char[] symbols = BYTE_SYMBOLS.clone();
    Arrays.sort(symbols);
    return symbols;
  }

  private static boolean printable(int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  }

  private static String preview(String text) {
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }
}
