package ai.candle.cli;

import ai.candle.core.FrequencyBucket;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Accuracy of a method on the test images of a features dataset, as docs/design.md ("Features
 * datasets") and docs/method.md (base-to-new protocol) define it.
 *
 * <ul>
 *   <li>{@code all}: the prediction is the argmax over all C classes; base = accuracy on the test
 *       images of base classes, new = on those of new classes.
 *   <li>{@code split}: the argmax is restricted to the base classes for base images and to the new
 *       classes for new images (the reference protocol).
 *   <li>{@code hm} = 2·base·new/(base+new), 0 when both are 0.
 *   <li>buckets: accuracy of the {@code all} predictions on the test images whose true class had
 *       many (&gt; 100), medium (20–100), few (1–19) or no (new) training images.
 * </ul>
 *
 * An accuracy over no images is {@code null} (never NaN).
 */
final class Metrics {
  private Metrics() {}

  /**
   * Base, new and harmonic-mean accuracy, fractions in [0, 1].
   *
   * @param base accuracy on the base classes' test images (null: none)
   * @param novel accuracy on the new classes' test images (null: none); "new" in reports
   * @param hm harmonic mean (null unless both are known)
   */
  record SplitAccuracy(Double base, Double novel, Double hm) {
    static SplitAccuracy of(Double base, Double novel) {
      Double hm = null;
      if (base != null && novel != null) {
        hm = base + novel == 0 ? 0.0 : 2 * base * novel / (base + novel);
      }
      return new SplitAccuracy(base, novel, hm);
    }
  }

  /**
   * Everything measured for one method.
   *
   * @param all predictions over all classes
   * @param split predictions within each split
   * @param buckets accuracy per frequency bucket ({@code all} predictions); a bucket without test
   *     images is absent
   */
  record Accuracies(SplitAccuracy all, SplitAccuracy split, Map<FrequencyBucket, Double> buckets) {
    Accuracies {
      buckets = Collections.unmodifiableMap(new EnumMap<>(buckets));
    }
  }

  /**
   * Predicted classes of every test image.
   *
   * @param all argmax over all classes
   * @param withinSplit argmax within the base classes for base images, within the new classes for
   *     new images
   */
  record Predictions(int[] all, int[] withinSplit) {}

  /** Predictions from per-image scores (M×C); ties go to the lower class index. */
  static Predictions fromScores(float[][] scores, int[] labels, int baseClasses) {
    int m = labels.length;
    int[] all = new int[m];
    int[] within = new int[m];
    for (int i = 0; i < m; i++) {
      int c = scores[i].length;
      all[i] = argmax(scores[i], 0, c);
      within[i] =
          labels[i] < baseClasses
              ? argmax(scores[i], 0, baseClasses)
              : argmax(scores[i], baseClasses, c);
    }
    return new Predictions(all, within);
  }

  static int argmax(float[] row, int from, int to) {
    int best = from;
    for (int j = from + 1; j < to; j++) {
      if (row[j] > row[best]) {
        best = j;
      }
    }
    return best;
  }

  /**
   * Measures predictions against the labels.
   *
   * @param trainCounts training images per class (length C), which decide base/new and buckets
   */
  static Accuracies measure(Predictions p, int[] labels, int baseClasses, int[] trainCounts) {
    Tally allBase = new Tally();
    Tally allNew = new Tally();
    Tally splitBase = new Tally();
    Tally splitNew = new Tally();
    Map<FrequencyBucket, Tally> buckets = new EnumMap<>(FrequencyBucket.class);
    for (int i = 0; i < labels.length; i++) {
      int y = labels[i];
      boolean base = y < baseClasses;
      (base ? allBase : allNew).add(p.all()[i] == y);
      (base ? splitBase : splitNew).add(p.withinSplit()[i] == y);
      buckets
          .computeIfAbsent(FrequencyBucket.of(trainCounts[y]), b -> new Tally())
          .add(p.all()[i] == y);
    }
    Map<FrequencyBucket, Double> bucketAccuracy = new EnumMap<>(FrequencyBucket.class);
    buckets.forEach((b, t) -> bucketAccuracy.put(b, t.accuracy()));
    return new Accuracies(
        SplitAccuracy.of(allBase.accuracy(), allNew.accuracy()),
        SplitAccuracy.of(splitBase.accuracy(), splitNew.accuracy()),
        bucketAccuracy);
  }

  /** Hits over images. */
  private static final class Tally {
    private int hits;
    private int total;

    void add(boolean hit) {
      total++;
      if (hit) {
        hits++;
      }
    }

    Double accuracy() {
      return total == 0 ? null : (double) hits / total;
    }
  }
}
