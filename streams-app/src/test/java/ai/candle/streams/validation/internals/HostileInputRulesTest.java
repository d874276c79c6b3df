package ai.candle.streams.validation.internals;

import static ai.candle.streams.ingest.IngestFixture.T0;
import static ai.candle.streams.ingest.IngestFixture.announcement;
import static ai.candle.streams.ingest.IngestFixture.utf8;
import static ai.candle.streams.ingest.IngestFixture.vector;
import static ai.candle.streams.ingest.IngestFixture.withFeature;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.ImageToScore;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.ingest.IngestFixture;
import ai.candle.streams.scoring.ScoringFixture;
import ai.candle.streams.validation.RejectReason;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules the hostile-input test (HostileInputIT) called for: image ids are bounded like labels,
 * and a dead letter stays within {@code dead.letter.max.bytes} however large the original key,
 * value or reason.
 */
class HostileInputRulesTest {

  private static final String LABELED = "candle.images.labeled";

  @TempDir Path stateDir;

  @Test
  void aLabelledImageWithAnEmptyOverLongOrControlCharacterIdIsDeadLettered() {
    assertLabeledRejected(
        withFeature("", "cat", vector(1, 2, 3, 4)), RejectReason.ID, "id is empty");
    assertLabeledRejected(
        withFeature("i".repeat(513), "cat", vector(1, 2, 3, 4)),
        RejectReason.ID,
        "id is 513 characters long, more than the maximum 512");
    assertLabeledRejected(
        withFeature("img\n1", "cat", vector(1, 2, 3, 4)),
        RejectReason.ID,
        "id contains the control character U+000A at index 3");
  }

  @Test
  void theIdLimitIsASetting() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none(), "--id-max-length", "3")) {
      byte[] bytes = fx.pipe(withFeature("img-1", "cat", vector(1, 2, 3, 4)));
      fx.assertOnlyDeadLetter(
          LABELED,
          "img-1",
          bytes,
          RejectReason.ID,
          "id is 5 characters long, more than the maximum 3");
    }
  }

  @Test
  void anUnlabelledImageWithAControlCharacterIdIsDeadLetteredBeforeScoring() {
    try (ScoringFixture f = ScoringFixture.scoring(stateDir, Encoders.none())) {
      ImageToScore image =
          ScoringFixture.withFeature("img\u00001", java.util.Collections.nCopies(16, 1f));
      byte[] bytes = f.pipe(image);
      assertEquals(
          "id contains the control character U+0000 at index 3",
          f.assertOnlyDeadLetter(image.getId(), bytes, RejectReason.ID).getReason());
    }
  }

  @Test
  void aHugeKeyIsCutToAQuarterOfTheLimitInTheRecordKeyAndTheLetterAndTheValueGetsTheRest() {
    try (IngestFixture fx =
        new IngestFixture(stateDir, Encoders.none(), "--dead-letter-max-bytes", "400")) {
      byte[] key = new byte[300];
      Arrays.fill(key, (byte) 'k');
      byte[] value = new byte[500];
      Arrays.fill(value, (byte) 'v');
      fx.labeled.pipeInput(key, value, T0);

      KeyValue<byte[], DeadLetter> letter = fx.deadLetters.readKeyValue();
      assertArrayEquals(Arrays.copyOf(key, 100), letter.key);
      assertEquals(ByteBuffer.wrap(key, 0, 100), letter.value.getOriginalKey());
      assertEquals(300L, letter.value.getOriginalKeySize());
      assertEquals(ByteBuffer.wrap(value, 0, 200), letter.value.getOriginalValue());
      assertEquals(500L, letter.value.getOriginalValueSize());
      assertEquals("not_schema", letter.value.getCategory());
      fx.assertNoOutput();
    }
  }

  @Test
  void aKeyWithinItsShareIsKeptWholeAndNoSizeIsSet() {
    try (IngestFixture fx =
        new IngestFixture(stateDir, Encoders.none(), "--dead-letter-max-bytes", "400")) {
      byte[] value = new byte[500];
      fx.labeled.pipeInput(utf8("img-1"), value, T0);

      DeadLetter letter = fx.deadLetters.readValue();
      assertEquals(ByteBuffer.wrap(utf8("img-1")), letter.getOriginalKey());
      assertNull(letter.getOriginalKeySize());
      assertEquals(400 - 2 * 5, letter.getOriginalValue().remaining());
      assertEquals(500L, letter.getOriginalValueSize());
    }
  }

  @Test
  void aLongReasonIsCutWithItsLength() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      String template = "t".repeat(1_000); // the longest prompt allowed, without '{}'
      fx.announce(announcement("cat").setPromptTemplate(template).build());

      String reason = fx.deadLetters.readValue().getReason();
      String full = "promptTemplate has no '{}' for the class name: " + template;
      assertEquals(
          full.substring(0, DeadLetters.MAX_REASON_CHARS)
              + "... ("
              + full.length()
              + " characters)",
          reason);
      fx.assertNoOutput();
    }
  }

  private void assertLabeledRejected(
      ai.candle.schemas.LabeledImage image, RejectReason reason, String message) {
    try (IngestFixture fx =
        new IngestFixture(stateDir.resolve("s" + System.nanoTime()), Encoders.none())) {
      fx.assertOnlyDeadLetter(LABELED, image.getId(), fx.pipe(image), reason, message);
    }
  }
}
