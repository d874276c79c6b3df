package ai.candle.streams.it;

import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.HyperParameters;
import ai.candle.core.io.ModelCodec;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ModelChunk;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.VersionChunks;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.zip.Deflater;

/**
 * Issue 19, item 6: seeded hostile records for the models topic, each with the refusal reason a
 * scorer must count it under ({@code candle.model.refused{reason}}). Anyone who can write to the
 * topic can compute the codec's SHA-256 frame and a record's checksum, so most of them carry valid
 * ones: random bytes, Avro headers on garbage, truncated records and blobs, payloads that announce
 * 2 GB, zip bombs, valid frames over nonsense, array shapes whose sizes overflow, headers of
 * millions of JSON tokens, altered parameters, another width, chunks, class lists that contradict
 * the model.
 */
final class HostileModels {

  /** What a hostile record is, and the reason tag a scorer refuses it with. */
  enum Kind {
    RANDOM_BYTES("not_schema"),
    AVRO_HEADER_ON_GARBAGE("not_schema"),
    TRUNCATED_RECORD("not_schema"),
    TRUNCATED_BLOB("undecodable"),
    HUGE_ANNOUNCED_PAYLOAD("undecodable"),
    ZIP_BOMB("undecodable"),
    NONSENSE_WITH_VALID_FRAME("undecodable"),
    OVERFLOWING_SHAPES("undecodable"),
    HEADER_TOKEN_BOMB("undecodable"),
    CLASS_LIST_MISMATCH("undecodable"),
    ALTERED_PARAMETERS("checksum"),
    OTHER_WIDTH("width"),
    CHUNKED("chunked");

    final String reason;

    Kind(String reason) {
      this.reason = reason;
    }
  }

  /**
   * One record to send: its value, what it is, and its version (-1 where it is not a ModelVersion).
   */
  record Hostile(Kind kind, long version, byte[] value) {}

  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);
  private static final int HEADER_BYTES = 52;

  /** Kinds whose records are large (megabytes, or costly to make): only a few of each. */
  private static final Map<Kind, Integer> FEW =
      Map.of(Kind.ZIP_BOMB, 10, Kind.HEADER_TOKEN_BOMB, 4, Kind.HUGE_ANNOUNCED_PAYLOAD, 20);

  private final Random random;
  private final int width;
  private final CandleModel model;
  private final byte[] blob;
  private final byte[] payload;
  private final ModelVersion base;
  private byte[] zipBomb;
  private byte[] tokenBomb;
  private int tokenBombLength;

  HostileModels(long seed, int width, int classes) {
    this.random = new Random(seed);
    this.width = width;
    List<String> names =
        IntStream.range(0, classes).mapToObj(i -> "hostile-model-class-" + i).toList();
    this.model =
        CandleFit.untrained(names, width, gaussian(classes * width), HyperParameters.adaptive());
    this.base =
        ModelVersions.toRecord(
            model, 0, Instant.now(), "hostile", ModelVersions.Origin.EXTEND, Map.of(), Map.of());
    this.blob = ModelCodec.encode(model);
    this.payload = inflate(blob);
  }

  /**
   * {@code count} hostile records in a seeded order, their versions {@code firstVersion} upwards in
   * that order; the last one, the highest version, announces a 2 GB payload (the record a trainer's
   * recovery decodes).
   */
  List<Hostile> generate(int count, long firstVersion) {
    List<Kind> kinds = new ArrayList<>();
    Map<Kind, Integer> left = new EnumMap<>(FEW);
    while (kinds.size() < count - 1) {
      Kind k = Kind.values()[random.nextInt(Kind.values().length)];
      if (left.getOrDefault(k, Integer.MAX_VALUE) > 0) {
        left.computeIfPresent(k, (x, n) -> n - 1);
        kinds.add(k);
      }
    }
    kinds.add(Kind.HUGE_ANNOUNCED_PAYLOAD);
    List<Hostile> out = new ArrayList<>(count);
    long version = firstVersion;
    for (Kind k : kinds) {
      boolean versioned = !k.reason.equals("not_schema");
      out.add(new Hostile(k, versioned ? version : -1, make(k, version)));
      if (versioned) {
        version++;
      }
    }
    return out;
  }

  private byte[] make(Kind kind, long version) {
    return switch (kind) {
      case RANDOM_BYTES -> bytes(1 + random.nextInt(4096));
      case AVRO_HEADER_ON_GARBAGE -> {
        byte[] valid = record(version, blob, ModelCodec.checksum(blob));
        byte[] out = Arrays.copyOf(valid, 10 + random.nextInt(2000));
        byte[] noise = bytes(out.length - 10);
        System.arraycopy(noise, 0, out, 10, noise.length);
        yield out;
      }
      case TRUNCATED_RECORD -> {
        byte[] valid = record(version, blob, ModelCodec.checksum(blob));
        yield Arrays.copyOf(valid, random.nextInt(valid.length - 1));
      }
      case TRUNCATED_BLOB ->
          record(
              version,
              Arrays.copyOf(blob, random.nextInt(blob.length - 1)),
              ModelCodec.checksum(blob));
      case HUGE_ANNOUNCED_PAYLOAD ->
          framed(
              version,
              deflate(bytes(64 + random.nextInt(1024))),
              Integer.MAX_VALUE - 16 - random.nextInt(1000));
      case ZIP_BOMB -> {
        if (zipBomb == null) {
          zipBomb = deflate(new byte[96 * 1024 * 1024]);
        }
        yield framed(version, zipBomb, 96 * 1024 * 1024);
      }
      case NONSENSE_WITH_VALID_FRAME -> {
        // random bytes, or the model's own JSON header over random floats (which never satisfy the
        // log-priors' check): either way the frame and the record's checksum are valid
        int header = 4 + ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        byte[] nonsense =
            random.nextBoolean() ? bytes(1000 + random.nextInt(20_000)) : payload.clone();
        if (nonsense.length == payload.length) {
          byte[] floats = bytes(payload.length - header);
          System.arraycopy(floats, 0, nonsense, header, floats.length);
        }
        yield framed(version, deflate(nonsense), nonsense.length);
      }
      case OVERFLOWING_SHAPES -> {
        long dim = 1_700_000_000L + random.nextInt(400_000_000);
        String json =
            headerJson(
                dim,
                "{\"name\":\"attn_in_proj_weight\",\"shape\":["
                    + 3 * dim
                    + ","
                    + dim
                    + "]},{\"name\":\"proj_image\",\"shape\":["
                    + dim
                    + ","
                    + dim
                    + "]}");
        byte[] raw = payload(json, 64);
        yield framed(version, deflate(raw), raw.length);
      }
      case HEADER_TOKEN_BOMB -> {
        if (tokenBomb == null) {
          String padding = "[0" + ",0".repeat(2_000_000) + "]";
          String json =
              headerJson(width, "")
                  .replace("\"arrays\":[]", "\"arrays\":[],\"padding\":" + padding);
          byte[] raw = payload(json, 600_000);
          tokenBomb = deflate(raw);
          tokenBombLength = raw.length;
        }
        yield framed(version, tokenBomb, tokenBombLength);
      }
      case CLASS_LIST_MISMATCH -> {
        ModelVersion v = version(version, blob, ModelCodec.checksum(blob));
        v.getClasses().remove(v.getClasses().size() - 1);
        yield VERSIONS.encode(v);
      }
      case ALTERED_PARAMETERS -> {
        byte[] altered = blob.clone();
        altered[HEADER_BYTES + random.nextInt(altered.length - HEADER_BYTES)] ^=
            (byte) (1 + random.nextInt(255));
        yield record(version, altered, ModelCodec.checksum(blob));
      }
      case OTHER_WIDTH -> {
        ModelVersion v = version(version, blob, ModelCodec.checksum(blob));
        v.setFeatureWidth(width * 2);
        yield VERSIONS.encode(v);
      }
      case CHUNKED -> {
        ModelVersion v = version(version, blob, ModelCodec.checksum(blob));
        // a manifest whose two chunks never come
        v.setParameters(ByteBuffer.allocate(0));
        v.setChunk(
            new ModelChunk(
                VersionChunks.MANIFEST_INDEX,
                2,
                (long) blob.length * 2,
                List.of("0".repeat(64), "0".repeat(64))));
        yield VERSIONS.encode(v);
      }
    };
  }

  /** A ModelVersion record around a forged blob whose frame and record checksum are both valid. */
  private byte[] framed(long version, byte[] compressed, int announced) {
    byte[] forged = frame(compressed, announced);
    return record(version, forged, sha256Hex(forged));
  }

  private byte[] record(long version, byte[] parameters, String checksum) {
    return VERSIONS.encode(version(version, parameters, checksum));
  }

  private ModelVersion version(long version, byte[] parameters, String checksum) {
    ModelVersion v =
        ModelVersion.newBuilder(base).setVersion(version).setCreatedAt(Instant.now()).build();
    v.setClasses(new ArrayList<>(v.getClasses()));
    v.setParameters(ByteBuffer.wrap(parameters));
    v.setChecksum(checksum);
    return v;
  }

  /**
   * A header like the codec's, of this model but width {@code dim}, with {@code arrays} as its
   * array list.
   */
  private String headerJson(long dim, String arrays) {
    StringBuilder names = new StringBuilder();
    for (String n : model.classNames()) {
      names.append(names.length() == 0 ? "" : ",").append('"').append(n).append('"');
    }
    return "{\"format\":\"candle-model\",\"dim\":"
        + dim
        + ",\"numClasses\":"
        + model.numClasses()
        + ",\"baseClasses\":0,\"classNames\":["
        + names
        + "],\"arrays\":["
        + arrays
        + "]}";
  }

  /** A payload laid out as the codec's: header length, header, {@code floats} random floats. */
  private byte[] payload(String json, int floats) {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer p =
        ByteBuffer.allocate(4 + header.length + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
    p.putInt(header.length).put(header);
    for (int i = 0; i < floats; i++) {
      p.putFloat((float) random.nextGaussian());
    }
    return p.array();
  }

  /**
   * A blob frame around {@code compressed} announcing {@code rawLength}, with the SHA-256 the codec
   * checks (over its first 20 bytes and the compressed payload).
   */
  static byte[] frame(byte[] compressed, int rawLength) {
    ByteBuffer b =
        ByteBuffer.allocate(HEADER_BYTES + compressed.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x89, 'C', 'A', 'N', 'D', 'L', 'E', '\n'})
        .putInt(ModelCodec.FORMAT_VERSION)
        .putInt(rawLength)
        .putInt(compressed.length);
    b.position(HEADER_BYTES);
    b.put(compressed);
    byte[] out = b.array();
    MessageDigest md = sha256();
    md.update(out, 0, 20);
    md.update(out, HEADER_BYTES, compressed.length);
    System.arraycopy(md.digest(), 0, out, 20, 32);
    return out;
  }

  /** What the codec's checksum of a blob is: its stored SHA-256 in hex (computed by anyone). */
  private static String sha256Hex(byte[] blob) {
    return HexFormat.of().formatHex(blob, 20, 52);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private float[] gaussian(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  static byte[] deflate(byte[] raw) {
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

  private static byte[] inflate(byte[] blob) {
    return inflateAll(Arrays.copyOfRange(blob, HEADER_BYTES, blob.length));
  }

  private static byte[] inflateAll(byte[] compressed) {
    java.util.zip.Inflater inf = new java.util.zip.Inflater();
    inf.setInput(compressed);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    try {
      while (!inf.finished()) {
        int n = inf.inflate(buf);
        if (n == 0 && inf.needsInput()) {
          break;
        }
        out.write(buf, 0, n);
      }
    } catch (java.util.zip.DataFormatException e) {
      throw new AssertionError(e);
    } finally {
      inf.end();
    }
    return out.toByteArray();
  }
}
