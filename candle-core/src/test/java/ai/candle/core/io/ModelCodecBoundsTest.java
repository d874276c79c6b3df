package ai.candle.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.HyperParameters;
import ai.candle.core.io.ModelFormatException.Kind;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * Issue 19, item 6: what decoding a blob allocates is bounded by the blob's size. Hostile blobs
 * with a valid SHA-256 frame (anyone can compute it) announce huge payloads, inflate to far more
 * than a model compresses to, declare array shapes whose sizes overflow, or carry a header of
 * millions of JSON tokens: each is refused with a {@link ModelFormatException} that says what is
 * wrong, before the allocation it would have caused. Legitimate models stay well inside the bound.
 */
class ModelCodecBoundsTest {

  /**
   * Models as the trainer publishes them (untrained, extended, fitted-looking) compress far less
   * than 8x.
   */
  @Test
  void legitimateModelsCompressWellWithinTheBound() {
    Map<String, Double> ratios = new TreeMap<>();
    for (int dim : new int[] {16, 64, 512}) {
      for (int c : new int[] {1, 10, 100, 1000}) {
        if (dim == 512 && c == 1000) {
          continue; // the slowest shape; ModelCodecTest covers C=1000 at D=512
        }
        CandleModel untrained = untrained(c, dim);
        ratios.put(
            String.format("untrained D=%3d C=%4d", dim, c), ratio(ModelCodec.encode(untrained)));
        CandleModel extended =
            CandleFit.extend(untrained, List.of("extra"), gaussian(new Random(c), dim));
        ratios.put(
            String.format("extended  D=%3d C=%4d", dim, c), ratio(ModelCodec.encode(extended)));
        ratios.put(
            String.format("random    D=%3d C=%4d", dim, c),
            ratio(ModelCodec.encode(ModelCodecTest.randomModel(c, c / 2, dim, c))));
      }
    }
    ratios.forEach(
        (shape, ratio) ->
            System.out.printf("COMPRESSION %s: payload/compressed %.3f%n", shape, ratio));
    double worst = ratios.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    assertTrue(
        worst < ModelCodec.MAX_EXPANSION / 2.0,
        "worst ratio " + worst + " leaves room under the bound");
  }

  /**
   * The payload length announced in the header is checked against the compressed length before
   * inflating.
   */
  @Test
  void aHugeAnnouncedPayloadIsRefusedBeforeAnythingIsAllocated() {
    byte[] blob = frame(deflate(new byte[1000]), Integer.MAX_VALUE - 16); // with a valid SHA-256
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> ModelCodec.decode(blob));
    assertEquals(Kind.FORMAT, e.kind(), e.getMessage());
    assertTrue(
        e.getMessage().contains("announces a payload of 2147483631 bytes from"), e.getMessage());
    assertTrue(e.getMessage().contains("refusing to inflate it"), e.getMessage());
  }

  /** A zip bomb whose announced length is its true inflated length: refused by the ratio alone. */
  @Test
  void aPayloadThatInflatesFarBeyondAModelIsRefused() {
    int raw = 64 * 1024 * 1024;
    byte[] compressed = deflate(new byte[raw]);
    byte[] blob = frame(compressed, raw);
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> ModelCodec.decode(blob));
    assertEquals(Kind.FORMAT, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains("more than the 8x"), e.getMessage());
    // just inside the bound it is inflated, and then refused for what it holds
    byte[] inside = frame(deflate(new byte[8 * 1024]), 8 * 1024);
    assertEquals(
        Kind.INCONSISTENT,
        assertThrows(ModelFormatException.class, () -> ModelCodec.decode(inside)).kind());
  }

  /** Shapes whose element counts overflow a long (or an int) are refused, not allocated. */
  @Test
  void shapesWhoseSizesOverflowAreRefused() {
    for (long dim : new long[] {2_000_000_000L, 1_518_500_250L, 1L << 30, Integer.MAX_VALUE}) {
      ObjectNode h = header(small(), dim);
      ArrayNode arrays = h.putArray("arrays");
      for (String name : List.of("attn_in_proj_weight", "proj_image", "text_features")) {
        ObjectNode a = arrays.addObject().put("name", name);
        ArrayNode shape = a.putArray("shape");
        switch (name) {
          case "attn_in_proj_weight" -> shape.add(3 * dim).add(dim);
          case "proj_image" -> shape.add(dim).add(dim);
          default -> shape.add(7).add(dim);
        }
      }
      byte[] blob = ModelCodec.pack(h, List.of(new float[64]));
      ModelFormatException e =
          assertThrows(ModelFormatException.class, () -> ModelCodec.decode(blob), "dim " + dim);
      assertEquals(Kind.INCONSISTENT, e.kind());
      assertTrue(
          e.getMessage()
              .contains("array attn_in_proj_weight of shape [" + 3 * dim + ", " + dim + "] needs"),
          e.getMessage());
      assertTrue(e.getMessage().contains("floats, only 64 remain"), e.getMessage());
    }
  }

  /**
   * A header of millions of tokens is refused by a walk that builds nothing, before it becomes a
   * tree.
   */
  @Test
  void aHeaderWithMoreTokensThanTheBlobCanDescribeIsRefused() {
    ObjectNode h = header(small(), 16);
    ArrayNode padding = h.putArray("padding");
    for (int i = 0; i < 2_000_000; i++) {
      padding.add(i % 10);
    }
    // incompressible floats keep the payload within the 8x bound, so only the token count refuses
    // it
    float[] noise = gaussian(new Random(3), 600_000);
    byte[] blob = ModelCodec.pack(h, List.of(noise));
    assertTrue(ratio(blob) < ModelCodec.MAX_EXPANSION, "ratio " + ratio(blob));
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> ModelCodec.decode(blob));
    assertEquals(Kind.INCONSISTENT, e.kind());
    assertTrue(
        e.getMessage()
            .contains("JSON tokens, more than a " + blob.length + "-byte blob can describe"),
        e.getMessage());
  }

  /**
   * Deep nesting and over-long strings hit the header parser's limits: refused, never a
   * StackOverflowError.
   */
  @Test
  void deepOrLongHeadersAreRefused() {
    String deep = "{\"format\":\"candle-model\",\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    String longString =
        "{\"format\":\"candle-model\",\"x\":\""
            + "ab".repeat(ModelCodec.MAX_HEADER_STRING_CHARS)
            + "\"}";
    for (String json : List.of(deep, longString)) {
      float[] noise = gaussian(new Random(4), 400_000);
      byte[] blob = frame(payload(json.getBytes(StandardCharsets.UTF_8), noise));
      ModelFormatException e =
          assertThrows(ModelFormatException.class, () -> ModelCodec.decode(blob));
      assertTrue(
          e.getMessage().contains("the header is not valid JSON within the limits"),
          e.getMessage());
    }
  }

  /**
   * Thousands of mutations of a valid blob, each framed again with a valid SHA-256 (flipped bytes
   * in the compressed stream; nonsense in the payload, compressed again; cut payloads): decoding
   * either succeeds or fails with a ModelFormatException, never anything else.
   */
  @Test
  void everyMutationWithAValidChecksumFailsAsAModelFormatException() {
    byte[] valid = ModelCodec.encode(small());
    byte[] raw = inflated(valid);
    Random r = new Random(19);
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < 3000; i++) {
      byte[] blob;
      switch (i % 3) {
        case 0 -> {
          byte[] compressed = Arrays.copyOfRange(valid, ModelCodec.HEADER_BYTES, valid.length);
          for (int k = 0; k <= r.nextInt(4); k++) {
            compressed[r.nextInt(compressed.length)] ^= (byte) (1 + r.nextInt(255));
          }
          blob = frame(compressed, raw.length);
        }
        case 1 -> {
          byte[] nonsense = raw.clone();
          for (int k = 0; k <= r.nextInt(8); k++) {
            int at = r.nextInt(10) == 0 ? r.nextInt(4) : r.nextInt(nonsense.length);
            nonsense[at] = (byte) r.nextInt(256);
          }
          blob = frame(deflate(nonsense), nonsense.length);
        }
        default -> {
          byte[] cut = Arrays.copyOf(raw, r.nextInt(raw.length));
          blob = frame(deflate(cut), cut.length);
        }
      }
      byte[] mutated = blob;
      try {
        ModelCodec.decode(mutated);
        outcomes.merge("decoded", 1, Integer::sum);
      } catch (ModelFormatException e) {
        outcomes.merge(e.kind().name(), 1, Integer::sum);
      } catch (RuntimeException | Error e) {
        fail("mutation " + i + " failed with " + e, e);
      }
    }
    System.out.println("MUTATIONS with a valid checksum, by outcome: " + outcomes);
  }

  // ---------------------------------------------------------------- helpers

  private static CandleModel small() {
    return ModelCodecTest.randomModel(7, 4, 16, 42);
  }

  private static CandleModel untrained(int c, int dim) {
    List<String> names = IntStream.range(0, c).mapToObj(i -> "class-" + i).toList();
    return CandleFit.untrained(
        names, dim, gaussian(new Random(c * 31L + dim), c * dim), HyperParameters.adaptive());
  }

  /** The header of a valid blob of {@code m}, its width set to {@code dim}. */
  private static ObjectNode header(CandleModel m, long dim) {
    ObjectNode h = ModelCodec.unpack(ModelCodec.encode(m)).header().deepCopy();
    h.put("dim", dim);
    return h;
  }

  private static float[] gaussian(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static double ratio(byte[] blob) {
    ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    return (double) b.getInt(12) / b.getInt(16);
  }

  /**
   * A payload as the codec lays it out: the header's length, the header, the floats (not shuffled).
   */
  private static byte[] payload(byte[] json, float[] floats) {
    ByteBuffer p =
        ByteBuffer.allocate(4 + json.length + 4 * floats.length).order(ByteOrder.LITTLE_ENDIAN);
    p.putInt(json.length).put(json);
    p.asFloatBuffer().put(floats);
    return p.array();
  }

  private static byte[] inflated(byte[] blob) {
    try {
      java.util.zip.Inflater inf = new java.util.zip.Inflater();
      inf.setInput(blob, ModelCodec.HEADER_BYTES, blob.length - ModelCodec.HEADER_BYTES);
      byte[] out = new byte[ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).getInt(12)];
      int n = 0;
      while (!inf.finished()) {
        n += inf.inflate(out, n, out.length - n);
      }
      inf.end();
      return out;
    } catch (java.util.zip.DataFormatException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] deflate(byte[] raw) {
    Deflater d = new Deflater(Deflater.BEST_SPEED);
    d.setInput(raw);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    return out.toByteArray();
  }

  private static byte[] frame(byte[] raw) {
    return frame(deflate(raw), raw.length);
  }

  /**
   * A blob frame around {@code compressed} announcing {@code rawLength}, with the SHA-256 the codec
   * checks (over the first 20 bytes and the compressed payload): anyone can compute it, so it
   * proves nothing about the writer.
   */
  static byte[] frame(byte[] compressed, int rawLength) {
    ByteBuffer b =
        ByteBuffer.allocate(ModelCodec.HEADER_BYTES + compressed.length)
            .order(ByteOrder.LITTLE_ENDIAN);
    b.put(ModelCodec.MAGIC)
        .putInt(ModelCodec.FORMAT_VERSION)
        .putInt(rawLength)
        .putInt(compressed.length);
    b.position(ModelCodec.HEADER_BYTES);
    b.put(compressed);
    byte[] blob = b.array();
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(blob, 0, 20);
      md.update(blob, ModelCodec.HEADER_BYTES, compressed.length);
      System.arraycopy(md.digest(), 0, blob, 20, 32);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return blob;
  }
}
