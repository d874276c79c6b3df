package ai.candle.schemas;

import ai.candle.core.io.ModelFormatException;
import ai.candle.core.io.ModelFormatException.Kind;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * How a model version travels on the models topics: records of at most about one megabyte, so that
 * versions of any size pass a broker, producer and consumers left at Kafka's defaults.
 *
 * <p>A version whose parameters fit in {@code chunkBytes} is ONE record, keyed by the model name,
 * with no {@code chunk} (as before chunking existed). A larger one is cut into chunks, then a
 * manifest, all sent in the trainer's one transaction (so a {@code read_committed} reader sees all
 * of them or none):
 *
 * <ul>
 *   <li>chunk {@code i} of {@code k}: key {@code <model>#chunk-<i>}, the version's number, its
 *       {@code i}-th slice of the parameters blob as {@code parameters}, {@code chunk.index = i},
 *       {@code chunk.count = k}, {@code chunk.totalBytes}; every other field empty;
 *   <li>the manifest, last: key {@code <model>} (the same key as a one-record version, so the
 *       compacted topic keeps the newest version's manifest), every field of the version but the
 *       parameters (empty), {@code chunk.index = -1}, {@code chunk.count = k}, {@code
 *       chunk.totalBytes}, and {@code chunk.chunkChecksums}: the SHA-256 of every chunk's slice.
 * </ul>
 *
 * <p>The chunk keys are per index, not per version: compaction keeps the newest chunk under each,
 * which is the newest version's as long as it has that many chunks. Readers assemble with {@link
 * VersionAssembler}, which takes a version only when every chunk is there and matches the manifest.
 * A model name may not contain {@code #} ({@link #checkModelName}): a chunk key could otherwise be
 * another model's name.
 */
public final class VersionChunks {

  /**
   * Default largest slice of the parameters in one record: 900 KiB, which leaves room for the
   * record's other fields and framing under Kafka's 1 MiB defaults ({@code max.request.size},
   * {@code max.message.bytes}, {@code max.partition.fetch.bytes}).
   */
  public static final int DEFAULT_CHUNK_BYTES = 900 * 1024;

  /** The manifest's {@code chunk.index}. */
  public static final int MANIFEST_INDEX = -1;

  private static final String CHUNK_KEY_INFIX = "#chunk-";

  /** A record for the topic: its key and value. */
  public record Keyed(String key, ModelVersion value) {}

  private VersionChunks() {}

  /**
   * The records of one version, in the order to send them: the version itself when its parameters
   * fit in {@code chunkBytes}, else its chunks then its manifest.
   *
   * @param model the model's name (the key)
   * @param whole a one-record version ({@code chunk} null), as {@link ModelVersions#toRecord} makes
   */
  public static List<Keyed> split(String model, ModelVersion whole, int chunkBytes) {
    checkModelName(model);
    if (whole.getChunk() != null) {
      throw new IllegalArgumentException("version " + whole.getVersion() + " is already chunked");
    }
    if (chunkBytes <= 0) {
      throw new IllegalArgumentException("chunkBytes must be positive: " + chunkBytes);
    }
    ByteBuffer blob = whole.getParameters().duplicate();
    int total = blob.remaining();
    if (total <= chunkBytes) {
      return List.of(new Keyed(model, whole));
    }
    int count = (total + chunkBytes - 1) / chunkBytes;
    List<Keyed> out = new ArrayList<>(count + 1);
    List<String> checksums = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int from = i * chunkBytes;
      int length = Math.min(chunkBytes, total - from);
      byte[] slice = new byte[length];
      blob.get(blob.position() + from, slice);
      checksums.add(sha256(slice));
      ModelVersion chunk =
          ModelVersion.newBuilder()
              .setVersion(whole.getVersion())
              .setCreatedAt(whole.getCreatedAt())
              .setClipModelId(whole.getClipModelId())
              .setFeatureWidth(whole.getFeatureWidth())
              .setClasses(List.of())
              .setBaseClasses(whole.getBaseClasses())
              .setOrigin(whole.getOrigin())
              .setHyperParameters(Map.of())
              .setParameters(ByteBuffer.wrap(slice))
              .setChecksum(whole.getChecksum())
              .setHoldoutMetrics(Map.of())
              .setChunk(new ModelChunk(i, count, (long) total, List.of()))
              .build();
      out.add(new Keyed(chunkKey(model, i), chunk));
    }
    ModelVersion manifest =
        ModelVersion.newBuilder(whole)
            .setParameters(ByteBuffer.allocate(0))
            .setChunk(new ModelChunk(MANIFEST_INDEX, count, (long) total, checksums))
            .build();
    out.add(new Keyed(model, manifest));
    return out;
  }

  /** The key of chunk {@code index} of a model's versions. */
  public static String chunkKey(String model, int index) {
    return model + CHUNK_KEY_INFIX + index;
  }

  /**
   * Whether a record with this key belongs to the model: its one-record versions and manifests
   * ({@code key} is the name) or its chunks.
   */
  public static boolean isKeyOf(String model, String key) {
    return key != null
        && key.startsWith(model)
        && (key.length() == model.length()
            || key.startsWith(CHUNK_KEY_INFIX, model.length())
                && isDigits(key, model.length() + CHUNK_KEY_INFIX.length()));
  }

  /**
   * The model a record with this key belongs to: the key itself, or, for a chunk, the key without
   * its {@code #chunk-<i>}.
   *
   * @throws ModelFormatException for a chunk whose key is not a chunk key
   */
  public static String modelOf(String key, ModelVersion record) {
    if (!isChunk(record)) {
      return key;
    }
    int at = key == null ? -1 : key.lastIndexOf(CHUNK_KEY_INFIX);
    if (at < 0) {
      throw new ModelFormatException(
          Kind.CHUNKED,
          "version "
              + record.getVersion()
              + ": a chunk keyed '"
              + key
              + "', not <model>"
              + CHUNK_KEY_INFIX
              + "<n>");
    }
    return key.substring(0, at);
  }

  /** Whether the record is a chunk (not a manifest, not a one-record version). */
  public static boolean isChunk(ModelVersion record) {
    return record.getChunk() != null && record.getChunk().getIndex() != MANIFEST_INDEX;
  }

  /** Whether the record is a chunked version's manifest. */
  public static boolean isManifest(ModelVersion record) {
    return record.getChunk() != null && record.getChunk().getIndex() == MANIFEST_INDEX;
  }

  /**
   * Refuses a model name the chunk keys could confuse with another's: empty, or containing {@code
   * #}.
   */
  public static String checkModelName(String model) {
    if (model == null || model.isEmpty() || model.indexOf('#') >= 0) {
      throw new IllegalArgumentException(
          "model name '"
              + model
              + "' is not usable: it must be non-empty and may not contain '#' (the models topic's"
              + " chunk keys are <model>"
              + CHUNK_KEY_INFIX
              + "<n>)");
    }
    return model;
  }

  /** SHA-256 of the bytes, as 64 lower-case hex digits. */
  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  private static boolean isDigits(String s, int from) {
    if (from >= s.length()) {
      return false;
    }
    for (int i = from; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
