package ai.candle.schemas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_000L);

  private static <T extends org.apache.avro.specific.SpecificRecord> T roundTrip(
      Class<T> type, T record) {
    AvroSerde<T> serde = AvroSerde.of(type);
    byte[] bytes = serde.serializer().serialize("any-topic", record);
    return serde.deserializer().deserialize("any-topic", bytes);
  }

  @Test
  void labeledImageWithFeatureRoundTrips() {
    LabeledImage image =
        LabeledImage.newBuilder()
            .setId("img-1")
            .setEventTime(T0)
            .setLabel("golden_retriever")
            .setFeature(List.of(0.5f, -1.25f, 3f))
            .setSource("test")
            .build();
    assertEquals(image, roundTrip(LabeledImage.class, image));
  }

  @Test
  void classInfoWithoutTextFeatureRoundTrips() {
    ClassInfo info =
        ClassInfo.newBuilder()
            .setName("okapi")
            .setIndex(7)
            .setStatus(ClassStatus.NEW)
            .setTextFeatureSource(TextFeatureSource.NONE)
            .setTextFeature(null)
            .setPrompt("a photo of a okapi.")
            .setAliases(List.of())
            .setFirstSeen(T0)
            .build();
    ClassInfo read = roundTrip(ClassInfo.class, info);
    assertEquals(info, read);
    assertNull(read.getTextFeature());
  }

  @Test
  void chunkedModelVersionRoundTrips() {
    ModelVersion model =
        ModelVersion.newBuilder()
            .setVersion(3)
            .setCreatedAt(T0)
            .setClipModelId("ViT-B/16")
            .setFeatureWidth(512)
            .setClasses(
                List.of(
                    new ModelClass("cat", 0, 10L, 12L, 2L), new ModelClass("dog", 1, 2L, 2L, 0L)))
            .setHyperParameters(Map.of("lr", "0.001", "epochs", "20"))
            .setParameters(ByteBuffer.wrap(new byte[] {1, 2, 3}))
            .setChecksum("sha256:abc")
            .setHoldoutMetrics(Map.of("accuracy", 0.9))
            .setChunk(new ModelChunk(0, 2, 6L, List.of("c0", "c1")))
            .build();
    assertEquals(model, roundTrip(ModelVersion.class, model));
  }

  @Test
  void predictionAndDeadLetterRoundTrip() {
    Prediction prediction =
        new Prediction(
            "img-2",
            4L,
            List.of(new ScoredClass("cat", 0.75f), new ScoredClass("dog", 0.25f)),
            true,
            "cat",
            T0);
    assertEquals(prediction, roundTrip(Prediction.class, prediction));
    DeadLetter letter =
        new DeadLetter(
            ByteBuffer.wrap(new byte[] {9}),
            null,
            "candle.images.labeled",
            2,
            41L,
            "validation",
            "width",
            "feature has 3 values",
            T0,
            null,
            null);
    assertEquals(letter, roundTrip(DeadLetter.class, letter));
  }

  @Test
  void eachKindOfTrainingStoreEntryRoundTrips() {
    for (Object entry :
        List.of(
            new StoredSample("cat", SampleSplit.HOLDOUT, 3, "img-9", List.of(0.5f, -1f)),
            new StoredTally("cat", 12L, 10L),
            new StoredPosition("candle.features", 2, 77L))) {
      TrainingStoreEntry stored = new TrainingStoreEntry("candle", entry);
      assertEquals(stored, roundTrip(TrainingStoreEntry.class, stored));
    }
  }

  @Test
  void nullIsATombstoneBothWays() {
    AvroSerde<ClassInfo> serde = AvroSerde.of(ClassInfo.class);
    assertNull(serde.serializer().serialize("t", null));
    assertNull(serde.deserializer().deserialize("t", null));
  }

  @Test
  void bytesThatAreNotTheSchemaFailWithTheTypeName() {
    AvroSerde<LabeledImage> serde = AvroSerde.of(LabeledImage.class);
    byte[] json = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    SerializationException e = assertThrows(SerializationException.class, () -> serde.decode(json));
    assertTrue(e.getMessage().startsWith("Not a LabeledImage record"), e.getMessage());
  }

  @Test
  void aRecordOfAnotherTypeIsRejected() {
    byte[] prediction =
        AvroSerde.of(Prediction.class)
            .encode(new Prediction("img", 1L, List.of(), false, null, T0));
    SerializationException e =
        assertThrows(
            SerializationException.class,
            () -> AvroSerde.of(LabeledImage.class).decode(prediction));
    assertTrue(e.getMessage().contains("LabeledImage"), e.getMessage());
  }

  /** Writes Avro's zig-zag varint of {@code n}. */
  private static void varint(java.io.ByteArrayOutputStream out, long n) {
    long v = n << 1;
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  /**
   * A LabeledImage header and fields up to its feature, then a feature claiming {@code count}
   * floats.
   */
  private static byte[] featureClaiming(long count) {
    byte[] valid =
        AvroSerde.of(LabeledImage.class)
            .encode(
                LabeledImage.newBuilder()
                    .setId("i")
                    .setEventTime(T0)
                    .setLabel("c")
                    .setFeature(List.of(1f))
                    .build());
    // the valid record ends with: count 1, one float (4 bytes), end of array, source null
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(valid, 0, valid.length - 7);
    varint(out, count);
    out.write(valid, valid.length - 6, 6);
    return out.toByteArray();
  }

  @Test
  void aHugeDeclaredArrayFailsWithoutAllocatingIt() {
    AvroSerde<LabeledImage> serde = AvroSerde.of(LabeledImage.class);
    assertEquals(
        List.of(1f), serde.decode(featureClaiming(1)).getFeature(), "the crafting is right");
    // decoded naively, this would allocate a float[Integer.MAX_VALUE - 100] (8 GiB)
    SerializationException e =
        assertThrows(
            SerializationException.class,
            () -> serde.decode(featureClaiming(Integer.MAX_VALUE - 100)));
    assertTrue(
        e.getMessage()
            .endsWith(
                "a length or count runs past the end of the record" + " (truncated or malformed)"),
        e.getMessage());
  }

  @Test
  void aHugeDeclaredStringFailsWithoutAllocatingIt() {
    byte[] valid =
        AvroSerde.of(LabeledImage.class)
            .encode(
                LabeledImage.newBuilder()
                    .setId("i")
                    .setEventTime(T0)
                    .setLabel("c")
                    .setFeature(List.of(1f))
                    .build());
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(valid, 0, 10);
    varint(out, Integer.MAX_VALUE - 100);
    out.write(valid, 11, valid.length - 11);
    assertThrows(
        SerializationException.class,
        () -> AvroSerde.of(LabeledImage.class).decode(out.toByteArray()));
  }

  @Test
  void trailingBytesAreRejected() {
    byte[] valid =
        AvroSerde.of(FeatureRecord.class)
            .encode(new FeatureRecord("img", "cat", List.of(1f), T0, null));
    byte[] longer = java.util.Arrays.copyOf(valid, valid.length + 1);
    SerializationException e =
        assertThrows(
            SerializationException.class, () -> AvroSerde.of(FeatureRecord.class).decode(longer));
    assertTrue(e.getMessage().contains("bytes left after the end of the record"), e.getMessage());
  }

  @Test
  void encodingStartsWithTheSingleObjectMarker() {
    byte[] bytes =
        AvroSerde.of(FeatureRecord.class)
            .encode(new FeatureRecord("img", "cat", List.of(1f), T0, null));
    assertArrayEquals(new byte[] {(byte) 0xC3, 0x01}, new byte[] {bytes[0], bytes[1]});
  }
}
