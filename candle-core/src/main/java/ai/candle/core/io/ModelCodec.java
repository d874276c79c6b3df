package ai.candle.core.io;

import ai.candle.core.CandleHead;
import ai.candle.core.CandleModel;
import ai.candle.core.CandleParameters;
import ai.candle.core.FitStats;
import ai.candle.core.HyperParameters;
import ai.candle.core.ScoreWeights;
import ai.candle.core.io.ModelFormatException.Kind;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The binary format of a fitted Candle model: one self-describing, versioned, checksummed,
 * compressed blob that holds everything a scorer needs.
 *
 * <h2>Layout (all integers little-endian)</h2>
 *
 * <pre>
 * offset  size  field
 *  0       8    magic: 0x89 'C' 'A' 'N' 'D' 'L' 'E' '\n'
 *  8       4    format version (int32, currently 1)
 * 12       4    payload length before compression (int32)
 * 16       4    payload length after compression (int32) = blob length - 52
 * 20      32    SHA-256 of bytes [0, 20) followed by the compressed payload
 * 52       ..   the payload, zlib-compressed ({@link Deflater}) after byte-shuffling
 * </pre>
 *
 * <p>The payload (before compression) is an int32 header length H, H bytes of UTF-8 JSON (the
 * header), then the arrays the header lists under {@code "arrays"}, in that order, each as raw
 * little-endian float32 values. The header holds the class names in model order, the base-class
 * count, the feature width, SCALE and the logit scale, all hyper-parameters, the fit statistics,
 * the device and the score weights (absent in blobs written before them: such a model scores as
 * zero-shot CLIP). The arrays are {@code text_features} [C,D], {@code visual_prototypes} [Cb,D],
 * {@code class_counts} [C], {@code log_prior} [C] (log π_j = log((n_j+1)/Σ_k(n_k+1)), see {@link
 * #logPriors(float[])}) and every learnt parameter under its {@link CandleParameters#NAMES name}.
 *
 * <p>Byte-shuffling stores the first byte of every float, then every second byte, and so on; the
 * sign/exponent bytes of similar floats are then alike and compress well. It changes no bit: a
 * decoded model equals the encoded one exactly.
 *
 * <p>Every read failure is a {@link ModelFormatException} whose message says what is wrong and what
 * to do.
 *
 * <h2>Bounded reading</h2>
 *
 * A blob may come from anyone who can write to the models topic, so what decoding allocates is
 * bounded by the blob's own size, and every bound is checked before the allocation it guards:
 *
 * <ul>
 *   <li>the announced payload length may be at most {@value #MAX_EXPANSION}× the compressed length
 *       plus {@value #EXPANSION_SLACK_BYTES} bytes (models are mostly float32 values that hardly
 *       compress; BENCHMARKS.md, "Hostile model versions", has the measured ratios), else the frame
 *       is refused ({@link ModelFormatException.Kind#FORMAT}) before anything is inflated;
 *   <li>the JSON header is walked once without building anything: at most {@value
 *       #HEADER_TOKENS_BASE} tokens plus one per {@value #BYTES_PER_HEADER_TOKEN} bytes of blob (a
 *       class name is one token and brings at least a row of text features), strings of at most
 *       {@value #MAX_HEADER_STRING_CHARS} characters, nesting at most {@value #MAX_HEADER_DEPTH}
 *       deep; only then is it parsed into a tree;
 *   <li>every array's shape is checked against the bytes that remain, without overflow, before the
 *       array is allocated; the float values are read straight from the inflated payload.
 * </ul>
 *
 * Decoding a blob of n bytes thus holds at most about {@value #MAX_EXPANSION}·n bytes of payload
 * plus the arrays it describes (as many bytes again at most) and a header tree proportional to n.
 */
public final class ModelCodec {

  /** The first eight bytes of every model blob. */
  static final byte[] MAGIC = {(byte) 0x89, 'C', 'A', 'N', 'D', 'L', 'E', '\n'};

  /** The format version this class writes and the newest it reads. */
  public static final int FORMAT_VERSION = 1;

  static final int HEADER_BYTES = 52;
  private static final int CHECKSUM_OFFSET = 20;
  private static final int CHECKSUM_BYTES = 32;

  /** Refuse to inflate payloads larger than this (a corrupt length must not exhaust memory). */
  private static final int MAX_PAYLOAD_BYTES = Integer.MAX_VALUE - 16;

  /** The most a payload may announce per compressed byte (see "Bounded reading"). */
  static final int MAX_EXPANSION = 8;

  /** Room beyond {@link #MAX_EXPANSION} for tiny models, whose JSON header compresses best. */
  static final int EXPANSION_SLACK_BYTES = 64 * 1024;

  /** Header tokens always allowed: fields, the array list, fit statistics per epoch. */
  static final int HEADER_TOKENS_BASE = 50_000;

  /** One more header token allowed per this many bytes of blob. */
  static final int BYTES_PER_HEADER_TOKEN = 32;

  /** The longest string in a header (class names are far shorter). */
  static final int MAX_HEADER_STRING_CHARS = 1 << 20;

  /** The deepest nesting of a header (it is 3 deep). */
  static final int MAX_HEADER_DEPTH = 16;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Parses headers of blobs being read, with Jackson's own limits set to the bounds above. */
  private static final ObjectMapper HEADER_READER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder()
                      .maxStringLength(MAX_HEADER_STRING_CHARS)
                      .maxNestingDepth(MAX_HEADER_DEPTH)
                      .build())
              .build());

  private ModelCodec() {}

  /**
   * Encodes a model.
   *
   * @throws IllegalArgumentException if the model holds a non-finite value or a duplicate or blank
   *     class name: such a model must not be published
   */
  public static byte[] encode(CandleModel m) {
    checkNames(m.classNames(), IllegalArgumentException::new);
    Map<String, float[]> arrays = arraysOf(m);
    for (Map.Entry<String, float[]> e : arrays.entrySet()) {
      int bad = firstNonFinite(e.getValue());
      if (bad >= 0) {
        throw new IllegalArgumentException(
            "refusing to encode a model whose "
                + e.getKey()
                + "["
                + bad
                + "] is "
                + e.getValue()[bad]
                + "; the fit diverged or its inputs held non-finite values: refit with a lower"
                + " learning rate or clean the features");
      }
    }
    ObjectNode header = JSON.createObjectNode();
    header.put("format", "candle-model");
    header.put("dim", m.dim());
    header.put("numClasses", m.numClasses());
    header.put("baseClasses", m.baseClasses());
    header.put("scale", m.hyper().scale());
    header.put("logitScale", m.hyper().logitScale());
    header.put("device", m.stats().device());
    ArrayNode names = header.putArray("classNames");
    m.classNames().forEach(names::add);
    header.set("hyperParameters", JSON.valueToTree(m.hyper()));
    header.set("fitStats", JSON.valueToTree(m.stats()));
    header.set("scoreWeights", JSON.valueToTree(m.weights()));
    ArrayNode list = header.putArray("arrays");
    for (Map.Entry<String, float[]> e : arrays.entrySet()) {
      ObjectNode a = list.addObject();
      a.put("name", e.getKey());
      ArrayNode shape = a.putArray("shape");
      for (long s : shapeOf(e.getKey(), m.numClasses(), m.baseClasses(), m.dim())) {
        shape.add(s);
      }
    }
    return pack(header, new ArrayList<>(arrays.values()));
  }

  /**
   * Decodes and validates a blob written by {@link #encode}.
   *
   * @throws ModelFormatException if the blob is not a Candle model, is truncated or corrupt, was
   *     written by a newer format version, or its contents are inconsistent
   */
  public static CandleModel decode(byte[] blob) {
    Unpacked u = unpack(blob);
    JsonNode h = u.header;
    int dim = intField(h, "dim");
    int c = intField(h, "numClasses");
    int cb = intField(h, "baseClasses");
    if (dim < 1 || c < 1 || cb < 0 || cb > c) {
      throw inconsistent(
          "dim=" + dim + ", numClasses=" + c + ", baseClasses=" + cb + " are out of range");
    }
    List<String> names = new ArrayList<>();
    JsonNode namesNode = h.get("classNames");
    if (namesNode == null || !namesNode.isArray()) {
      throw inconsistent("the header has no classNames list");
    }
    namesNode.forEach(n -> names.add(n.asText()));
    if (names.size() != c) {
      throw inconsistent("the header lists " + names.size() + " class names for numClasses=" + c);
    }
    checkNames(names, ModelCodec::inconsistent);
    Map<String, float[]> arrays = readArrays(u, c, cb, dim);
    JsonNode hyperNode = h.get("hyperParameters");
    if (hyperNode instanceof ObjectNode o && !o.has("sampledAbove")) {
      // written before fits could sample classes: every such fit attended over all of them
      o.put("sampledAbove", 0);
      o.put("sampledOthers", HyperParameters.DEFAULT_SAMPLED_OTHERS);
    }
    HyperParameters hyper = treeToValue(h, "hyperParameters", HyperParameters.class);
    JsonNode fitStats = h.get("fitStats");
    if (fitStats instanceof ObjectNode o && !o.has("imageScatter")) {
      o.put(
          "imageScatter",
          0.0); // written before the field existed: unmeasured, GaussianPrior estimates it
    }
    FitStats stats = treeToValue(h, "fitStats", FitStats.class);
    // written before scores were zero-shot CLIP plus weighted corrections: serve it as zero-shot
    ScoreWeights weights =
        h.has("scoreWeights")
            ? treeToValue(h, "scoreWeights", ScoreWeights.class)
            : ScoreWeights.ZERO;
    if (Double.compare(hyper.scale(), doubleField(h, "scale")) != 0
        || Double.compare(hyper.logitScale(), doubleField(h, "logitScale")) != 0) {
      throw inconsistent("scale/logitScale in the header differ from the hyper-parameters");
    }
    JsonNode device = h.get("device");
    String headerDevice = device == null || device.isNull() ? null : device.asText();
    if (!java.util.Objects.equals(stats.device(), headerDevice)) {
      throw inconsistent(
          "device in the header ("
              + headerDevice
              + ") differs from the fit statistics ("
              + stats.device()
              + ")");
    }
    float[] counts = arrays.get("class_counts");
    for (int j = 0; j < c; j++) {
      if (counts[j] < 0) {
        throw inconsistent("class_counts[" + j + "] = " + counts[j] + " is negative");
      }
    }
    float[] expected = logPriors(counts);
    float[] stored = arrays.get("log_prior");
    for (int j = 0; j < c; j++) {
      if (Math.abs(expected[j] - stored[j]) > 1e-5f * Math.max(1f, Math.abs(expected[j]))) {
        throw inconsistent(
            "log_prior[" + j + "] = " + stored[j] + " but the class counts give " + expected[j]);
      }
    }
    try {
      CandleParameters params = CandleParameters.fromMap(dim, c - cb, arrays);
      return new CandleModel(
          names,
          cb,
          dim,
          arrays.get("text_features"),
          arrays.get("visual_prototypes"),
          counts,
          params,
          hyper,
          stats,
          weights);
    } catch (IllegalArgumentException e) {
      throw inconsistent(e.getMessage());
    }
  }

  /**
   * The SHA-256 stored in a blob, as 64 lower-case hex digits, after checking that it matches the
   * blob's contents. Equal models encode to equal checksums.
   *
   * @throws ModelFormatException if the blob is not a Candle model or is truncated or corrupt
   */
  public static String checksum(byte[] blob) {
    checkFrame(blob);
    return HexFormat.of().formatHex(blob, CHECKSUM_OFFSET, CHECKSUM_OFFSET + CHECKSUM_BYTES);
  }

  /**
   * The log-priors of the compensating logit-adjusted loss: {@code log π_j = log((n_j + 1) / Σ_k
   * (n_k + 1))}, computed in double precision: the same priors the fit used ({@link
   * CandleHead#logPrior}).
   */
  public static float[] logPriors(float[] classCounts) {
    return CandleHead.logPrior(classCounts);
  }

  // ---------------------------------------------------------------- writing

  private static Map<String, float[]> arraysOf(CandleModel m) {
    Map<String, float[]> arrays = new LinkedHashMap<>();
    arrays.put("text_features", m.textFeatures());
    arrays.put("visual_prototypes", m.visualPrototypes());
    arrays.put("class_counts", m.classCounts());
    arrays.put("log_prior", logPriors(m.classCounts()));
    arrays.putAll(m.params().asMap());
    return arrays;
  }

  private static long[] shapeOf(String name, int c, int cb, int dim) {
    return switch (name) {
      case "text_features" -> new long[] {c, dim};
      case "visual_prototypes" -> new long[] {cb, dim};
      case "class_counts", "log_prior" -> new long[] {c};
      case "proj_image", "proj_text", "attn_out_proj_weight" -> new long[] {dim, dim};
      case "virtual_prototypes" -> new long[] {c - cb, dim};
      case "attn_in_proj_weight" -> new long[] {3L * dim, dim};
      case "attn_in_proj_bias" -> new long[] {3L * dim};
      case "attn_out_proj_bias", "norm_weight", "norm_bias" -> new long[] {dim};
      case "ratio" -> new long[] {1};
      default -> null;
    };
  }

  /** Builds a blob from a header and the arrays it lists (package-private for tests). */
  static byte[] pack(ObjectNode header, List<float[]> arrays) {
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(header);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the model header", e);
    }
    long floats = arrays.stream().mapToLong(a -> a.length).sum();
    long size = 4L + json.length + 4L * floats;
    if (size > MAX_PAYLOAD_BYTES) {
      throw new IllegalArgumentException("model too large for one blob: " + size + " bytes");
    }
    ByteBuffer payload = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    payload.putInt(json.length).put(json);
    for (float[] a : arrays) {
      payload.asFloatBuffer().put(a);
      payload.position(payload.position() + 4 * a.length);
    }
    byte[] raw = payload.array();
    byte[] compressed = deflate(shuffle(raw, 4 + json.length));
    ByteBuffer blob =
        ByteBuffer.allocate(HEADER_BYTES + compressed.length).order(ByteOrder.LITTLE_ENDIAN);
    blob.put(MAGIC).putInt(FORMAT_VERSION).putInt(raw.length).putInt(compressed.length);
    blob.position(HEADER_BYTES);
    blob.put(compressed);
    byte[] out = blob.array();
    System.arraycopy(digest(out), 0, out, CHECKSUM_OFFSET, CHECKSUM_BYTES);
    return out;
  }

  private static byte[] deflate(byte[] raw) {
    Deflater d = new Deflater(Deflater.BEST_SPEED);
    try {
      d.setInput(raw);
      d.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 2 + 64);
      byte[] buf = new byte[1 << 16];
      while (!d.finished()) {
        int n = d.deflate(buf);
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } finally {
      d.end();
    }
  }

  /**
   * Byte-shuffles the float section that starts at {@code from}: all bytes 0 of the floats, then
   * all bytes 1, 2 and 3. The bytes before {@code from} stay where they are.
   */
  static byte[] shuffle(byte[] raw, int from) {
    byte[] out = raw.clone();
    int n = (raw.length - from) / 4;
    for (int i = 0; i < n; i++) {
      for (int b = 0; b < 4; b++) {
        out[from + b * n + i] = raw[from + 4 * i + b];
      }
    }
    return out;
  }

  static byte[] unshuffle(byte[] shuffled, int from) {
    byte[] out = shuffled.clone();
    int n = (shuffled.length - from) / 4;
    for (int i = 0; i < n; i++) {
      for (int b = 0; b < 4; b++) {
        out[from + 4 * i + b] = shuffled[from + b * n + i];
      }
    }
    return out;
  }

  private static byte[] digest(byte[] blob) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(blob, 0, CHECKSUM_OFFSET);
      md.update(blob, HEADER_BYTES, blob.length - HEADER_BYTES);
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * A checked blob taken apart (package-private for tests): its JSON header and its float section,
   * still byte-shuffled: {@code count} floats from {@code shuffled[from]}, byte {@code b} of float
   * {@code i} at {@code from + b * count + i}. Decoding reads the floats from there, so the payload
   * is held once.
   */
  record Unpacked(ObjectNode header, byte[] shuffled, int from, int count) {

    /** The float {@code i} of the section. */
    float floatAt(int i) {
      return Float.intBitsToFloat(
          (shuffled[from + i] & 0xff)
              | (shuffled[from + count + i] & 0xff) << 8
              | (shuffled[from + 2 * count + i] & 0xff) << 16
              | (shuffled[from + 3 * count + i] & 0xff) << 24);
    }

    /** The float section unshuffled, little-endian (a copy, for tests). */
    ByteBuffer floats() {
      byte[] raw = unshuffle(Arrays.copyOfRange(shuffled, from, from + 4 * count), 0);
      return ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  /**
   * Checks the frame: size, magic, version, lengths and checksum. Returns the uncompressed length.
   */
  private static int checkFrame(byte[] blob) {
    if (blob == null || blob.length < HEADER_BYTES) {
      throw new ModelFormatException(
          Kind.FORMAT,
          "model blob is truncated: "
              + (blob == null ? "null" : blob.length + " bytes")
              + ", shorter than the "
              + HEADER_BYTES
              + "-byte header; the record was cut short in"
              + " transit or storage: fetch the model version again");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (blob[i] != MAGIC[i]) {
        throw new ModelFormatException(
            Kind.FORMAT,
            "not a Candle model blob: the first bytes are "
                + HexFormat.ofDelimiter(" ").formatHex(blob, 0, MAGIC.length)
                + ", expected "
                + HexFormat.ofDelimiter(" ").formatHex(MAGIC)
                + " (\\x89CANDLE\\n); check that"
                + " the topic or file holds models written by ModelCodec.encode");
      }
    }
    ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    int version = b.getInt(8);
    if (version > FORMAT_VERSION) {
      throw new ModelFormatException(
          Kind.FORMAT,
          "model format version "
              + version
              + " is newer than this library reads (up to "
              + FORMAT_VERSION
              + "); upgrade candle-core on this service to read it");
    }
    if (version < 1) {
      throw new ModelFormatException(
          Kind.FORMAT,
          "model format version "
              + version
              + " is invalid (versions start at 1); the blob is"
              + " corrupt: fetch the model version again");
    }
    int rawLength = b.getInt(12);
    int compressedLength = b.getInt(16);
    long expected = (long) HEADER_BYTES + compressedLength;
    if (compressedLength < 0 || rawLength < 4 || rawLength > MAX_PAYLOAD_BYTES) {
      throw new ModelFormatException(
          Kind.FORMAT,
          "model blob header is corrupt (payload lengths "
              + rawLength
              + "/"
              + compressedLength
              + "); fetch the model version again");
    }
    if (rawLength > maxPayloadBytes(compressedLength)) {
      throw new ModelFormatException(
          Kind.FORMAT,
          "model blob announces a payload of "
              + rawLength
              + " bytes from "
              + compressedLength
              + " compressed bytes, more than the "
              + MAX_EXPANSION
              + "x (+"
              + EXPANSION_SLACK_BYTES
              + " bytes) a model compresses to; the blob is corrupt or was not written by"
              + " ModelCodec.encode: refusing to inflate it");
    }
    if (blob.length < expected) {
      throw new ModelFormatException(
          Kind.FORMAT,
          "model blob is truncated: "
              + blob.length
              + " bytes, the header announces "
              + expected
              + "; the record was cut short in transit or storage (check max.message.bytes /"
              + " max.request.size / max.partition.fetch.bytes, or chunking): fetch it again");
    }
    if (blob.length > expected) {
      throw new ModelFormatException(
          Kind.FORMAT,
          "model blob has "
              + (blob.length - expected)
              + " unexpected bytes after its end ("
              + blob.length
              + " bytes, the header announces "
              + expected
              + "); the record was"
              + " corrupted or two blobs were concatenated: fetch it again");
    }
    byte[] actual = digest(blob);
    if (!Arrays.equals(
        actual, 0, CHECKSUM_BYTES, blob, CHECKSUM_OFFSET, CHECKSUM_OFFSET + CHECKSUM_BYTES)) {
      throw new ModelFormatException(
          Kind.CHECKSUM,
          "model blob checksum mismatch: stored SHA-256 "
              + HexFormat.of().formatHex(blob, CHECKSUM_OFFSET, CHECKSUM_OFFSET + CHECKSUM_BYTES)
              + ", contents hash to "
              + HexFormat.of().formatHex(actual)
              + "; the blob was corrupted in transit or storage: fetch the model version again");
    }
    return rawLength;
  }

  /**
   * The most payload bytes a blob of {@code compressedLength} compressed bytes may announce: a
   * bound on what inflating it allocates ("Bounded reading").
   */
  static long maxPayloadBytes(int compressedLength) {
    return (long) MAX_EXPANSION * compressedLength + EXPANSION_SLACK_BYTES;
  }

  /** Checks a blob and takes it apart (package-private for tests). */
  static Unpacked unpack(byte[] blob) {
    int rawLength = checkFrame(blob);
    byte[] shuffled = inflate(blob, rawLength);
    ByteBuffer p = ByteBuffer.wrap(shuffled).order(ByteOrder.LITTLE_ENDIAN);
    int jsonLength = p.getInt(0);
    if (jsonLength < 2 || jsonLength > rawLength - 4 || (rawLength - 4 - jsonLength) % 4 != 0) {
      throw inconsistent(
          "header length " + jsonLength + " does not fit a payload of " + rawLength + " bytes");
    }
    ObjectNode header = readHeader(shuffled, jsonLength, blob.length);
    return new Unpacked(header, shuffled, 4 + jsonLength, (rawLength - 4 - jsonLength) / 4);
  }

  /** Inflates the payload into an array of the announced length, checked by the frame. */
  private static byte[] inflate(byte[] blob, int rawLength) {
    byte[] shuffled = new byte[rawLength];
    Inflater inf = new Inflater();
    try {
      inf.setInput(blob, HEADER_BYTES, blob.length - HEADER_BYTES);
      int n = 0;
      while (n < rawLength && !inf.finished()) {
        int k = inf.inflate(shuffled, n, rawLength - n);
        if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
          break;
        }
        n += k;
      }
      if (n != rawLength || !inf.finished()) {
        throw new ModelFormatException(
            Kind.INCONSISTENT,
            "model payload decompresses to "
                + (inf.finished() ? n : "more than " + n)
                + " bytes, the header announces "
                + rawLength
                + "; the blob was written"
                + " incorrectly: re-encode the model with ModelCodec.encode");
      }
      return shuffled;
    } catch (DataFormatException e) {
      throw new ModelFormatException(
          Kind.INCONSISTENT,
          "model payload is not valid zlib data ("
              + e.getMessage()
              + "); the blob was written"
              + " incorrectly: re-encode the model with ModelCodec.encode",
          e);
    } finally {
      inf.end();
    }
  }

  /**
   * Parses the JSON header at {@code payload[4, 4 + length)}: first walked token by token without
   * building anything, to refuse one with more tokens than a blob of {@code blobLength} bytes can
   * describe, then parsed into a tree.
   */
  private static ObjectNode readHeader(byte[] payload, int length, int blobLength) {
    long budget = HEADER_TOKENS_BASE + (long) blobLength / BYTES_PER_HEADER_TOKEN;
    JsonNode header;
    try {
      long tokens = 0;
      try (JsonParser walk = HEADER_READER.createParser(payload, 4, length)) {
        while (walk.nextToken() != null) {
          if (++tokens > budget) {
            throw inconsistent(
                "the header has more than "
                    + budget
                    + " JSON tokens, more than a "
                    + blobLength
                    + "-byte blob can describe");
          }
        }
      }
      header = HEADER_READER.readTree(HEADER_READER.createParser(payload, 4, length));
    } catch (IOException e) {
      String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw inconsistent("the header is not valid JSON within the limits (" + why + ")");
    }
    if (!(header instanceof ObjectNode obj)
        || !"candle-model".equals(header.path("format").asText())) {
      throw inconsistent("the header is not a candle-model header");
    }
    return obj;
  }

  private static Map<String, float[]> readArrays(Unpacked u, int c, int cb, int dim) {
    JsonNode list = u.header().get("arrays");
    if (list == null || !list.isArray()) {
      throw inconsistent("the header has no arrays list");
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    int next = 0;
    for (JsonNode a : list) {
      String name = a.path("name").asText("");
      long[] want = shapeOf(name, c, cb, dim);
      if (want == null) {
        throw inconsistent("unknown array '" + name + "'");
      }
      long[] got = new long[a.path("shape").size()];
      for (int i = 0; i < got.length; i++) {
        got[i] = a.path("shape").get(i).asLong(-1);
      }
      if (!Arrays.equals(want, got)) {
        throw inconsistent(
            "array "
                + name
                + " has shape "
                + Arrays.toString(got)
                + ", expected "
                + Arrays.toString(want)
                + " for "
                + c
                + " classes ("
                + cb
                + " base) of width "
                + dim);
      }
      if (out.containsKey(name)) {
        throw inconsistent("array " + name + " appears twice");
      }
      int count = elementsWithin(name, want, u.count() - next);
      float[] values = new float[count];
      for (int i = 0; i < count; i++) {
        values[i] = u.floatAt(next + i);
      }
      next += count;
      int bad = firstNonFinite(values);
      if (bad >= 0) {
        throw inconsistent(name + "[" + bad + "] is " + values[bad] + ", not a finite number");
      }
      out.put(name, values);
    }
    if (next < u.count()) {
      throw inconsistent(
          4L * (u.count() - next) + " bytes of array data are not described by the header");
    }
    List<String> required =
        new ArrayList<>(List.of("text_features", "visual_prototypes", "class_counts", "log_prior"));
    required.addAll(List.of(CandleParameters.NAMES));
    for (String r : required) {
      if (!out.containsKey(r)) {
        throw inconsistent("array " + r + " is missing");
      }
    }
    return out;
  }

  /**
   * The number of elements of an array of shape {@code shape}, checked against the {@code
   * remaining} floats of the payload before anything is allocated (a product that overflows counts
   * as too many).
   */
  private static int elementsWithin(String name, long[] shape, int remaining) {
    long count = 1;
    try {
      for (long s : shape) {
        count = Math.multiplyExact(count, s);
      }
    } catch (ArithmeticException e) {
      count = Long.MAX_VALUE;
    }
    if (count > remaining) {
      throw inconsistent(
          "array "
              + name
              + " of shape "
              + Arrays.toString(shape)
              + " needs "
              + (count == Long.MAX_VALUE ? "more than 2^63" : Long.toString(count))
              + " floats, only "
              + remaining
              + " remain");
    }
    return (int) count;
  }

  private static <T> T treeToValue(JsonNode h, String field, Class<T> type) {
    JsonNode n = h.get(field);
    if (n == null || !n.isObject()) {
      throw inconsistent("the header has no " + field);
    }
    try {
      return JSON.treeToValue(n, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new ModelFormatException(
          Kind.INCONSISTENT,
          "model blob is inconsistent: cannot read "
              + field
              + " ("
              + e.getMessage().lines().findFirst().orElse("")
              + "); it was written by an incompatible encoder: re-encode the model with"
              + " ModelCodec.encode",
          e);
    }
  }

  private static int intField(JsonNode h, String name) {
    JsonNode n = h.get(name);
    if (n == null || !n.canConvertToInt() || !n.isIntegralNumber()) {
      throw inconsistent("the header field " + name + " is missing or not an integer");
    }
    return n.intValue();
  }

  private static double doubleField(JsonNode h, String name) {
    JsonNode n = h.get(name);
    if (n == null || !n.isNumber()) {
      throw inconsistent("the header field " + name + " is missing or not a number");
    }
    return n.doubleValue();
  }

  private static ModelFormatException inconsistent(String what) {
    return new ModelFormatException(
        Kind.INCONSISTENT,
        "model blob is inconsistent: "
            + what
            + "; it was written by a faulty or incompatible"
            + " encoder: re-encode the model with ModelCodec.encode");
  }

  private static <E extends RuntimeException> void checkNames(
      List<String> names, java.util.function.Function<String, E> error) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      if (n == null || n.isBlank()) {
        throw error.apply("class name " + i + " is blank");
      }
      if (!seen.add(n)) {
        throw error.apply("class name '" + n + "' appears twice (again at index " + i + ")");
      }
    }
  }

  private static int firstNonFinite(float[] a) {
    for (int i = 0; i < a.length; i++) {
      if (!Float.isFinite(a[i])) {
        return i;
      }
    }
    return -1;
  }
}
