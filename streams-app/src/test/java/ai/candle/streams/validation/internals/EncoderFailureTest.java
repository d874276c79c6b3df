package ai.candle.streams.validation.internals;

import static ai.candle.streams.ingest.IngestFixture.image;
import static ai.candle.streams.model.TestModels.axis;
import static ai.candle.streams.model.TestModels.model;
import static ai.candle.streams.model.TestModels.version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.clip.EncoderFailedException;
import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.Prediction;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.encode.ImageEncoder;
import ai.candle.streams.ingest.IngestFixture;
import ai.candle.streams.scoring.ScoringFixture;
import ai.candle.streams.validation.RejectReason;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image encoder that fails on a record (throws, an Error included, or returns an invalid
 * feature) dead-letters that record {@code encoder_failed}; the stream thread goes on with the next
 * one, for labelled images (ingest) and unlabelled ones (scoring) alike.
 */
class EncoderFailureTest {

  /** What {@link ai.candle.clip.ClipImageEncoder} throws when its model runs out of memory. */
  static final String BATCH_OOM =
      "the CLIP image encoder image_encoder.pt (PyTorch) failed on a"
          + " batch of 2 images: java.lang.OutOfMemoryError: Java heap space";

  @TempDir Path state;

  /** Fails as the image's first byte says; any other image gives a valid feature of width 4. */
  static float[] failing(byte[] image) {
    return switch (image[0]) {
      case 1 ->
          throw new EncoderFailedException(BATCH_OOM, new OutOfMemoryError("Java heap space"));
      case 2 -> throw new OutOfMemoryError("Requested array size exceeds VM limit");
      case 3 -> throw new IllegalStateException("the model is closed");
      case 4 -> new float[] {1, Float.NaN, 0, 0};
      case 5 -> new float[] {1, 0};
      default -> new float[] {image[0], 0, 0, 0};
    };
  }

  @Test
  void aLabelledImageTheEncoderFailsOnIsDeadLetteredAndTheNextOneCounts() {
    try (IngestFixture fx =
        new IngestFixture(state, Encoders.of(EncoderFailureTest::failing, null))) {
      List<byte[]> sent =
          List.of(
              pipe(fx, "oom-batch", 1),
              pipe(fx, "oom", 2),
              pipe(fx, "throws", 3),
              pipe(fx, "nan", 4),
              pipe(fx, "narrow", 5));
      pipe(fx, "fine", 7);

      List<DeadLetter> letters = fx.deadLetters.readValuesToList();
      assertEquals(5, letters.size());
      List<String> reasons =
          List.of(
              "image encoder failed: " + BATCH_OOM,
              "image encoder failed: java.lang.OutOfMemoryError: Requested array size exceeds VM"
                  + " limit",
              "image encoder failed: java.lang.IllegalStateException: the model is closed",
              "image encoder failed: image encoder returned NaN at index 1; check the encoder",
              "image encoder failed: image encoder returned 2 values, expected 4 (feature.width);"
                  + " check the encoder's model");
      List<String> errorClasses =
          List.of(
              EncoderFailedException.class.getName(),
              OutOfMemoryError.class.getName(),
              IllegalStateException.class.getName(),
              "validation",
              "validation");
      for (int i = 0; i < letters.size(); i++) {
        DeadLetter letter = letters.get(i);
        assertEquals(RejectReason.ENCODER_FAILED.tag(), letter.getCategory());
        assertEquals(reasons.get(i), letter.getReason());
        assertEquals(errorClasses.get(i), letter.getErrorClass());
        assertEquals(i, letter.getOffset());
        assertEquals(ByteBuffer.wrap(sent.get(i)), letter.getOriginalValue());
      }
      assertEquals(5.0, fx.deadLetterCount(RejectReason.ENCODER_FAILED));
      FeatureRecord feature = fx.features.readValue();
      assertEquals("fine", feature.getImageId());
      assertEquals(List.of(7f, 0f, 0f, 0f), feature.getFeature());
      assertEquals(1L, fx.counts.readValue());
      assertTrue(fx.features.isEmpty());
    }
  }

  @Test
  void anUnlabelledImageTheEncoderFailsOnIsDeadLetteredAndTheNextOneIsScored() {
    ImageEncoder encoder =
        image -> {
          if (image[0] == 1) {
            throw new EncoderFailedException(BATCH_OOM, new OutOfMemoryError("Java heap space"));
          }
          return axis(image[0]);
        };
    try (ScoringFixture f = ScoringFixture.scoring(state, Encoders.of(encoder, null))) {
      f.models.offer(version(model("cat", "dog", "fox"), 1), "models-0@0");
      byte[] failed =
          f.pipe(
              ImageToScore.newBuilder()
                  .setId("oom")
                  .setEventTime(IngestFixture.T0)
                  .setImageBytes(ByteBuffer.wrap(new byte[] {1}))
                  .build());
      DeadLetter letter = f.assertOnlyDeadLetter("oom", failed, RejectReason.ENCODER_FAILED);
      assertEquals("image encoder failed: " + BATCH_OOM, letter.getReason());

      f.pipe(
          ImageToScore.newBuilder()
              .setId("fine")
              .setEventTime(IngestFixture.T0)
              .setImageBytes(ByteBuffer.wrap(new byte[] {2}))
              .build());
      Prediction prediction = f.predictions.readValue();
      assertEquals("fine", prediction.getImageId());
      assertEquals("fox", prediction.getTopK().get(0).getClassName());
    }
  }

  private static byte[] pipe(IngestFixture fx, String id, int firstByte) {
    return fx.pipe(
        image(id, "tench").setImageBytes(ByteBuffer.wrap(new byte[] {(byte) firstByte})).build());
  }
}
