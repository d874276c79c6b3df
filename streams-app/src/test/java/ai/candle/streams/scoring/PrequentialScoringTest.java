package ai.candle.streams.scoring;

import static ai.candle.streams.model.TestModels.axis;
import static ai.candle.streams.model.TestModels.axisList;
import static ai.candle.streams.model.TestModels.model;
import static ai.candle.streams.model.TestModels.version;
import static ai.candle.streams.scoring.ScoringFixture.T0;
import static ai.candle.streams.scoring.ScoringFixture.expected;
import static ai.candle.streams.scoring.ScoringFixture.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.CandleModel;
import ai.candle.core.FrequencyBucket;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.Prediction;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Labelled images are scored with the serving model before they count. */
class PrequentialScoringTest {

  static final AvroSerde<LabeledImage> LABELED = AvroSerde.of(LabeledImage.class);
  static final CandleModel FOUR = model("cat", "dog", "fox", "owl");

  @TempDir Path state;

  static void pipe(ScoringFixture f, String id, String label, int axis) {
    LabeledImage image =
        LabeledImage.newBuilder()
            .setId(id)
            .setEventTime(T0)
            .setLabel(label)
            .setFeature(axisList(axis))
            .build();
    f.labeled.pipeInput(utf8(id), LABELED.encode(image), T0);
  }

  static TestOutputTopic<String, FeatureRecord> features(ScoringFixture f) {
    return f.driver.createOutputTopic(
        ScoringFixture.TOPICS.features().name(),
        ScoringFixture.TOPICS.features().keySerde().deserializer(),
        ScoringFixture.TOPICS.features().valueSerde().deserializer());
  }

  @Test
  void aValidLabelledImageIsScoredBeforeItCountsWithItsLabel() {
    try (ScoringFixture f = ScoringFixture.ingest(state, "--scoring-top-k", "2")) {
      f.models.offer(version(FOUR, 9), "models-0@0");
      pipe(f, "img-1", "dog", 1);

      assertEquals(
          List.of(KeyValue.pair("img-1", expected(FOUR, 9, "img-1", axis(1), 2, "dog"))),
          f.predictions.readKeyValuesToList());
      assertEquals(1, features(f).readValuesToList().size(), "the image still counts");
      assertEquals(1.0, f.predictionCount(ScoringRole.PREQUENTIAL));
      assertEquals(0.0, f.predictionCount(ScoringRole.UNLABELED));
    }
  }

  @Test
  void beforeAnyModelALabelledImageCountsWithoutAPrediction() {
    try (ScoringFixture f = ScoringFixture.ingest(state)) {
      pipe(f, "img-1", "dog", 1);

      assertTrue(f.predictions.isEmpty());
      assertEquals(1, features(f).readValuesToList().size());
      assertEquals(1.0, f.registry.get(ScoringMetrics.UNSCORED).counter().count());
    }
  }

  @Test
  void anInvalidLabelledImageIsDeadLetteredAndNotScored() {
    try (ScoringFixture f = ScoringFixture.ingest(state)) {
      f.models.offer(version(FOUR, 1), "models-0@0");
      f.labeled.pipeInput(utf8("bad"), utf8("not a labelled image"), T0);

      assertTrue(f.predictions.isEmpty());
      assertEquals("not_schema", f.deadLetters.readValue().getCategory());
    }
  }

  @Test
  void accuracyIsTrackedPerFrequencyBucketOfTheLiveCount() {
    try (ScoringFixture f = ScoringFixture.ingest(state)) {
      f.models.offer(version(FOUR, 1), "models-0@0");
      f.counts.putAll(Map.of("cat", 500L, "dog", 50L, "fox", 5L));
      pipe(f, "c1", "cat", 0);
      pipe(f, "c2", "cat", 0);
      pipe(f, "d1", "dog", 1);
      pipe(f, "d2", "dog", 3);
      pipe(f, "f1", "fox", 3);
      pipe(f, "o1", "owl", 3);

      List<Prediction> out = f.predictions.readValuesToList();
      assertEquals(
          List.of("cat", "cat", "dog", "owl", "owl", "owl"),
          out.stream().map(p -> p.getTopK().get(0).getClassName()).toList(),
          "e_j predicts class j");
      AccuracyTracker accuracy = f.scoring.accuracy();
      assertEquals(1.0, accuracy.accuracy(FrequencyBucket.MANY));
      assertEquals(0.5, accuracy.accuracy(FrequencyBucket.MEDIUM));
      assertEquals(0.0, accuracy.accuracy(FrequencyBucket.FEW));
      assertEquals(1.0, accuracy.accuracy(FrequencyBucket.NEW), "owl: no image counted yet");
      assertEquals(1.0, gauge(f, "bucket", "medium") * 2, "the gauge reads the tracker");
      assertEquals(
          1.0,
          f.registry
              .get(AccuracyTracker.OUTCOMES)
              .tag("bucket", "medium")
              .tag("outcome", "wrong")
              .counter()
              .count());
    }
  }

  private static double gauge(ScoringFixture f, String tag, String value) {
    return f.registry.get(AccuracyTracker.PREQUENTIAL).tag(tag, value).gauge().value();
  }
}
