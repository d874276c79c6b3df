package ai.candle.trainer;

import ai.candle.core.CandleModel;
import ai.candle.core.FastScorer;
import ai.candle.core.FrequencyBucket;
import ai.candle.core.ZeroShot;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accuracy on the holdout: per class, per frequency bucket (the mean of the bucket's per-class
 * accuracies, so one head class cannot hide its tail), and balanced (the mean over all classes).
 *
 * @param balanced mean per-class accuracy; NaN when the holdout is empty
 * @param buckets mean per-class accuracy per bucket that has held-out images
 * @param images held-out images scored
 */
record HoldoutEvaluation(double balanced, Map<FrequencyBucket, Double> buckets, int images) {

  /** The held-out images, ranked against every class of a model. */
  record Holdout(float[][] images, String[] labels, Map<String, Long> liveCounts, int dim) {
    int size() {
      return labels.length;
    }

    /** The images as one row-major N×D array (zero-shot's input). */
    float[] flat() {
      float[] out = new float[images.length * dim];
      for (int i = 0; i < images.length; i++) {
        System.arraycopy(images[i], 0, out, i * dim, dim);
      }
      return out;
    }

    static Holdout of(
        Map<String, TrainingStore.ClassView> views,
        Map<String, Long> liveCounts,
        java.util.Set<String> classesInModel,
        int dim) {
      List<float[]> images = new ArrayList<>();
      List<String> labels = new ArrayList<>();
      views.forEach(
          (name, view) -> {
            if (classesInModel.contains(name)) {
              for (TrainingStore.Sample s : view.holdout()) {
                images.add(s.feature());
                labels.add(name);
              }
            }
          });
      return new Holdout(
          images.toArray(float[][]::new),
          labels.toArray(String[]::new),
          Map.copyOf(liveCounts),
          dim);
    }
  }

  boolean isEmpty() {
    return images == 0;
  }

  /** Metrics as recorded in a model version. */
  Map<String, Double> asMetrics(String prefix) {
    Map<String, Double> m = new LinkedHashMap<>();
    if (!isEmpty()) {
      m.put(prefix + ".balanced", balanced);
      buckets.forEach((bucket, acc) -> m.put(prefix + "." + bucket.tag(), acc));
    }
    m.put(prefix + ".images", (double) images);
    return m;
  }

  /** The model's predictions (each image scored alone, as the scorers do). */
  static HoldoutEvaluation ofModel(CandleModel model, Holdout holdout) {
    String[] predicted = new String[holdout.size()];
    if (holdout.size() > 0) {
      try (FastScorer scorer = FastScorer.prepare(model)) {
        float[][] scores = scorer.score(holdout.images());
        for (int i = 0; i < scores.length; i++) {
          predicted[i] = model.classNames().get(FastScorer.topK(scores[i], 1)[0]);
        }
      }
    }
    return of(predicted, holdout);
  }

  /** Zero-shot CLIP over the model's classes: the floor a fitted model must not fall below. */
  static HoldoutEvaluation ofZeroShot(CandleModel model, Holdout holdout) {
    String[] predicted = new String[holdout.size()];
    if (holdout.size() > 0) {
      int[] idx =
          ZeroShot.predict(
              holdout.flat(),
              holdout.size(),
              model.textFeatures(),
              model.numClasses(),
              model.dim());
      for (int i = 0; i < idx.length; i++) {
        predicted[i] = model.classNames().get(idx[i]);
      }
    }
    return of(predicted, holdout);
  }

  static HoldoutEvaluation of(String[] predicted, Holdout holdout) {
    Map<String, int[]> perClass = new LinkedHashMap<>();
    for (int i = 0; i < predicted.length; i++) {
      int[] hitsAndTotal = perClass.computeIfAbsent(holdout.labels()[i], k -> new int[2]);
      hitsAndTotal[1]++;
      if (holdout.labels()[i].equals(predicted[i])) {
        hitsAndTotal[0]++;
      }
    }
    Map<FrequencyBucket, double[]> sums = new EnumMap<>(FrequencyBucket.class);
    double total = 0;
    for (Map.Entry<String, int[]> e : perClass.entrySet()) {
      double acc = (double) e.getValue()[0] / e.getValue()[1];
      total += acc;
      FrequencyBucket b = FrequencyBucket.of(holdout.liveCounts().getOrDefault(e.getKey(), 0L));
      double[] s = sums.computeIfAbsent(b, k -> new double[2]);
      s[0] += acc;
      s[1]++;
    }
    Map<FrequencyBucket, Double> buckets = new EnumMap<>(FrequencyBucket.class);
    sums.forEach((b, s) -> buckets.put(b, s[0] / s[1]));
    double balanced = perClass.isEmpty() ? Double.NaN : total / perClass.size();
    return new HoldoutEvaluation(balanced, buckets, predicted.length);
  }
}
