package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.candle.cli.Metrics.Accuracies;
import ai.candle.cli.Metrics.Predictions;
import ai.candle.cli.Metrics.SplitAccuracy;
import ai.candle.core.FrequencyBucket;
import org.junit.jupiter.api.Test;

/** The accuracy definitions of the evaluate command. */
class CliMetricsTest {

  @Test
  void bucketBoundaries() {
    assertEquals(FrequencyBucket.MANY, FrequencyBucket.of(101));
    assertEquals(FrequencyBucket.MEDIUM, FrequencyBucket.of(100));
    assertEquals(FrequencyBucket.MEDIUM, FrequencyBucket.of(20));
    assertEquals(FrequencyBucket.FEW, FrequencyBucket.of(19));
    assertEquals(FrequencyBucket.FEW, FrequencyBucket.of(1));
    assertEquals(FrequencyBucket.NEW, FrequencyBucket.of(0));
  }

  @Test
  void harmonicMean() {
    assertEquals(0.0, SplitAccuracy.of(0.0, 0.0).hm());
    assertEquals(0.0, SplitAccuracy.of(0.8, 0.0).hm());
    assertEquals(2 * 0.6 * 0.3 / 0.9, SplitAccuracy.of(0.6, 0.3).hm(), 1e-15);
    assertNull(SplitAccuracy.of(0.6, null).hm());
  }

  @Test
  void predictionsFromScoresOverAllClassesAndWithinTheSplit() {
    // 2 base classes (0, 1), 2 new (2, 3)
    float[][] scores = {
      {1, 2, 3, 0}, // base image (label 1): all → 2, within base → 1
      {5, 0, 1, 2}, // new image (label 3): all → 0, within new → 3
      {1, 1, 0, 0}, // tie: lower index
    };
    int[] labels = {1, 3, 0};
    Predictions p = Metrics.fromScores(scores, labels, 2);
    assertArrayEquals(new int[] {2, 0, 0}, p.all());
    assertArrayEquals(new int[] {1, 3, 0}, p.withinSplit());

    Accuracies a = Metrics.measure(p, labels, 2, new int[] {150, 30, 0, 0});
    assertEquals(0.5, a.all().base()); // images 0 (wrong) and 2 (right)
    assertEquals(0.0, a.all().novel());
    assertEquals(0.0, a.all().hm());
    assertEquals(1.0, a.split().base());
    assertEquals(1.0, a.split().novel());
    assertEquals(1.0, a.split().hm());
    assertEquals(1.0, a.buckets().get(FrequencyBucket.MANY)); // class 0: 150 images
    assertEquals(0.0, a.buckets().get(FrequencyBucket.MEDIUM)); // class 1: 30 images
    assertEquals(0.0, a.buckets().get(FrequencyBucket.NEW));
    assertFalse(a.buckets().containsKey(FrequencyBucket.FEW));
  }

  @Test
  void noImagesMeansNull() {
    Accuracies a =
        Metrics.measure(
            new Predictions(new int[0], new int[0]), new int[0], 2, new int[] {3, 3, 0});
    assertNull(a.all().base());
    assertNull(a.split().hm());
    assertEquals(0, a.buckets().size());
  }
}
