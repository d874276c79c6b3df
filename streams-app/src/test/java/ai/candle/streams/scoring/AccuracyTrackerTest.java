package ai.candle.streams.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.FrequencyBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Buckets, sliding windows and the worst classes by rank. */
class AccuracyTrackerTest {

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  double worstGauge(int rank) {
    return registry
        .get(AccuracyTracker.WORST)
        .tag(AccuracyTracker.RANK_TAG, Integer.toString(rank))
        .gauge()
        .value();
  }

  @Test
  void bucketsFollowTheDesignThresholds() {
    assertEquals(FrequencyBucket.NEW, FrequencyBucket.of(0));
    assertEquals(FrequencyBucket.FEW, FrequencyBucket.of(1));
    assertEquals(FrequencyBucket.FEW, FrequencyBucket.of(19));
    assertEquals(FrequencyBucket.MEDIUM, FrequencyBucket.of(20));
    assertEquals(FrequencyBucket.MEDIUM, FrequencyBucket.of(100));
    assertEquals(FrequencyBucket.MANY, FrequencyBucket.of(101));
  }

  @Test
  void accuracyByVersionKeepsSeriesForTheTenNewestVersionsOnly() {
    AccuracyTracker tracker = new AccuracyTracker(registry, 1000, 3);
    for (long v = 1; v <= 12; v++) {
      for (int i = 0; i < 4; i++) {
        tracker.record("cat", 5, i < v % 4, v); // version v: v % 4 of its 4 predictions correct
      }
    }
    tracker.record("cat", 5, true, 2); // older than the ten kept: not counted, no series again
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), tracker.countedVersions());
    assertEquals(
        20,
        registry.find(AccuracyTracker.VERSION_OUTCOMES).counters().size(),
        "10 versions x 2 outcomes");
    assertTrue(
        registry
            .find(AccuracyTracker.VERSION_OUTCOMES)
            .tag(AccuracyTracker.VERSION_TAG, "2")
            .counters()
            .isEmpty(),
        "version 2's series were removed");
    for (long v = 3; v <= 12; v++) {
      double correct =
          registry
              .get(AccuracyTracker.VERSION_OUTCOMES)
              .tag(AccuracyTracker.VERSION_TAG, Long.toString(v))
              .tag(AccuracyTracker.OUTCOME_TAG, "correct")
              .counter()
              .count();
      double wrong =
          registry
              .get(AccuracyTracker.VERSION_OUTCOMES)
              .tag(AccuracyTracker.VERSION_TAG, Long.toString(v))
              .tag(AccuracyTracker.OUTCOME_TAG, "wrong")
              .counter()
              .count();
      assertEquals(v % 4, correct, "version " + v);
      assertEquals(4 - v % 4, wrong, "version " + v);
    }
  }

  @Test
  void aBucketsAccuracyIsOverItsLastPredictions() {
    AccuracyTracker tracker = new AccuracyTracker(registry, 4, 3);
    assertTrue(Double.isNaN(tracker.accuracy(FrequencyBucket.MANY)), "NaN before any");
    for (boolean correct : new boolean[] {true, true, false, false}) {
      tracker.record("cat", 500, correct);
    }
    assertEquals(0.5, tracker.accuracy(FrequencyBucket.MANY));
    tracker.record("cat", 500, false);
    tracker.record("cat", 500, false);
    assertEquals(0.0, tracker.accuracy(FrequencyBucket.MANY), "the two correct ones slid out");
    assertTrue(Double.isNaN(tracker.accuracy(FrequencyBucket.FEW)));
  }

  @Test
  void theWorstClassesAreRankedByAccuracyAmongClassesWithEnoughPredictions() {
    AccuracyTracker tracker = new AccuracyTracker(registry, 1000, 3);
    record(tracker, "good", 10, 9);
    record(tracker, "bad", 10, 2);
    record(tracker, "worse", 20, 1);
    record(tracker, "fine", 10, 7);
    record(tracker, "rare", AccuracyTracker.MIN_CLASS_PREDICTIONS - 1, 0);

    assertEquals(
        List.of(
            new AccuracyTracker.ClassAccuracy("worse", 0.05, 20),
            new AccuracyTracker.ClassAccuracy("bad", 0.2, 10),
            new AccuracyTracker.ClassAccuracy("fine", 0.7, 10)),
        tracker.worst());
    assertEquals(0.05, worstGauge(1), 1e-12);
    assertEquals(0.2, worstGauge(2), 1e-12);
    assertEquals(0.7, worstGauge(3), 1e-12);
  }

  @Test
  void ranksWithoutAClassAreNaN() {
    AccuracyTracker tracker = new AccuracyTracker(registry, 1000, 2);
    record(tracker, "only", 10, 5);
    assertEquals(0.5, worstGauge(1));
    assertTrue(Double.isNaN(worstGauge(2)));
  }

  private static void record(AccuracyTracker tracker, String name, int predictions, int correct) {
    for (int i = 0; i < predictions; i++) {
      tracker.record(name, 30, i < correct);
    }
  }

  double versionGauge(FrequencyBucket bucket) {
    return registry
        .get(AccuracyTracker.BY_VERSION)
        .tag(AccuracyTracker.BUCKET_TAG, bucket.tag())
        .gauge()
        .value();
  }

  @Test
  void theNewestVersionsAccuracyStartsFromZeroAndIgnoresOlderVersions() {
    AccuracyTracker tracker = new AccuracyTracker(registry, 1000, 3);
    assertTrue(Double.isNaN(versionGauge(FrequencyBucket.MANY)), "NaN before any");
    assertEquals(-1, tracker.accuracyVersion());
    tracker.record("cat", 500, true, 3);
    tracker.record("cat", 500, false, 3);
    tracker.record("ant", 5, true, 3);
    assertEquals(0.5, versionGauge(FrequencyBucket.MANY));
    assertEquals(1.0, versionGauge(FrequencyBucket.FEW));

    tracker.record("cat", 500, true, 4);
    assertEquals(4, tracker.accuracyVersion());
    assertEquals(1.0, versionGauge(FrequencyBucket.MANY), "version 4 starts from zero");
    assertTrue(
        Double.isNaN(versionGauge(FrequencyBucket.FEW)), "version 4 scored no few-bucket image");

    tracker.record("cat", 500, false, 3);
    assertEquals(
        1.0,
        versionGauge(FrequencyBucket.MANY),
        "a late prediction of version 3 is not version 4's");
    assertEquals(
        0.5, tracker.accuracy(FrequencyBucket.MANY), "the sliding window counts every prediction");
  }
}
