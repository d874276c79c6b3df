package ai.candle.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.CandleModel;
import ai.candle.core.io.ModelFormatException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class VersionChunksTest {

  static final int CHUNK = 1000;

  private static ModelVersion whole(long version, int classes) {
    ModelVersion r = ModelVersionsTest.record(ModelVersionsTest.model(classes));
    return ModelVersion.newBuilder(r).setVersion(version).build();
  }

  /** The records of a version after a round trip through the topic's serde, as readers see them. */
  private static List<VersionChunks.Keyed> onTheTopic(ModelVersion v, int chunkBytes) {
    Serde<ModelVersion> serde = AvroSerde.of(ModelVersion.class);
    List<VersionChunks.Keyed> out = new ArrayList<>();
    for (VersionChunks.Keyed k : VersionChunks.split("m", v, chunkBytes)) {
      byte[] bytes = serde.serializer().serialize("t", k.value());
      out.add(new VersionChunks.Keyed(k.key(), serde.deserializer().deserialize("t", bytes)));
    }
    return out;
  }

  private static byte[] bytes(ModelVersion v) {
    ByteBuffer b = v.getParameters().duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  @Test
  void aSmallVersionStaysOneRecordKeyedByTheModel() {
    ModelVersion v = whole(3, 2);
    List<VersionChunks.Keyed> records =
        VersionChunks.split("m", v, ModelVersions.parameterBytes(v));
    assertEquals(1, records.size());
    assertEquals("m", records.get(0).key());
    assertNull(records.get(0).value().getChunk());
    assertEquals(v, new VersionAssembler(1 << 20).offer(records.get(0).value()));
  }

  @Test
  void aLargeVersionIsChunksThenAManifestAndAssemblesToTheSameModel() {
    ModelVersion v = whole(4, 40);
    int size = ModelVersions.parameterBytes(v);
    List<VersionChunks.Keyed> records = onTheTopic(v, CHUNK);
    int chunks = (size + CHUNK - 1) / CHUNK;
    assertEquals(chunks + 1, records.size());
    for (int i = 0; i < chunks; i++) {
      VersionChunks.Keyed k = records.get(i);
      assertEquals("m#chunk-" + i, k.key());
      assertTrue(VersionChunks.isChunk(k.value()));
      assertTrue(ModelVersions.parameterBytes(k.value()) <= CHUNK);
      assertTrue(k.value().getClasses().isEmpty(), "the class list is on the manifest only");
    }
    VersionChunks.Keyed manifest = records.get(chunks);
    assertEquals("m", manifest.key());
    assertTrue(VersionChunks.isManifest(manifest.value()));
    assertEquals(0, ModelVersions.parameterBytes(manifest.value()));
    assertEquals(chunks, manifest.value().getChunk().getChunkChecksums().size());

    VersionAssembler assembler = new VersionAssembler(1 << 20);
    ModelVersion back = null;
    for (VersionChunks.Keyed k : records) {
      assertNull(back, "nothing before the manifest");
      back = assembler.offer(k.value());
    }
    assertArrayEquals(bytes(v), bytes(back));
    assertNull(back.getChunk());
    assertEquals(v.getClasses(), back.getClasses());
    assertEquals(0, assembler.pendingBytes(), "nothing held once assembled");
    CandleModel model = ModelVersions.fromRecord(back, ModelVersionsTest.D);
    assertEquals(40, model.numClasses());
  }

  @Test
  void aMissingChunkIsRefusedAndNamed() {
    List<VersionChunks.Keyed> records = onTheTopic(whole(5, 40), CHUNK);
    VersionAssembler assembler = new VersionAssembler(1 << 20);
    for (int i = 0; i < records.size(); i++) {
      if (i != 1) {
        if (i < records.size() - 1) {
          assembler.offer(records.get(i).value());
        } else {
          ModelVersion manifest = records.get(i).value();
          ModelFormatException e =
              assertThrows(ModelFormatException.class, () -> assembler.offer(manifest));
          assertEquals(ModelFormatException.Kind.CHUNKED, e.kind());
          assertTrue(e.getMessage().contains("chunk 1 of"), e.getMessage());
        }
      }
    }
    assertEquals(0, assembler.pendingBytes(), "the failed version's chunks are dropped");
  }

  @Test
  void aTornChunkFailsItsChecksum() {
    List<VersionChunks.Keyed> records = onTheTopic(whole(6, 40), CHUNK);
    VersionAssembler assembler = new VersionAssembler(1 << 20);
    for (int i = 0; i < records.size() - 1; i++) {
      ModelVersion chunk = records.get(i).value();
      if (i == 2) {
        byte[] torn = bytes(chunk);
        torn[torn.length / 2] ^= 0x01;
        chunk = ModelVersion.newBuilder(chunk).setParameters(ByteBuffer.wrap(torn)).build();
      }
      assertNull(assembler.offer(chunk));
    }
    ModelVersion manifest = records.get(records.size() - 1).value();
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> assembler.offer(manifest));
    assertTrue(e.getMessage().contains("chunk 2 does not hash"), e.getMessage());
  }

  @Test
  void aTruncatedChunkIsRefusedByTheManifestsSize() {
    List<VersionChunks.Keyed> records = onTheTopic(whole(6, 40), CHUNK);
    VersionAssembler assembler = new VersionAssembler(1 << 20);
    for (int i = 0; i < records.size() - 1; i++) {
      ModelVersion chunk = records.get(i).value();
      if (i == 0) {
        byte[] cut = java.util.Arrays.copyOf(bytes(chunk), CHUNK / 2);
        chunk = ModelVersion.newBuilder(chunk).setParameters(ByteBuffer.wrap(cut)).build();
      }
      assembler.offer(chunk);
    }
    ModelFormatException e =
        assertThrows(
            ModelFormatException.class,
            () -> assembler.offer(records.get(records.size() - 1).value()));
    assertEquals(ModelFormatException.Kind.CHUNKED, e.kind());
  }

  @Test
  void chunksOfAnotherVersionDoNotCompleteAManifest() {
    // the compacted topic's chunk keys may still hold an older version's chunks
    List<VersionChunks.Keyed> older = onTheTopic(whole(7, 40), CHUNK);
    List<VersionChunks.Keyed> newer = onTheTopic(whole(8, 41), CHUNK);
    VersionAssembler assembler = new VersionAssembler(1 << 20);
    for (int i = 0; i < older.size() - 1; i++) {
      assembler.offer(older.get(i).value());
    }
    ModelVersion manifest8 = newer.get(newer.size() - 1).value();
    assertThrows(ModelFormatException.class, () -> assembler.offer(manifest8));
    assertEquals(0, assembler.pendingBytes(), "older versions' chunks dropped with it");
  }

  @Test
  void interleavedVersionsEachAssembleAndAReplayedChunkReplacesTheFirst() {
    List<VersionChunks.Keyed> a = onTheTopic(whole(9, 40), CHUNK);
    List<VersionChunks.Keyed> b = onTheTopic(whole(10, 42), CHUNK);
    VersionAssembler assembler = new VersionAssembler(1 << 20);
    for (int i = 0; i < a.size() - 1; i++) {
      assembler.offer(a.get(i).value());
      assembler.offer(a.get(i).value()); // a replayed record
    }
    for (int i = 0; i < b.size() - 1; i++) {
      assembler.offer(b.get(i).value());
    }
    assertEquals(9, assembler.offer(a.get(a.size() - 1).value()).getVersion());
    assertTrue(assembler.pendingBytes() > 0, "version 10's chunks wait for their manifest");
    assertEquals(10, assembler.offer(b.get(b.size() - 1).value()).getVersion());
    assertEquals(0, assembler.pendingBytes());
  }

  @Test
  void whatIsHeldIsBounded() {
    List<VersionChunks.Keyed> a = onTheTopic(whole(11, 40), CHUNK);
    VersionAssembler assembler = new VersionAssembler(2 * CHUNK);
    for (int i = 0; i < a.size() - 1; i++) {
      assembler.offer(a.get(i).value());
      assertTrue(assembler.pendingBytes() <= 2 * CHUNK);
    }
    ModelFormatException e =
        assertThrows(
            ModelFormatException.class, () -> assembler.offer(a.get(a.size() - 1).value()));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void keysBelongToTheirModelOnly() {
    assertTrue(VersionChunks.isKeyOf("m", "m"));
    assertTrue(VersionChunks.isKeyOf("m", "m#chunk-12"));
    assertFalse(VersionChunks.isKeyOf("m", "mm"));
    assertFalse(VersionChunks.isKeyOf("m", "m#chunk-"));
    assertFalse(VersionChunks.isKeyOf("m", "m#chunk-1x"));
    assertFalse(VersionChunks.isKeyOf("m", null));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VersionChunks.checkModelName("a#b"));
    assertTrue(e.getMessage().contains("'#'"), e.getMessage());
  }
}
