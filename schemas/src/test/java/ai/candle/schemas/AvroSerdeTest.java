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

  private static <T extends org.apache.avro.specific.SpecificRecord> T roundTrip(Class<T> type, T record) {
    AvroSerde<T> serde = AvroSerde.of(type);
    byte[] bytes = serde.serializer().serialize("any-topic", record);
    return serde.deserializer().deserialize("any-topic", bytes);
  }

  @Test
  void labeledImageWithFeatureRoundTrips() {
    LabeledImage image = LabeledImage.newBuilder()
        .setId("img-1").setEventTime(T0).setLabel("golden_retriever")
        .setFeature(List.of(0.5f, -1.25f, 3f)).setSource("test")
        .build();
    assertEquals(image, roundTrip(LabeledImage.class, image));
  }

  @Test
  void classInfoWithoutTextFeatureRoundTrips() {
    ClassInfo info = ClassInfo.newBuilder()
        .setName("okapi").setIndex(7).setStatus(ClassStatus.NEW)
        .setTextFeatureSource(TextFeatureSource.NONE).setTextFeature(null)
        .setPrompt("a photo of a okapi.").setAliases(List.of()).setFirstSeen(T0)
        .build();
    ClassInfo read = roundTrip(ClassInfo.class, info);
    assertEquals(info, read);
    assertNull(read.getTextFeature());
  }

  @Test
  void chunkedModelVersionRoundTrips() {
    ModelVersion model = ModelVersion.newBuilder()
        .setVersion(3).setCreatedAt(T0).setClipModelId("ViT-B/16").setFeatureWidth(512)
        .setClasses(List.of(new ModelClass("cat", 0, 10L), new ModelClass("dog", 1, 2L)))
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
    Prediction prediction = new Prediction("img-2", 4L,
        List.of(new ScoredClass("cat", 0.75f), new ScoredClass("dog", 0.25f)), true, "cat", T0);
    assertEquals(prediction, roundTrip(Prediction.class, prediction));
    DeadLetter letter = new DeadLetter(ByteBuffer.wrap(new byte[] {9}), null,
        "candle.images.labeled", 2, 41L, "validation", "width", "feature has 3 values", T0);
    assertEquals(letter, roundTrip(DeadLetter.class, letter));
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
    byte[] prediction = AvroSerde.of(Prediction.class).encode(
        new Prediction("img", 1L, List.of(), false, null, T0));
    SerializationException e = assertThrows(SerializationException.class,
        () -> AvroSerde.of(LabeledImage.class).decode(prediction));
    assertTrue(e.getMessage().contains("LabeledImage"), e.getMessage());
  }

  @Test
  void encodingStartsWithTheSingleObjectMarker() {
    byte[] bytes = AvroSerde.of(FeatureRecord.class).encode(
        new FeatureRecord("img", "cat", List.of(1f), T0, null));
    assertArrayEquals(new byte[] {(byte) 0xC3, 0x01}, new byte[] {bytes[0], bytes[1]});
  }
}
