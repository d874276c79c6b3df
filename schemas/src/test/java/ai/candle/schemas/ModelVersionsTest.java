package ai.candle.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.HyperParameters;
import ai.candle.core.io.ModelFormatException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ModelVersionsTest {
  static final int D = 16;

  static CandleModel model(int classes) {
    Random rnd = new Random(classes);
    float[] text = new float[classes * D];
    for (int i = 0; i < text.length; i++) {
      text[i] = (float) rnd.nextGaussian();
    }
    List<String> names =
        java.util.stream.IntStream.range(0, classes).mapToObj(i -> "class-" + i).toList();
    return CandleFit.untrained(names, D, text, HyperParameters.adaptive());
  }

  static ModelVersion record(CandleModel m) {
    return ModelVersions.toRecord(
        m,
        7,
        Instant.ofEpochMilli(1_000),
        "synthetic",
        ModelVersions.Origin.INITIAL,
        Map.of("class-1", new ModelVersions.ClassBook(1, 5, 1)),
        Map.of("holdout.all", 0.5));
  }

  @Test
  void aRecordCarriesTheModelAndItsBookkeepingThroughTheSerde() {
    CandleModel m = model(3);
    ModelVersion r = record(m);
    AvroSerde<ModelVersion> serde = AvroSerde.of(ModelVersion.class);
    ModelVersion back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", r));
    assertEquals(7, back.getVersion());
    assertEquals("INITIAL", back.getOrigin());
    assertEquals(0, back.getBaseClasses());
    assertEquals(5, back.getClasses().get(1).getSeen());
    assertEquals(1, back.getClasses().get(1).getHeldOut());
    assertEquals(-1, back.getClasses().get(0).getIndex());
    assertEquals("ADAPTIVE", back.getHyperParameters().get("mode"));
    CandleModel decoded = ModelVersions.fromRecord(back, D);
    assertEquals(m.classNames(), decoded.classNames());
    assertArrayEquals(m.params().virtualPrototypes(), decoded.params().virtualPrototypes());
  }

  @Test
  void aTamperedWrongWidthOrChunkedRecordIsRefusedWithTheReason() {
    ModelVersion r = record(model(3));
    ModelFormatException width =
        assertThrows(ModelFormatException.class, () -> ModelVersions.fromRecord(r, 512));
    assertTrue(width.getMessage().contains("feature width 16"), width.getMessage());
    assertEquals(ModelFormatException.Kind.WIDTH, width.kind());

    ModelVersion badSum = ModelVersion.newBuilder(r).setChecksum("0".repeat(64)).build();
    ModelFormatException sum =
        assertThrows(ModelFormatException.class, () -> ModelVersions.fromRecord(badSum, D));
    assertTrue(sum.getMessage().contains("checksum mismatch"), sum.getMessage());
    assertEquals(ModelFormatException.Kind.CHECKSUM, sum.kind());

    byte[] blob = r.getParameters().array().clone();
    blob[blob.length - 3] ^= 0x55;
    ModelVersion flipped = ModelVersion.newBuilder(r).setParameters(ByteBuffer.wrap(blob)).build();
    assertEquals(
        ModelFormatException.Kind.CHECKSUM,
        assertThrows(ModelFormatException.class, () -> ModelVersions.fromRecord(flipped, D)).kind(),
        "the blob's own SHA-256");

    ModelVersion chunked =
        ModelVersion.newBuilder(r).setChunk(new ModelChunk(0, 2, 10L, List.of())).build();
    ModelFormatException c =
        assertThrows(ModelFormatException.class, () -> ModelVersions.fromRecord(chunked, D));
    assertTrue(c.getMessage().contains("VersionAssembler"), c.getMessage());
    assertEquals(ModelFormatException.Kind.CHUNKED, c.kind());
  }

  @Test
  void aVersionOverTheLimitIsRefusedNamingTheSettingsToRaise() {
    ModelVersion r = record(model(3));
    ModelVersions.checkSize(r, ModelVersions.DEFAULT_MAX_BYTES);
    ModelTooLargeException e =
        assertThrows(ModelTooLargeException.class, () -> ModelVersions.checkSize(r, 1024));
    assertTrue(e.getMessage().contains("model.max.bytes"), e.getMessage());
  }

  @Test
  void theModelsTopicIsCompactedSinglePartitionAtTheBrokersDefaultSize() {
    var specs = TopicSpecs.all(TopicNames.defaults(), 4, (short) 1);
    var models =
        specs.stream().filter(t -> t.name().equals("candle.models")).findFirst().orElseThrow();
    assertEquals(1, models.numPartitions());
    assertEquals("compact", models.configs().get("cleanup.policy"));
    assertNull(models.configs().get("max.message.bytes"), "versions travel in chunks");
    assertEquals(11, specs.size());
    var history =
        specs.stream()
            .filter(t -> t.name().equals("candle.models.history"))
            .findFirst()
            .orElseThrow();
    assertEquals(1, history.numPartitions(), "versions are totally ordered");
    assertEquals(
        "delete", history.configs().get("cleanup.policy"), "compaction would erase older versions");
    assertEquals("-1", history.configs().get("retention.ms"));
    assertNull(history.configs().get("max.message.bytes"));
    var store =
        specs.stream()
            .filter(t -> t.name().equals("candle.training-store"))
            .findFirst()
            .orElseThrow();
    assertEquals(1, store.numPartitions(), "the trainer reads it whole");
    assertEquals("compact", store.configs().get("cleanup.policy"));
    assertEquals(1024 * 1024, ModelVersions.producerConfig(1234).get("max.request.size"));
    assertEquals(
        1024 * 1024,
        ModelVersions.producerConfig(VersionChunks.DEFAULT_CHUNK_BYTES).get("max.request.size"),
        "Kafka's default");
    assertEquals(
        (4 << 20) + ModelVersions.CHUNK_OVERHEAD_BYTES,
        ModelVersions.producerConfig(4 << 20).get("max.request.size"));
    assertTrue(
        VersionChunks.DEFAULT_CHUNK_BYTES + ModelVersions.CHUNK_OVERHEAD_BYTES < 1_048_576,
        "a default chunk's record fits Kafka's 1 MiB defaults");
  }
}
