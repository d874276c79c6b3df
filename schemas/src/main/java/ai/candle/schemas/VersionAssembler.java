package ai.candle.schemas;

import ai.candle.core.io.ModelFormatException;
import ai.candle.core.io.ModelFormatException.Kind;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts chunked versions back together, for one model's records read in topic order ({@link
 * VersionChunks} describes the layout).
 *
 * <p>{@link #offer} keeps each chunk until its version's manifest arrives, then returns the whole
 * version ({@code chunk} null, the parameters joined) only when it is complete and consistent:
 * every one of the manifest's {@code count} chunks there, each of the manifest's version, count and
 * size, each hashing to the manifest's checksum for it, the slices adding up to {@code totalBytes}.
 * The joined parameters' own checksum is left to {@link ModelVersions#fromRecord}, as for a
 * one-record version. A chunk that comes again (the same version and index) replaces the earlier
 * one.
 *
 * <p>What it holds is bounded: a manifest, complete or not, drops every chunk of its version and of
 * older ones; past {@code maxPendingBytes} the oldest versions' chunks are dropped, down to the
 * newest chunk's own version if need be (its manifest then reports them missing). Not thread-safe:
 * one reader's thread uses it.
 */
public final class VersionAssembler {

  private final long maxPendingBytes;
  private final TreeMap<Long, Map<Integer, ModelVersion>> pending = new TreeMap<>();
  private long pendingBytes;

  /**
   * @param maxPendingBytes the most chunk bytes held while waiting for manifests
   */
  public VersionAssembler(long maxPendingBytes) {
    if (maxPendingBytes <= 0) {
      throw new IllegalArgumentException("maxPendingBytes must be positive: " + maxPendingBytes);
    }
    this.maxPendingBytes = maxPendingBytes;
  }

  /**
   * Takes the model's next record.
   *
   * @return the whole version, for a one-record version or a manifest whose chunks are complete;
   *     null for a chunk (held until its manifest)
   * @throws ModelFormatException ({@link Kind#CHUNKED}) for a manifest whose chunks are missing or
   *     do not match it, or a malformed chunk; the message says which
   */
  public ModelVersion offer(ModelVersion record) {
    ModelChunk c = record.getChunk();
    if (c == null) {
      return record;
    }
    if (c.getIndex() == VersionChunks.MANIFEST_INDEX) {
      try {
        return assemble(record);
      } finally {
        dropUpTo(record.getVersion());
      }
    }
    if (c.getIndex() < 0 || c.getIndex() >= c.getCount()) {
      throw new ModelFormatException(
          Kind.CHUNKED,
          "version "
              + record.getVersion()
              + ": chunk index "
              + c.getIndex()
              + " is outside 0.."
              + (c.getCount() - 1));
    }
    int size = record.getParameters().remaining();
    ModelVersion replaced =
        pending
            .computeIfAbsent(record.getVersion(), v -> new TreeMap<>())
            .put(c.getIndex(), record);
    pendingBytes += size - (replaced == null ? 0 : replaced.getParameters().remaining());
    while (pendingBytes > maxPendingBytes) {
      // the oldest first, this chunk's own version last: its manifest will then say what is missing
      dropVersion(pending.firstKey());
    }
    return null;
  }

  /** Chunk bytes held now (for tests and logs). */
  public long pendingBytes() {
    return pendingBytes;
  }

  private ModelVersion assemble(ModelVersion manifest) {
    ModelChunk m = manifest.getChunk();
    long version = manifest.getVersion();
    int count = m.getCount();
    List<String> checksums = m.getChunkChecksums();
    if (count <= 0 || checksums.size() != count || m.getTotalBytes() < 0) {
      throw incomplete(
          version,
          "its manifest is malformed ("
              + count
              + " chunks, "
              + checksums.size()
              + " checksums, "
              + m.getTotalBytes()
              + " bytes)");
    }
    if (m.getTotalBytes() > Integer.MAX_VALUE - 8) {
      throw incomplete(version, "its manifest names " + m.getTotalBytes() + " bytes");
    }
    Map<Integer, ModelVersion> chunks = pending.getOrDefault(version, Map.of());
    ByteBuffer joined = ByteBuffer.allocate((int) m.getTotalBytes());
    for (int i = 0; i < count; i++) {
      ModelVersion chunk = chunks.get(i);
      if (chunk == null) {
        throw incomplete(
            version,
            "chunk "
                + i
                + " of "
                + count
                + " is missing ("
                + chunks.size()
                + " of its chunks were read before the manifest)");
      }
      ModelChunk ci = chunk.getChunk();
      if (ci.getCount() != count || ci.getTotalBytes() != m.getTotalBytes()) {
        throw incomplete(
            version,
            "chunk "
                + i
                + " says "
                + ci.getCount()
                + " chunks of "
                + ci.getTotalBytes()
                + " bytes, the manifest "
                + count
                + " of "
                + m.getTotalBytes());
      }
      byte[] slice = ModelVersions.bytes(chunk.getParameters());
      String actual = VersionChunks.sha256(slice);
      if (!actual.equals(checksums.get(i))) {
        throw incomplete(
            version,
            "chunk "
                + i
                + " does not hash to the manifest's checksum (altered or torn after it was"
                + " written)");
      }
      if (slice.length > joined.remaining()) {
        throw incomplete(version, "its chunks hold more than the manifest's " + m.getTotalBytes());
      }
      joined.put(slice);
    }
    if (joined.hasRemaining()) {
      throw incomplete(
          version,
          "its chunks hold "
              + joined.position()
              + " bytes, the manifest says "
              + m.getTotalBytes());
    }
    joined.flip();
    return ModelVersion.newBuilder(manifest).setParameters(joined).setChunk(null).build();
  }

  private static ModelFormatException incomplete(long version, String why) {
    return new ModelFormatException(
        Kind.CHUNKED, "chunked version " + version + " is incomplete or inconsistent: " + why);
  }

  private void dropUpTo(long version) {
    Iterator<Map.Entry<Long, Map<Integer, ModelVersion>>> it =
        pending.headMap(version, true).entrySet().iterator();
    while (it.hasNext()) {
      pendingBytes -= bytesOf(it.next().getValue());
      it.remove();
    }
  }

  private void dropVersion(long version) {
    Map<Integer, ModelVersion> dropped = pending.remove(version);
    if (dropped != null) {
      pendingBytes -= bytesOf(dropped);
    }
  }

  private static long bytesOf(Map<Integer, ModelVersion> chunks) {
    long n = 0;
    for (ModelVersion c : chunks.values()) {
      n += c.getParameters().remaining();
    }
    return n;
  }
}
