package ai.candle.streams.scoring;

import static ai.candle.streams.model.TestModels.axis;
import static ai.candle.streams.model.TestModels.axisList;
import static ai.candle.streams.model.TestModels.model;
import static ai.candle.streams.model.TestModels.version;
import static ai.candle.streams.scoring.ScoringFixture.T0;
import static ai.candle.streams.scoring.ScoringFixture.expected;
import static ai.candle.streams.scoring.ScoringFixture.utf8;
import static ai.candle.streams.scoring.ScoringFixture.withFeature;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.CandleModel;
import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.Prediction;
import ai.candle.schemas.ScoredClass;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.encode.ImageEncoder;
import ai.candle.streams.model.TestModels;
import ai.candle.streams.validation.RejectReason;
import ai.candle.streams.validation.internals.ImageFeatures;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scoring topology: one prediction or one dead letter per unlabelled image. */
class ScoringTopologyTest {

  static final CandleModel ANIMALS = model("cat", "dog", "fox", "owl", "elk", "yak");

  @TempDir Path state;

  @Test
  void everyImageGetsOnePredictionWithTheTopKBestFirst() {
    try (ScoringFixture f =
        ScoringFixture.scoring(state, Encoders.none(), "--scoring-top-k", "3")) {
      f.models.offer(version(ANIMALS, 7), "models-0@0");
      List<Float> mixed = new ArrayList<>(Collections.nCopies(TestModels.WIDTH, 0f));
      mixed.set(1, 0.6f);
      mixed.set(4, 0.8f);
      f.pipe(withFeature("img-1", axisList(2)));
      f.pipe(withFeature("img-2", mixed));

      List<KeyValue<String, Prediction>> out = f.predictions.readKeyValuesToList();
      float[] mixedArray = ImageFeatures.toArray(mixed);
      assertEquals(
          List.of(
              KeyValue.pair("img-1", expected(ANIMALS, 7, "img-1", axis(2), 3, null)),
              KeyValue.pair("img-2", expected(ANIMALS, 7, "img-2", mixedArray, 3, null))),
          out);
      assertEquals("fox", out.get(0).value.getTopK().get(0).getClassName(), "e_2 is a fox");
      for (KeyValue<String, Prediction> kv : out) {
        List<ScoredClass> top = kv.value.getTopK();
        assertEquals(3, top.size());
        for (int i = 1; i < top.size(); i++) {
          assertTrue(top.get(i - 1).getScore() >= top.get(i).getScore(), "best first: " + top);
        }
      }
      assertTrue(f.deadLetters.isEmpty());
      assertEquals(2.0, f.predictionCount(ScoringRole.UNLABELED));
    }
  }

  @Test
  void topKIsCappedByTheModelsClasses() {
    try (ScoringFixture f = ScoringFixture.scoring(state, Encoders.none())) {
      CandleModel two = model("cat", "dog");
      f.models.offer(version(two, 1), "models-0@0");
      f.pipe(withFeature("img-1", axisList(1)));

      assertEquals(expected(two, 1, "img-1", axis(1), 5, null), f.predictions.readValue());
      assertTrue(f.predictions.isEmpty());
    }
  }

  @Test
  void aSwappedVersionScoresTheNextImage() {
    try (ScoringFixture f = ScoringFixture.scoring(state, Encoders.none())) {
      CandleModel first = model("cat", "dog");
      CandleModel second = TestModels.extend(first, "fox");
      f.models.offer(version(first, 1), "models-0@0");
      f.pipe(withFeature("img-1", axisList(2)));
      f.models.offer(version(second, 2), "models-0@1");
      f.pipe(withFeature("img-2", axisList(2)));

      assertEquals(
          List.of(
              expected(first, 1, "img-1", axis(2), 5, null),
              expected(second, 2, "img-2", axis(2), 5, null)),
          f.predictions.readValuesToList());
    }
  }

  @Test
  void invalidImagesAreDeadLetteredWithTheirReason() {
    List<Float> nan = axisList(0);
    nan.set(3, Float.NaN);
    assertDeadLettered(
        withFeature("short", axisList(0).subList(0, 8)),
        RejectReason.WIDTH,
        "feature has 8 values, expected 16 (feature.width)");
    assertDeadLettered(
        withFeature("nan", nan),
        RejectReason.NON_FINITE,
        "feature[3] is NaN; every value must be finite");
    assertDeadLettered(
        ImageToScore.newBuilder().setId("none").setEventTime(T0).build(),
        RejectReason.IMAGE_FEATURE_CHOICE,
        "neither an image (imageBytes or imageUri) nor a"
            + " feature is set; exactly one of imageBytes, imageUri, feature is required");
    assertDeadLettered(
        ImageToScore.newBuilder()
            .setId("png")
            .setEventTime(T0)
            .setImageBytes(ByteBuffer.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G'}))
            .build(),
        RejectReason.NO_ENCODER,
        "no image encoder configured");
  }

  private void assertDeadLettered(ImageToScore image, RejectReason reason, String message) {
    try (ScoringFixture f = ScoringFixture.scoring(state.resolve(image.getId()), Encoders.none())) {
      f.models.offer(version(ANIMALS, 1), "models-0@0");
      byte[] bytes = f.pipe(image);
      assertEquals(message, f.assertOnlyDeadLetter(image.getId(), bytes, reason).getReason());
    }
  }

  @Test
  void bytesThatAreNotAnImageToScoreAreDeadLettered() {
    try (ScoringFixture f = ScoringFixture.scoring(state, Encoders.none())) {
      f.models.offer(version(ANIMALS, 1), "models-0@0");
      byte[] junk = utf8("{\"id\": \"json\"}");
      f.unlabeled.pipeInput(utf8("json"), junk, T0);

      DeadLetter letter = f.assertOnlyDeadLetter("json", junk, RejectReason.NOT_SCHEMA);
      assertTrue(letter.getReason().startsWith("Not a ImageToScore record"), letter.getReason());
    }
  }

  @Test
  void imageBytesGoThroughTheImageEncoder() {
    ImageEncoder encoder = image -> axis(image[0]);
    try (ScoringFixture f = ScoringFixture.scoring(state, Encoders.of(encoder, null))) {
      f.models.offer(version(ANIMALS, 1), "models-0@0");
      f.pipe(
          ImageToScore.newBuilder()
              .setId("img")
              .setEventTime(T0)
              .setImageBytes(ByteBuffer.wrap(new byte[] {3}))
              .build());

      assertEquals(expected(ANIMALS, 1, "img", axis(3), 5, null), f.predictions.readValue());
    }
  }

  @Test
  void beforeAnyModelTheDeadLetterPolicyDeadLettersWithNoModelYet() {
    try (ScoringFixture f =
        ScoringFixture.scoring(state, Encoders.none(), "--scoring-no-model", "dead-letter")) {
      byte[] bytes = f.pipe(withFeature("early", axisList(0)));

      DeadLetter letter = f.assertOnlyDeadLetter("early", bytes, RejectReason.NO_MODEL);
      assertEquals(
          "no model yet: no version of model 'candle' serves" + " (scoring.no-model=dead-letter)",
          letter.getReason());
    }
  }

  @Test
  void beforeAnyModelTheWaitPolicyNeverConsumesAnImage() {
    // With wait the app starts the scoring client only once a version serves; a record that
    // reaches the processor anyway stops the client (uncommitted, so it is not lost).
    try (ScoringFixture f = ScoringFixture.scoring(state, Encoders.none())) {
      StreamsException e =
          assertThrows(StreamsException.class, () -> f.pipe(withFeature("early", axisList(0))));
      assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
      assertTrue(f.predictions.isEmpty());
      assertTrue(f.deadLetters.isEmpty());
    }
  }

  @Test
  void aPartitionScoredWithANewerVersionElsewhereWaitsForIt() throws Exception {
    try (ScoringFixture f =
        ScoringFixture.scoring(state, Encoders.none(), "--scoring-catch-up-ms", "30000")) {
      f.models.offer(version(ANIMALS, 1), "models-0@0");
      versionStore(f).put("newest", 3L);
      Thread loader =
          new Thread(
              () -> {
                sleep(200);
                f.models.offer(version(ANIMALS, 3), "models-0@2");
              });
      loader.start();
      f.pipe(withFeature("img", axisList(0)));
      loader.join();

      assertEquals(3, f.predictions.readValue().getModelVersion());
      assertEquals(0.0, f.registry.get(ScoringMetrics.BEHIND).counter().count());
    }
  }

  @Test
  void aProcessStillBehindAfterTheCatchUpWaitScoresWithWhatItHasAndCountsIt() {
    try (ScoringFixture f =
        ScoringFixture.scoring(state, Encoders.none(), "--scoring-catch-up-ms", "50")) {
      f.models.offer(version(ANIMALS, 1), "models-0@0");
      versionStore(f).put("newest", 3L);
      f.pipe(withFeature("img-1", axisList(0)));
      f.pipe(withFeature("img-2", axisList(0)));

      assertEquals(
          List.of(1L, 1L),
          f.predictions.readValuesToList().stream().map(Prediction::getModelVersion).toList());
      assertEquals(2.0, f.registry.get(ScoringMetrics.BEHIND).counter().count());
      assertEquals(3L, versionStore(f).get("newest"), "the partition's newest stays");
    }
  }

  @Test
  void theTaskRemembersTheNewestVersionItScoredWith() {
    try (ScoringFixture f = ScoringFixture.scoring(state, Encoders.none())) {
      f.models.offer(version(ANIMALS, 4), "models-0@0");
      f.pipe(withFeature("img", axisList(0)));
      assertEquals(4L, versionStore(f).get("newest"));
    }
  }

  private static KeyValueStore<String, Long> versionStore(ScoringFixture f) {
    return f.driver.getKeyValueStore(ScoringTopology.MODEL_VERSIONS_STORE);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
