package ai.candle.cli.demo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What the demo sent and saw, for the report. */
final class DemoRun {
  private final DemoRecorder recorder;
  private final String dataLabel;
  private final Map<String, Long> counts = new LinkedHashMap<>();
  private final Map<String, Long> announcedMidStream = new LinkedHashMap<>();
  private final Map<String, Boolean> zeroShot = new ConcurrentHashMap<>();
  private int classes;
  private long events;
  private long labeled;
  private long unlabeled;
  private double streamSeconds;

  DemoRun(DemoRecorder recorder, String dataLabel) {
    this.recorder = recorder;
    this.dataLabel = dataLabel;
  }

  DemoRecorder recorder() {
    return recorder;
  }

  /** Says where the data came from: "synthetic …" or the dataset folder. */
  String dataLabel() {
    return dataLabel;
  }

  synchronized void announced(String name, boolean midStream) {
    classes++;
    counts.putIfAbsent(name, 0L);
    if (midStream) {
      announcedMidStream.put(name, System.currentTimeMillis());
    }
    events++;
  }

  /** Counts a labelled image; returns the class's count before it. */
  synchronized long labeled(String name, String id, boolean zeroShotCorrect) {
    long before = counts.getOrDefault(name, 0L);
    counts.put(name, before + 1);
    zeroShot.put("L:" + id, zeroShotCorrect);
    labeled++;
    events++;
    return before;
  }

  synchronized long unlabeled(String name, String id, boolean zeroShotCorrect) {
    zeroShot.put("U:" + id, zeroShotCorrect);
    unlabeled++;
    events++;
    return counts.getOrDefault(name, 0L);
  }

  boolean zeroShotCorrect(DemoRecorder.Judged j) {
    return zeroShot.getOrDefault((j.prequential() ? "L:" : "U:") + j.imageId(), false);
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
