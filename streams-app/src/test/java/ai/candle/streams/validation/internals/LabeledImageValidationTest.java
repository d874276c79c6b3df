package ai.candle.streams.validation.internals;

import static ai.candle.streams.ingest.IngestFixture.T0;
import static ai.candle.streams.ingest.IngestFixture.WIDTH;
import static ai.candle.streams.ingest.IngestFixture.deadLetter;
import static ai.candle.streams.ingest.IngestFixture.image;
import static ai.candle.streams.ingest.IngestFixture.utf8;
import static ai.candle.streams.ingest.IngestFixture.vector;
import static ai.candle.streams.ingest.IngestFixture.withFeature;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.LabeledImage;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.ingest.IngestFixture;
import ai.candle.streams.validation.RejectReason;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every invalid labelled image is dead-lettered with its bytes, coordinates and a reason. */
class LabeledImageValidationTest {

  private static final String TOPIC = "candle.images.labeled";

  @TempDir Path stateDir;
  private IngestFixture fx;

  @BeforeEach
  void start() {
    fx = new IngestFixture(stateDir, Encoders.none());
  }

  @AfterEach
  void stop() {
    fx.close();
  }

  /**
   * Pipes the image and asserts it is the only output: one dead letter, equal to the expected one.
   */
  private void assertRejected(LabeledImage value, RejectReason reason, String message) {
    fx.assertOnlyDeadLetter(TOPIC, value.getId(), fx.pipe(value), reason, message);
  }

  @Test
  void bytesThatAreNotTheSchemaAreDeadLetteredWithTheirBytes() {
    byte[] json = utf8("{\"id\":\"img-1\",\"label\":\"cat\"}");
    fx.labeled.pipeInput(utf8("img-1"), json, T0);

    KeyValue<byte[], DeadLetter> letter = fx.deadLetters.readKeyValue();
    assertArrayEquals(utf8("img-1"), letter.key);
    DeadLetter value = letter.value;
    assertEquals(ByteBuffer.wrap(json), value.getOriginalValue());
    assertEquals(ByteBuffer.wrap(utf8("img-1")), value.getOriginalKey());
    assertEquals(TOPIC, value.getTopic());
    assertEquals(0, value.getPartition());
    assertEquals(0L, value.getOffset());
    assertEquals("org.apache.kafka.common.errors.SerializationException", value.getErrorClass());
    assertEquals("not_schema", value.getCategory());
    assertEquals(
        "Not a LabeledImage record ("
            + json.length
            + " bytes): BadHeaderException:"
            + " Unrecognized header bytes: 0x7B 0x22",
        value.getReason());
    assertEquals(T0, value.getTimestamp());
    fx.assertNoOutput();
    assertEquals(1.0, fx.deadLetterCount(RejectReason.NOT_SCHEMA));
  }

  /** A valid header and fingerprint, then a feature claiming 2^31-100 floats in a few bytes. */
  @Test
  void aRecordDeclaringAHugeFeatureIsDeadLetteredNotDecoded() {
    byte[] valid = IngestFixture.LABELED.encode(withFeature("img-1", "cat", vector(1, 2, 3, 4)));
    // a valid record ends: count 4 (zig-zag 0x08), 16 bytes of floats, end of array, source null;
    // the poison keeps everything before the count and declares 2^31 - 36 floats instead
    int count = valid.length - 19;
    assertEquals(0x08, valid[count], "the crafting is right");
    byte[] poison = java.util.Arrays.copyOf(valid, count + 5);
    // zig-zag varint of 2^31 - 36
    System.arraycopy(
        new byte[] {(byte) 0xB8, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F}, 0, poison, count, 5);
    fx.labeled.pipeInput(utf8("img-1"), poison, T0);

    DeadLetter letter = fx.deadLetters.readValue();
    assertEquals(ByteBuffer.wrap(poison), letter.getOriginalValue());
    assertEquals("not_schema", letter.getCategory());
    assertEquals(
        "Not a LabeledImage record ("
            + poison.length
            + " bytes): EOFException: a length"
            + " or count runs past the end of the record (truncated or malformed)",
        letter.getReason());
    fx.assertNoOutput();
  }

  @Test
  void aTombstoneIsDeadLettered() {
    fx.labeled.pipeInput(utf8("img-1"), null, T0);

    assertEquals(
        deadLetter(
            TOPIC,
            0,
            utf8("img-1"),
            null,
            "validation",
            RejectReason.NOT_SCHEMA,
            "record has no value (null); a LabeledImage is required"),
        fx.deadLetters.readValue());
    fx.assertNoOutput();
  }

  @Test
  void aFeatureOfTheWrongWidthIsDeadLettered() {
    assertRejected(
        withFeature("img-1", "cat", vector(1, 2, 3)),
        RejectReason.WIDTH,
        "feature has 3 values, expected " + WIDTH + " (feature.width)");
  }

  @Test
  void aNaNFeatureIsDeadLettered() {
    assertRejected(
        withFeature("img-1", "cat", vector(1, Float.NaN, 3, 4)),
        RejectReason.NON_FINITE,
        "feature[1] is NaN; every value must be finite");
  }

  @Test
  void anInfiniteFeatureIsDeadLettered() {
    assertRejected(
        withFeature("img-1", "cat", vector(1, 2, 3, Float.NEGATIVE_INFINITY)),
        RejectReason.NON_FINITE,
        "feature[3] is -Infinity; every value must be finite");
  }

  @Test
  void anEmptyLabelIsDeadLettered() {
    assertRejected(
        withFeature("img-1", " ", vector(1, 2, 3, 4)), RejectReason.LABEL, "label is empty");
  }

  @Test
  void anOverLongLabelIsDeadLettered() {
    assertRejected(
        withFeature("img-1", "x".repeat(201), vector(1, 2, 3, 4)),
        RejectReason.LABEL,
        "label is 201 characters long, more than the maximum 200");
  }

  @Test
  void aLabelWithAControlCharacterIsDeadLettered() {
    assertRejected(
        withFeature("img-1", "ca\u0007t", vector(1, 2, 3, 4)),
        RejectReason.LABEL,
        "label contains the control character U+0007 at index 2");
  }

  @Test
  void neitherImageNorFeatureIsDeadLettered() {
    assertRejected(
        image("img-1", "cat").build(),
        RejectReason.IMAGE_FEATURE_CHOICE,
        "neither an image (imageBytes or imageUri) nor a feature is set;"
            + " exactly one of imageBytes, imageUri, feature is required");
  }

  @Test
  void imageAndFeatureTogetherAreDeadLettered() {
    assertRejected(
        image("img-1", "cat")
            .setImageBytes(ByteBuffer.wrap(new byte[] {1}))
            .setFeature(vector(1, 2, 3, 4))
            .build(),
        RejectReason.IMAGE_FEATURE_CHOICE,
        "imageBytes and feature are all set; exactly one of imageBytes, imageUri, feature is required");
  }

  @Test
  void imageBytesAndUriTogetherAreDeadLettered() {
    assertRejected(
        image("img-1", "cat")
            .setImageBytes(ByteBuffer.wrap(new byte[] {1}))
            .setImageUri("s3://bucket/cat.png")
            .build(),
        RejectReason.IMAGE_FEATURE_CHOICE,
        "imageBytes and imageUri are all set; exactly one of imageBytes, imageUri, feature is required");
  }

  @Test
  void anImageWithoutAnEncoderIsDeadLettered() {
    assertRejected(
        image("img-1", "cat").setImageBytes(ByteBuffer.wrap(new byte[] {1, 2})).build(),
        RejectReason.NO_ENCODER,
        "no image encoder configured");
  }

  @Test
  void anImageUriWithoutAnEncoderIsDeadLettered() {
    assertRejected(
        image("img-1", "cat").setImageUri("file:cat.png").build(),
        RejectReason.NO_ENCODER,
        "no image encoder configured");
  }

  @Test
  void aRecordOverTheSizeLimitIsDeadLetteredBeforeParsing() {
    fx.close();
    fx = new IngestFixture(stateDir, Encoders.none(), "--record-max-bytes", "64");
    byte[] value = new byte[100];
    fx.labeled.pipeInput(utf8("img-1"), value, T0);

    assertEquals(
        deadLetter(
            TOPIC,
            0,
            utf8("img-1"),
            value,
            "validation",
            RejectReason.TOO_LARGE,
            "record is 105 bytes (key + value), more than the maximum 64 (record.max.bytes)"),
        fx.deadLetters.readValue());
    fx.assertNoOutput();
    assertEquals(1.0, fx.deadLetterCount(RejectReason.TOO_LARGE));
  }

  @Test
  void aLongOriginalValueIsTruncatedInTheDeadLetterWithItsSize() {
    fx.close();
    fx =
        new IngestFixture(
            stateDir, Encoders.none(), "--record-max-bytes", "64", "--dead-letter-max-bytes", "50");
    byte[] value = new byte[100];
    value[49] = 7;
    fx.labeled.pipeInput(utf8("img-1"), value, T0);

    DeadLetter letter = fx.deadLetters.readValue();
    // the 50 bytes kept count the 5-byte key twice (record key and originalKey): 40 of the value
    assertEquals(ByteBuffer.wrap(java.util.Arrays.copyOf(value, 40)), letter.getOriginalValue());
    assertEquals(100L, letter.getOriginalValueSize());
    assertEquals("too_large", letter.getCategory());
    fx.assertNoOutput();
  }

  @Test
  void offsetsOfLaterRecordsAreReported() {
    fx.pipe(withFeature("img-1", "cat", vector(1, 2, 3, 4)));
    byte[] bad = fx.pipe(withFeature("img-2", "cat", vector(1)));

    assertEquals(1, fx.features.readValuesToList().size());
    fx.counts.readValuesToList();
    fx.classes.readValuesToList();
    assertEquals(
        deadLetter(
            TOPIC,
            1,
            utf8("img-2"),
            bad,
            "validation",
            RejectReason.WIDTH,
            "feature has 1 values, expected 4 (feature.width)"),
        fx.deadLetters.readValue());
    fx.assertNoOutput();
  }
}
