package ai.candle.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Records written with an earlier schema version still read after fields were added. */
class SchemaCompatibilityTest {

  private static Schema labeledImageV1() throws IOException {
    try (InputStream in =
        SchemaCompatibilityTest.class.getResourceAsStream("LabeledImage.v1.avsc")) {
      return new Schema.Parser().parse(in);
    }
  }

  /** LabeledImage v1 (no 'source' field) as an old producer would write it. */
  private static byte[] writeWithV1(Schema v1) throws IOException {
    GenericRecord old = new GenericData.Record(v1);
    old.put("id", "img-7");
    old.put("eventTime", 1_700_000_000_123L);
    old.put("label", "okapi");
    old.put("imageBytes", null);
    old.put("imageUri", null);
    old.put(
        "feature",
        new GenericData.Array<>(
            v1.getField("feature").schema().getTypes().get(1), List.of(1f, 2f, 3f)));
    return new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();
  }

  @Test
  void aLabeledImageWrittenWithV1ReadsWithTheCurrentSchema() throws IOException {
    LabeledImage read = AvroSerde.of(LabeledImage.class).decode(writeWithV1(labeledImageV1()));

    LabeledImage expected =
        LabeledImage.newBuilder()
            .setId("img-7")
            .setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
            .setLabel("okapi")
            .setFeature(List.of(1f, 2f, 3f))
            .build();
    assertEquals(expected, read);
    assertNull(read.getSource(), "the field added in v2 reads as its default");
  }

  @Test
  void withoutItsHistoryTheSerdeCannotReadV1() throws IOException {
    byte[] v1Bytes = writeWithV1(labeledImageV1());
    AvroSerde<LabeledImage> noHistory = AvroSerde.of(LabeledImage.class, List.of());
    SerializationException e =
        assertThrows(SerializationException.class, () -> noHistory.decode(v1Bytes));
    assertTrue(e.getMessage().contains("MissingSchemaException"), e.getMessage());
  }

  @Test
  void theKeptHistoryMatchesTheTestCopyOfV1() throws IOException {
    Schema current = SpecificData.get().getSchema(LabeledImage.class);
    assertEquals(2, SchemaHistory.versionOf(current));
    List<Schema> history = SchemaHistory.previousVersions(current);
    assertEquals(1, history.size());
    assertEquals(
        SchemaNormalization.parsingFingerprint64(labeledImageV1()),
        SchemaNormalization.parsingFingerprint64(history.get(0)));
  }

  static Stream<Class<? extends SpecificRecord>> topicValueTypes() {
    return Stream.of(
        LabeledImage.class,
        ImageToScore.class,
        ClassAnnouncement.class,
        ClassInfo.class,
        FeatureRecord.class,
        ModelVersion.class,
        Prediction.class,
        DeadLetter.class,
        RegistryEvent.class,
        TrainingStoreEntry.class);
  }

  @ParameterizedTest
  @MethodSource("topicValueTypes")
  void everyKeptVersionIsReadableByTheCurrentSchema(Class<? extends SpecificRecord> type) {
    Schema current = SpecificData.get().getSchema(type);
    for (Schema previous : SchemaHistory.previousVersions(current)) {
      SchemaCompatibilityType result =
          SchemaCompatibility.checkReaderWriterCompatibility(current, previous).getType();
      assertEquals(
          SchemaCompatibilityType.COMPATIBLE,
          result,
          type.getSimpleName() + " cannot read a version it keeps in its history");
    }
  }

  @Test
  void aMissingHistoryFileIsReportedWithWhatToDo() {
    Schema bumped = SchemaBuilderHelper.recordWithVersion("Nameless", 3);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> SchemaHistory.previousVersions(bumped));
    assertTrue(e.getMessage().contains("Nameless.v1.avsc"), e.getMessage());
  }

  /** Builds a throwaway schema that claims a later version. */
  private static final class SchemaBuilderHelper {
    static Schema recordWithVersion(String name, int version) {
      Schema schema =
          Schema.createRecord(
              name,
              null,
              "ai.candle.schemas",
              false,
              List.of(new Schema.Field("x", Schema.create(Schema.Type.INT))));
      schema.addProp("version", version);
      return schema;
    }
  }

  @Test
  void bytesFieldsSurviveTheOldWriterToo() throws IOException {
    Schema v1 = labeledImageV1();
    GenericRecord old = new GenericData.Record(v1);
    old.put("id", "img-8");
    old.put("eventTime", 5L);
    old.put("label", "cat");
    old.put("imageBytes", ByteBuffer.wrap(new byte[] {1, 2, 3}));
    old.put("imageUri", null);
    old.put("feature", null);
    byte[] bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();
    LabeledImage read = AvroSerde.of(LabeledImage.class).decode(bytes);
    assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3}), read.getImageBytes());
  }
}
