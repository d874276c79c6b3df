package ai.candle.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.CandleModel;
import ai.candle.core.CandleParameters;
import ai.candle.core.FitStats;
import ai.candle.core.HyperParameters;
import ai.candle.core.ScoreWeights;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class ModelCodecTest {

  private static final Logger LOG = LoggerFactory.getLogger(ModelCodecTest.class);

  /** A model with arbitrary values: every array gets distinct random floats plus awkward ones. */
  static CandleModel randomModel(int c, int cb, int dim, long seed) {
    Random r = new Random(seed);
    int cn = c - cb;
    CandleParameters p =
        new CandleParameters(
            dim,
            cn,
            gauss(r, dim * dim, 1),
            gauss(r, dim * dim, 1),
            gauss(r, cn * dim, 8),
            gauss(r, 3 * dim * dim, 0.05),
            gauss(r, 3 * dim, 0.01),
            gauss(r, dim * dim, 0.05),
            gauss(r, dim, 0.01),
            gauss(r, dim, 1),
            gauss(r, dim, 0.1),
            (float) r.nextGaussian());
    float[] counts = new float[c];
    for (int j = 0; j < cb; j++) {
      counts[j] = 1 + r.nextInt(100);
    }
    HyperParameters hyper =
        HyperParameters.defaults()
            .withEpochs(7)
            .withScale(1.0)
            .withSeed(r.nextLong())
            .withLearningRate(1e-3 / 3);
    FitStats stats =
        new FitStats(
            List.of(2.5, 1.0 / 3, 0.125),
            List.of(0.1, 0.2, 0.3),
            0.6 + 1e-9,
            1234,
            "gpu(0)",
            33.75);
    List<String> names =
        IntStream.range(0, c).mapToObj(i -> "class_" + i + (i % 3 == 0 ? " é✓" : "")).toList();
    return new CandleModel(
        names,
        cb,
        dim,
        gauss(r, c * dim, 8),
        gauss(r, cb * dim, 10),
        counts,
        p,
        hyper,
        stats,
        new ScoreWeights(0.5, 0.05, 0.2, -1.5));
  }

  static float[] gauss(Random r, int n, double sd) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * sd);
    }
    return a;
  }

  private static CandleModel small() {
    CandleModel m = randomModel(7, 4, 16, 42);
    // values whose bits a lossy or text-based format would change
    float[] t = m.textFeatures();
    t[0] = -0.0f;
    t[1] = Float.MIN_VALUE;
    t[2] = Float.MAX_VALUE;
    t[3] = -Float.MIN_NORMAL / 3;
    t[4] = 0.1f;
    return m;
  }

  @Test
  void roundTripIsExact() {
    CandleModel m = small();
    CandleModel d = ModelCodec.decode(ModelCodec.encode(m));
    assertEquals(m.classNames(), d.classNames());
    assertEquals(m.baseClasses(), d.baseClasses());
    assertEquals(m.dim(), d.dim());
    assertBits(m.textFeatures(), d.textFeatures());
    assertBits(m.visualPrototypes(), d.visualPrototypes());
    assertBits(m.classCounts(), d.classCounts());
    for (var e : m.params().asMap().entrySet()) {
      assertBits(e.getValue(), d.params().asMap().get(e.getKey()), e.getKey());
    }
    assertEquals(m.params(), d.params());
    assertEquals(m.hyper(), d.hyper());
    assertEquals(m.stats(), d.stats());
    assertEquals("gpu(0)", d.stats().device());
    assertEquals(1.0, d.hyper().scale());
    assertEquals(100.0, d.hyper().logitScale());
  }

  @Test
  void encodingIsDeterministicAndChecksumIdentifiesTheModel() {
    byte[] a = ModelCodec.encode(small());
    byte[] b = ModelCodec.encode(small());
    assertArrayEquals(a, b);
    String sum = ModelCodec.checksum(a);
    assertTrue(sum.matches("[0-9a-f]{64}"), sum);
    CandleModel other = randomModel(7, 4, 16, 43);
    assertNotEquals(sum, ModelCodec.checksum(ModelCodec.encode(other)));
  }

  @Test
  void logPriorsFollowTheCompensatedCounts() {
    float[] lp = ModelCodec.logPriors(new float[] {0, 3, 6});
    assertEquals(Math.log(1.0 / 12), lp[0], 1e-6);
    assertEquals(Math.log(4.0 / 12), lp[1], 1e-6);
    assertEquals(Math.log(7.0 / 12), lp[2], 1e-6);
    // the blob stores them next to the counts
    byte[] blob = ModelCodec.encode(small());
    ModelCodec.Unpacked u = ModelCodec.unpack(blob);
    ArrayNode arrays = (ArrayNode) u.header().get("arrays");
    int offset = 0;
    for (var a : arrays) {
      long n = 1;
      for (var s : a.get("shape")) {
        n *= s.asLong();
      }
      if (a.get("name").asText().equals("log_prior")) {
        float[] stored = new float[(int) n];
        u.floats()
            .slice(offset * 4, (int) n * 4)
            .order(ByteOrder.LITTLE_ENDIAN)
            .asFloatBuffer()
            .get(stored);
        assertArrayEquals(ModelCodec.logPriors(small().classCounts()), stored);
        return;
      }
      offset += (int) n;
    }
    throw new AssertionError("no log_prior array in the blob");
  }

  @Test
  void truncatedBlobSaysSo() {
    byte[] blob = ModelCodec.encode(small());
    for (int len : new int[] {0, 7, 51, 52, blob.length / 2, blob.length - 1}) {
      byte[] cut = java.util.Arrays.copyOf(blob, len);
      var e = assertThrows(ModelFormatException.class, () -> ModelCodec.decode(cut));
      assertTrue(e.getMessage().contains("truncated"), len + ": " + e.getMessage());
      assertTrue(e.getMessage().contains("fetch"), e.getMessage());
    }
    byte[] longer = java.util.Arrays.copyOf(blob, blob.length + 3);
    var e = assertThrows(ModelFormatException.class, () -> ModelCodec.decode(longer));
    assertTrue(e.getMessage().contains("unexpected bytes"), e.getMessage());
  }

  @Test
  void flippedByteFailsTheChecksum() {
    byte[] blob = ModelCodec.encode(small());
    for (int at : new int[] {12, 52, blob.length / 2, blob.length - 1, 20}) {
      byte[] bad = blob.clone();
      bad[at] ^= 0x10;
      var e = assertThrows(ModelFormatException.class, () -> ModelCodec.decode(bad), "byte " + at);
      assertTrue(
          e.getMessage().contains("checksum mismatch")
              || e.getMessage().contains("header is corrupt"),
          at + ": " + e.getMessage());
      assertThrows(ModelFormatException.class, () -> ModelCodec.checksum(bad));
    }
    byte[] bad = blob.clone();
    bad[blob.length / 2] ^= 1;
    var e = assertThrows(ModelFormatException.class, () -> ModelCodec.decode(bad));
    assertTrue(e.getMessage().startsWith("model blob checksum mismatch"), e.getMessage());
  }

  /**
   * Readers tell failures apart by kind, not message: a scorer refuses a version whose blob fails
   * its SHA-256 as a checksum failure and leaves the frame's other failures to the decoder.
   */
  @Test
  void aChecksumFailureIsToldApartFromTheFrameFailuresByKind() {
    byte[] blob = ModelCodec.encode(small());
    byte[] flipped = blob.clone();
    flipped[blob.length / 2] ^= 1;
    assertEquals(
        ModelFormatException.Kind.CHECKSUM,
        assertThrows(ModelFormatException.class, () -> ModelCodec.checksum(flipped)).kind());
    assertEquals(
        ModelFormatException.Kind.CHECKSUM,
        assertThrows(ModelFormatException.class, () -> ModelCodec.decode(flipped)).kind());

    byte[] cut = java.util.Arrays.copyOf(blob, blob.length - 1);
    byte[] foreign = blob.clone();
    foreign[1] = 'X';
    byte[] newer = blob.clone();
    ByteBuffer.wrap(newer).order(ByteOrder.LITTLE_ENDIAN).putInt(8, ModelCodec.FORMAT_VERSION + 1);
    for (byte[] bad : List.of(cut, java.util.Arrays.copyOf(blob, 7), foreign, newer)) {
      assertEquals(
          ModelFormatException.Kind.FORMAT,
          assertThrows(ModelFormatException.class, () -> ModelCodec.checksum(bad)).kind());
    }
  }

  @Test
  void wrongMagicIsNotAModel() {
    byte[] blob = ModelCodec.encode(small());
    blob[1] = 'X';
    var e = assertThrows(ModelFormatException.class, () -> ModelCodec.decode(blob));
    assertTrue(e.getMessage().startsWith("not a Candle model blob"), e.getMessage());
    byte[] json =
        "{\"format\":\"candle-model\", \"padding\":\"................................................\"}"
            .getBytes();
    e = assertThrows(ModelFormatException.class, () -> ModelCodec.decode(json));
    assertTrue(e.getMessage().startsWith("not a Candle model blob"), e.getMessage());
  }

  @Test
  void futureVersionAsksForAnUpgrade() {
    byte[] blob = ModelCodec.encode(small());
    ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).putInt(8, ModelCodec.FORMAT_VERSION + 1);
    var e = assertThrows(ModelFormatException.class, () -> ModelCodec.decode(blob));
    assertTrue(e.getMessage().contains("version 2 is newer"), e.getMessage());
    assertTrue(e.getMessage().contains("upgrade candle-core"), e.getMessage());
    ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 0);
    e = assertThrows(ModelFormatException.class, () -> ModelCodec.decode(blob));
    assertTrue(e.getMessage().contains("version 0 is invalid"), e.getMessage());
  }

  /** Rewrites the header of a valid blob (with a valid checksum) and expects a clear rejection. */
  private static void assertInconsistent(Consumer<ObjectNode> edit, String expected) {
    assertInconsistent(edit, floats -> {}, expected);
  }

  private static void assertInconsistent(
      Consumer<ObjectNode> edit, Consumer<List<float[]>> editArrays, String expected) {
    CandleModel m = small();
    ModelCodec.Unpacked u = ModelCodec.unpack(ModelCodec.encode(m));
    ObjectNode h = u.header().deepCopy();
    edit.accept(h);
    float[] all = new float[u.floats().remaining() / 4];
    u.floats().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(all);
    List<float[]> arrays = new ArrayList<>(List.of(all));
    editArrays.accept(arrays);
    byte[] repacked = ModelCodec.pack(h, arrays);
    ModelCodec.checksum(repacked); // the frame is valid: only the contents are wrong
    var e = assertThrows(ModelFormatException.class, () -> ModelCodec.decode(repacked));
    assertTrue(e.getMessage().startsWith("model blob is inconsistent"), e.getMessage());
    assertEquals(ModelFormatException.Kind.INCONSISTENT, e.kind());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().contains("re-encode"), e.getMessage());
  }

  @Test
  void blobsWrittenBeforeTheImageScatterFieldDecodeAsUnmeasured() {
    CandleModel m = small();
    assertEquals(33.75, m.stats().imageScatter());
    ModelCodec.Unpacked u = ModelCodec.unpack(ModelCodec.encode(m));
    ObjectNode h = u.header().deepCopy();
    ((ObjectNode) h.get("fitStats")).remove("imageScatter");
    float[] all = new float[u.floats().remaining() / 4];
    u.floats().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(all);
    CandleModel old = ModelCodec.decode(ModelCodec.pack(h, List.of(all)));
    assertEquals(0.0, old.stats().imageScatter());
    assertEquals(m.stats().withImageScatter(0), old.stats());
    assertEquals(m.params(), old.params());
  }

  @Test
  void blobsWrittenBeforeSampledClassFitsDecodeAsNeverSampling() {
    CandleModel m = small();
    ModelCodec.Unpacked u = ModelCodec.unpack(ModelCodec.encode(m));
    ObjectNode h = u.header().deepCopy();
    ((ObjectNode) h.get("hyperParameters")).remove(List.of("sampledAbove", "sampledOthers"));
    float[] all = new float[u.floats().remaining() / 4];
    u.floats().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(all);
    CandleModel old = ModelCodec.decode(ModelCodec.pack(h, List.of(all)));
    // such fits attended over every class, however many
    assertEquals(m.hyper().withSampledAbove(0), old.hyper());
    assertEquals(m.params(), old.params());
  }

  @Test
  void blobsWrittenBeforeScoreWeightsDecodeAsZeroShot() {
    CandleModel m = small();
    ModelCodec.Unpacked u = ModelCodec.unpack(ModelCodec.encode(m));
    ObjectNode h = u.header().deepCopy();
    h.remove("scoreWeights");
    ((ObjectNode) h.get("hyperParameters"))
        .put("zeroShotWeight", 64.0); // the field that preceded them
    float[] all = new float[u.floats().remaining() / 4];
    u.floats().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(all);
    CandleModel old = ModelCodec.decode(ModelCodec.pack(h, List.of(all)));
    assertEquals(ScoreWeights.ZERO, old.weights());
    assertEquals(m.hyper(), old.hyper());
    assertInconsistent(
        x -> ((ObjectNode) x.get("scoreWeights")).put("textWeight", -1.0),
        "cannot read scoreWeights");
  }

  @Test
  void inconsistentShapesAreRejected() {
    // the unedited repack decodes: the helper itself is sound
    ModelCodec.Unpacked u = ModelCodec.unpack(ModelCodec.encode(small()));
    float[] all = new float[u.floats().remaining() / 4];
    u.floats().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(all);
    assertEquals(
        small().params(), ModelCodec.decode(ModelCodec.pack(u.header(), List.of(all))).params());

    assertInconsistent(
        h -> ((ArrayNode) h.get("arrays").get(0).get("shape")).set(0, 8),
        "text_features has shape [8, 16]");
    assertInconsistent(h -> h.put("dim", 8), "has shape");
    assertInconsistent(
        h -> h.put("baseClasses", 5), "visual_prototypes has shape [4, 16], expected [5, 16]");
    assertInconsistent(
        h -> ((ArrayNode) h.get("classNames")).add("extra"), "8 class names for numClasses=7");
    assertInconsistent(h -> h.put("baseClasses", 9), "out of range");
    assertInconsistent(h -> ((ArrayNode) h.get("arrays")).remove(4), "not described by the header");
    assertInconsistent(h -> h.put("scale", 0.25), "scale/logitScale");
    assertInconsistent(
        h -> ((ObjectNode) h.get("hyperParameters")).remove("epochs"),
        "cannot read hyperParameters");
    assertInconsistent(
        h -> ((ObjectNode) h.get("fitStats")).put("imageScatter", -1.0), "cannot read fitStats");
    assertInconsistent(
        h -> {}, a -> a.set(0, java.util.Arrays.copyOf(a.get(0), a.get(0).length - 1)), "only");
    // class_counts sit after text_features (7x16) and visual_prototypes (4x16)
    assertInconsistent(h -> {}, a -> a.get(0)[7 * 16 + 4 * 16] += 1, "log_prior[0]");
    assertInconsistent(h -> {}, a -> a.get(0)[5] = Float.NaN, "text_features[5] is NaN");
  }

  @Test
  void modelWithoutFitStatisticsRoundTrips() {
    CandleModel m = small();
    CandleModel bare =
        new CandleModel(
            m.classNames(),
            m.baseClasses(),
            m.dim(),
            m.textFeatures(),
            m.visualPrototypes(),
            m.classCounts(),
            m.params(),
            m.hyper(),
            new FitStats(List.of(), List.of(), 0, 0, null, 0),
            m.weights());
    CandleModel back = ModelCodec.decode(ModelCodec.encode(bare));
    assertEquals(bare.stats(), back.stats());
    assertEquals(null, back.stats().device());
  }

  @Test
  void duplicateClassNamesAreNotEncoded() {
    CandleModel m = small();
    List<String> names = new ArrayList<>(m.classNames());
    names.set(5, names.get(1));
    CandleModel dup =
        new CandleModel(
            names,
            m.baseClasses(),
            m.dim(),
            m.textFeatures(),
            m.visualPrototypes(),
            m.classCounts(),
            m.params(),
            m.hyper(),
            m.stats(),
            m.weights());
    var e = assertThrows(IllegalArgumentException.class, () -> ModelCodec.encode(dup));
    assertTrue(e.getMessage().contains("'class_1' appears twice"), e.getMessage());
  }

  @Test
  void nonFiniteModelIsNotEncoded() {
    CandleModel m = small();
    m.params().projText()[3] = Float.POSITIVE_INFINITY;
    var e = assertThrows(IllegalArgumentException.class, () -> ModelCodec.encode(m));
    assertTrue(e.getMessage().contains("proj_text[3] is Infinity"), e.getMessage());
  }

  @Test
  void thousandClassModelIsWellUnderTenMegabytes() {
    int c = 1000;
    int cb = 500;
    int d = 512;
    CandleModel m = trainedLooking(c, cb, d);
    long t0 = System.nanoTime();
    byte[] blob = ModelCodec.encode(m);
    long t1 = System.nanoTime();
    CandleModel back = ModelCodec.decode(blob);
    long t2 = System.nanoTime();
    long raw = 4L * (6L * d * d + 5L * d + 1 + (long) c * d + (long) c * d + 2L * c);
    LOG.info(
        "model blob C={} Cb={} D={}: {} bytes ({} MB; raw float32 {} MB, ratio {}), encode {} ms, decode {} ms",
        c,
        cb,
        d,
        blob.length,
        String.format("%.2f", blob.length / 1e6),
        String.format("%.2f", raw / 1e6),
        String.format("%.3f", (double) blob.length / raw),
        (t1 - t0) / 1_000_000,
        (t2 - t1) / 1_000_000);
    System.out.printf(
        "MODEL BLOB SIZE C=%d D=%d: %d bytes (%.2f MB)%n", c, d, blob.length, blob.length / 1e6);
    assertTrue(
        blob.length < 9_000_000, "blob of " + blob.length + " bytes is not well under 10 MB");
    assertEquals(m.params(), back.params());
    assertBits(m.textFeatures(), back.textFeatures());
  }

  /**
   * A 1000-class model whose values look like a fit's: projections near identity, attention weights
   * at their PyTorch initialisation, raw CLIP-like features, virtual prototypes near the new
   * classes' text features.
   */
  private static CandleModel trainedLooking(int c, int cb, int d) {
    Random r = new Random(7);
    float[] text = clipLike(r, c, d, 8);
    float[] visual = clipLike(r, cb, d, 10);
    float[] counts = new float[c];
    for (int j = 0; j < cb; j++) {
      counts[j] = Math.max(1, (int) (100 * Math.pow(0.01, j / (cb - 1.0))));
    }
    float[] projImage = nearIdentity(r, d);
    float[] projText = nearIdentity(r, d);
    float[] virtual = new float[(c - cb) * d];
    for (int i = 0; i < virtual.length; i++) {
      virtual[i] = text[cb * d + i] + (float) (r.nextGaussian() * 1e-3);
    }
    double xavier = Math.sqrt(6.0 / (d + 3 * d));
    double linear = 1 / Math.sqrt(d);
    CandleParameters p =
        new CandleParameters(
            d,
            c - cb,
            projImage,
            projText,
            virtual,
            uniform(r, 3 * d * d, xavier),
            gauss(r, 3 * d, 1e-3),
            uniform(r, d * d, linear),
            gauss(r, d, 1e-3),
            shifted(gauss(r, d, 1e-3), 1f),
            gauss(r, d, 1e-3),
            0.1f);
    List<String> names = IntStream.range(0, c).mapToObj(i -> "imagenet_class_" + i).toList();
    return new CandleModel(
        names,
        cb,
        d,
        text,
        visual,
        counts,
        p,
        HyperParameters.defaults(),
        new FitStats(List.of(3.0, 2.0), List.of(1.0, 1.0), 2.5, 10_000, "cpu()", 0.5),
        ScoreWeights.ZERO);
  }

  /** Rows of a given norm around a shared offset, as raw CLIP features are. */
  private static float[] clipLike(Random r, int rows, int d, double norm) {
    float[] offset = gauss(r, d, 1);
    float[] a = new float[rows * d];
    for (int i = 0; i < rows; i++) {
      double ss = 0;
      for (int k = 0; k < d; k++) {
        a[i * d + k] = offset[k] + (float) r.nextGaussian();
        ss += a[i * d + k] * a[i * d + k];
      }
      for (int k = 0; k < d; k++) {
        a[i * d + k] *= (float) (norm / Math.sqrt(ss));
      }
    }
    return a;
  }

  private static float[] nearIdentity(Random r, int d) {
    float[] a = gauss(r, d * d, 1e-3);
    for (int i = 0; i < d; i++) {
      a[i * d + i] += 1f;
    }
    return a;
  }

  private static float[] uniform(Random r, int n, double bound) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) ((2 * r.nextDouble() - 1) * bound);
    }
    return a;
  }

  private static float[] shifted(float[] a, float by) {
    for (int i = 0; i < a.length; i++) {
      a[i] += by;
    }
    return a;
  }

  private static void assertBits(float[] expected, float[] actual) {
    assertBits(expected, actual, "array");
  }

  private static void assertBits(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        throw new AssertionError(what + "[" + i + "]: " + expected[i] + " != " + actual[i]);
      }
    }
  }
}
