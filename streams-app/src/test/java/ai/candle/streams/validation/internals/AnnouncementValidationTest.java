package ai.candle.streams.validation.internals;

import static ai.candle.streams.ingest.IngestFixture.T0;
import static ai.candle.streams.ingest.IngestFixture.WIDTH;
import static ai.candle.streams.ingest.IngestFixture.announcement;
import static ai.candle.streams.ingest.IngestFixture.deadLetter;
import static ai.candle.streams.ingest.IngestFixture.utf8;
import static ai.candle.streams.ingest.IngestFixture.vector;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.DeadLetter;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.ingest.IngestFixture;
import ai.candle.streams.validation.RejectReason;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invalid announcements are dead-lettered before they reach the registry. */
class AnnouncementValidationTest {

  private static final String TOPIC = "candle.classes.announcements";

  @TempDir Path stateDir;
  private IngestFixture fx;

  @BeforeEach
  void start() {
    fx = new IngestFixture(stateDir, Encoders.none(), "--announcement-max-bytes", "8192");
  }

  @AfterEach
  void stop() {
    fx.close();
  }

  private void assertRejected(ClassAnnouncement value, RejectReason reason, String message) {
    fx.assertOnlyDeadLetter(TOPIC, value.getName(), fx.announce(value), reason, message);
  }

  @Test
  void aTextFeatureOfTheWrongWidthIsDeadLettered() {
    assertRejected(
        announcement("okapi").setTextFeature(vector(1, 2)).build(),
        RejectReason.WIDTH,
        "textFeature has 2 values, expected " + WIDTH + " (feature.width)");
  }

  @Test
  void aNonFiniteTextFeatureIsDeadLettered() {
    assertRejected(
        announcement("okapi").setTextFeature(vector(Float.POSITIVE_INFINITY, 0, 0, 0)).build(),
        RejectReason.NON_FINITE,
        "textFeature[0] is Infinity; every value must be finite");
  }

  @Test
  void anEmptyClassNameIsDeadLettered() {
    assertRejected(announcement("").build(), RejectReason.LABEL, "class name is empty");
  }

  @Test
  void anAliasWithAControlCharacterIsDeadLettered() {
    assertRejected(
        announcement("okapi").setAliases(List.of("ok\napi")).build(),
        RejectReason.LABEL,
        "alias contains the control character U+000A at index 2");
  }

  @Test
  void aTemplateWithoutPlaceholderIsDeadLettered() {
    assertRejected(
        announcement("okapi").setPromptTemplate("a photo of an animal").build(),
        RejectReason.PROMPT,
        "promptTemplate has no '{}' for the class name: a photo of an animal");
  }

  @Test
  void anEmptyPromptIsDeadLettered() {
    assertRejected(
        announcement("okapi").setPrompt("").build(), RejectReason.PROMPT, "prompt is empty");
  }

  @Test
  void anAnnouncementOverItsSizeLimitIsDeadLettered() {
    ClassAnnouncement big =
        announcement("okapi")
            .setPrompt("o".repeat(900))
            .setAliases(java.util.Collections.nCopies(400, "an alias of the okapi"))
            .build();
    byte[] bytes = fx.announce(big);

    assertEquals(
        deadLetter(
            TOPIC,
            0,
            utf8("okapi"),
            bytes,
            "validation",
            RejectReason.TOO_LARGE,
            "record is "
                + (bytes.length + 5)
                + " bytes (key + value), more than the maximum 8192"
                + " (announcement.max.bytes)"),
        fx.deadLetters.readValue());
    fx.assertNoOutput();
  }

  @Test
  void bytesThatAreNotAnAnnouncementAreDeadLettered() {
    byte[] garbage = {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    fx.announcements.pipeInput(utf8("okapi"), garbage, T0);

    DeadLetter letter = fx.deadLetters.readValue();
    assertEquals(ByteBuffer.wrap(garbage), letter.getOriginalValue());
    assertEquals("not_schema", letter.getCategory());
    assertEquals("org.apache.kafka.common.errors.SerializationException", letter.getErrorClass());
    assertEquals(TOPIC, letter.getTopic());
    fx.assertNoOutput();
  }
}
