package ai.candle.cli.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** What the demo sent and saw, for the report. */
final class DemoRun {
  private final DemoRecorder recorder;
  private final String dataLabel;
  private final List<String> classNames;
  private final Map<String, Long> counts = new LinkedHashMap<>();
  private final Map<String, Long> announcedMidStream = new LinkedHashMap<>();

  /** The image sent under each id ("L:" labelled, "U:" unlabelled), unit-normalised. */
  private final Map<String, float[]> images = new ConcurrentHashMap<>();

  /** Each announced class's text feature, unit-normalised. */
  private final Map<String, float[]> texts = new ConcurrentHashMap<>();

  private int classes;
  private long events;
  private long labeled;
  private long unlabeled;
  private double streamSeconds;

  /**
   * @param classNames the dataset's classes, by label
   */
  DemoRun(DemoRecorder recorder, String dataLabel, List<String> classNames) {
    this.recorder = recorder;
    this.dataLabel = dataLabel;
    this.classNames = List.copyOf(classNames);
  }

  DemoRecorder recorder() {
    return recorder;
  }

  /** Says where the data came from: "synthetic …" or the dataset folder. */
  String dataLabel() {
    return dataLabel;
  }

  synchronized void announced(String name, boolean midStream, float[] text) {
    texts.put(name, unit(text));
    classes++;
    counts.putIfAbsent(name, 0L);
    if (midStream) {
      announcedMidStream.put(name, System.currentTimeMillis());
    }
    events++;
  }

  /** Counts a labelled image; returns the class's count before it. */
  synchronized long labeled(String name, String id, float[] feature) {
    long before = counts.getOrDefault(name, 0L);
    counts.put(name, before + 1);
    images.put("L:" + id, unit(feature));
    labeled++;
    events++;
    return before;
  }

  synchronized long unlabeled(String name, String id, float[] feature) {
    images.put("U:" + id, unit(feature));
    unlabeled++;
    events++;
    return counts.getOrDefault(name, 0L);
  }

  /**
   * Whether zero-shot CLIP over {@code classes} (the class set of the version that judged the
   * image) names the image's class: the highest cosine to a class's text; ties to the first class
   * by label.
   */
  boolean zeroShotCorrect(DemoRecorder.Judged j, Set<String> classes) {
    float[] x = images.get((j.prequential() ? "L:" : "U:") + j.imageId());
    if (x == null || classes.isEmpty()) {
      return false;
    }
    int best = -1;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int label = 0; label < classNames.size(); label++) {
      float[] t = texts.get(classNames.get(label));
      if (t == null || !classes.contains(classNames.get(label))) {
        continue;
      }
      double s = 0;
      for (int k = 0; k < x.length; k++) {
        s += x[k] * t[k];
      }
      if (s > bestScore) {
        bestScore = s;
        best = label;
      }
    }
    return best == j.label();
  }

  private static float[] unit(float[] v) {
    double ss = 0;
    for (float x : v) {
      ss += (double) x * x;
    }
    double inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    float[] out = new float[v.length];
    for (int k = 0; k < v.length; k++) {
      out[k] = (float) (v[k] * inv);
    }
    return out;
  }

  synchronized Map<String, Long> finalCounts() {
    return new LinkedHashMap<>(counts);
  }

  synchronized Map<String, Long> announcedMidStream() {
    return new LinkedHashMap<>(announcedMidStream);
  }

  synchronized int classes() {
    return classes;
  }

  synchronized long events() {
    return events;
  }

  synchronized long labeled() {
    return labeled;
  }

  synchronized long unlabeled() {
    return unlabeled;
  }

  synchronized double streamSeconds() {
    return streamSeconds;
  }

  synchronized void streamSeconds(double s) {
    streamSeconds = s;
  }
}
