package ai.candle.cli.demo;

import ai.candle.core.FrequencyBucket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The demo's report folder: {@code report.md}, three PNG charts and the CSV files behind them.
 *
 * <ul>
 *   <li>{@code accuracy-by-version.png/.csv}: accuracy per frequency bucket (at the time the image
 *       was sent) of the predictions each model version made, prequential and unlabelled together,
 *       with zero-shot CLIP on the same images over the same version's classes as dashed lines (and
 *       a table per version in the report);
 *   <li>{@code class-counts.png/.csv}: labelled images per class at the end, largest first;
 *   <li>{@code announcement-latency.png/.csv}: per announced new class, seconds from its
 *       announcement to the first version that contains it and to the first prediction made by such
 *       a version.
 * </ul>
 */
final class DemoReport {
  private static final List<FrequencyBucket> BUCKETS = List.of(FrequencyBucket.values());

  /** Fewest predictions of a bucket by one version for a point on the chart. */
  static final int MIN_CHART_IMAGES = 5;

  /** One announced class's latencies, in seconds (NaN when it never happened). */
  record Latency(String className, double toVersion, double toPrediction) {}

  /**
   * What went into the report, for the terminal summary and tests.
   *
   * @param belowZeroShot "version/bucket" where a version's predictions of 5+ images were less
   *     accurate than zero-shot CLIP's over the same images and the version's classes
   */
  record Summary(
      Path folder,
      int versions,
      Map<FrequencyBucket, Double> finalAccuracy,
      Map<FrequencyBucket, Double> zeroShot,
      List<Latency> latencies,
      long predictions,
      List<String> belowZeroShot) {}

  private DemoReport() {}

  static Summary write(Path folder, DemoRun run) throws IOException {
    Files.createDirectories(folder);
    List<DemoRecorder.Judged> judged = run.recorder().judged();
    Map<Long, Map<FrequencyBucket, int[]>> byVersion = new TreeMap<>();
    Map<Long, Map<FrequencyBucket, int[]>> zeroShotByVersion = new TreeMap<>();
    Map<FrequencyBucket, int[]> afterFit = new EnumMap<>(FrequencyBucket.class);
    Map<FrequencyBucket, int[]> zeroShotAfterFit = new EnumMap<>(FrequencyBucket.class);
    Map<Long, DemoRecorder.Version> versions = new TreeMap<>();
    run.recorder().versions().forEach(v -> versions.put(v.version(), v));
    long firstFit =
        versions.values().stream()
            .filter(v -> v.origin().equals("FIT"))
            .mapToLong(DemoRecorder.Version::version)
            .min()
            .orElse(Long.MIN_VALUE);
    for (DemoRecorder.Judged j : judged) {
      boolean hit = j.predicted() == j.label();
      // zero-shot CLIP over the classes of the version that made the prediction, on the same image
      DemoRecorder.Version v = versions.get(j.version());
      boolean zeroShotHit = v != null && run.zeroShotCorrect(j, v.classes());
      add(
          byVersion.computeIfAbsent(j.version(), k -> new EnumMap<>(FrequencyBucket.class)),
          j.bucket(),
          hit);
      add(
          zeroShotByVersion.computeIfAbsent(j.version(), k -> new EnumMap<>(FrequencyBucket.class)),
          j.bucket(),
          zeroShotHit);
      if (j.version() >= firstFit) {
        add(afterFit, j.bucket(), hit);
        add(zeroShotAfterFit, j.bucket(), zeroShotHit);
      }
    }
    List<String> below = belowZeroShot(byVersion, zeroShotByVersion);
    writeAccuracy(folder, byVersion, zeroShotByVersion);
    writeCounts(folder, run);
    List<Latency> latencies = latencies(run);
    writeLatencies(folder, latencies);
    Summary summary =
        new Summary(
            folder,
            byVersion.size(),
            rates(afterFit),
            rates(zeroShotAfterFit),
            latencies,
            judged.size(),
            below);
    writeMarkdown(folder, run, summary, byVersion, zeroShotByVersion, versions);
    return summary;
  }

  /**
   * "version/bucket" where a version's accuracy on 5+ images was below zero-shot's on the same
   * images.
   */
  static List<String> belowZeroShot(
      Map<Long, Map<FrequencyBucket, int[]>> byVersion,
      Map<Long, Map<FrequencyBucket, int[]>> zeroShotByVersion) {
    List<String> out = new ArrayList<>();
    byVersion.forEach(
        (version, buckets) ->
            buckets.forEach(
                (bucket, t) -> {
                  int[] z = zeroShotByVersion.get(version).get(bucket);
                  if (t[1] >= MIN_CHART_IMAGES && t[0] < z[0]) {
                    out.add(version + "/" + bucket.tag());
                  }
                }));
    return out;
  }

  private static void add(Map<FrequencyBucket, int[]> m, FrequencyBucket b, boolean hit) {
    int[] t = m.computeIfAbsent(b, k -> new int[2]);
    t[1]++;
    if (hit) {
      t[0]++;
    }
  }

  static Map<FrequencyBucket, Double> rates(Map<FrequencyBucket, int[]> m) {
    Map<FrequencyBucket, Double> out = new EnumMap<>(FrequencyBucket.class);
    m.forEach((b, t) -> out.put(b, t[1] == 0 ? Double.NaN : (double) t[0] / t[1]));
    return out;
  }

  private static void writeAccuracy(
      Path folder,
      Map<Long, Map<FrequencyBucket, int[]>> byVersion,
      Map<Long, Map<FrequencyBucket, int[]>> zeroShotByVersion)
      throws IOException {
    StringBuilder csv =
        new StringBuilder(
            "model_version,bucket,images,correct,accuracy,zero_shot_correct,zero_shot_accuracy\n");
    List<String> ticks = new ArrayList<>();
    Map<FrequencyBucket, double[]> lines = new EnumMap<>(FrequencyBucket.class);
    Map<FrequencyBucket, double[]> zeroShotLines = new EnumMap<>(FrequencyBucket.class);
    BUCKETS.forEach(b -> lines.put(b, new double[byVersion.size()]));
    BUCKETS.forEach(b -> zeroShotLines.put(b, new double[byVersion.size()]));
    int i = 0;
    for (Map.Entry<Long, Map<FrequencyBucket, int[]>> e : byVersion.entrySet()) {
      ticks.add("v" + e.getKey());
      for (FrequencyBucket b : BUCKETS) {
        int[] t = e.getValue().get(b);
        int[] z = zeroShotByVersion.get(e.getKey()).get(b);
        double acc = t == null || t[1] == 0 ? Double.NaN : (double) t[0] / t[1];
        double zs = t == null || t[1] == 0 ? Double.NaN : (double) z[0] / z[1];
        // the chart leaves out points of fewer than MIN_CHART_IMAGES images (noise); the CSV has
        // them all
        lines.get(b)[i] = t == null || t[1] < MIN_CHART_IMAGES ? Double.NaN : acc;
        zeroShotLines.get(b)[i] = t == null || t[1] < MIN_CHART_IMAGES ? Double.NaN : zs;
        if (t != null) {
          csv.append(
              String.format(
                  Locale.ROOT,
                  "%d,%s,%d,%d,%.4f,%d,%.4f%n",
                  e.getKey(),
                  b.tag(),
                  t[1],
                  t[0],
                  acc,
                  z[0],
                  zs));
        }
      }
      i++;
    }
    Files.writeString(folder.resolve("accuracy-by-version.csv"), csv);
    List<Charts.Series> series = new ArrayList<>();
    for (FrequencyBucket b : BUCKETS) {
      series.add(new Charts.Series(b.tag(), lines.get(b), false, b.ordinal()));
    }
    for (FrequencyBucket b : BUCKETS) {
      if (java.util.Arrays.stream(zeroShotLines.get(b)).anyMatch(v -> !Double.isNaN(v))) {
        series.add(
            new Charts.Series("zero-shot " + b.tag(), zeroShotLines.get(b), true, b.ordinal()));
      }
    }
    Charts.lines(
        folder.resolve("accuracy-by-version.png"),
        "Accuracy per bucket over model versions (dashed: zero-shot CLIP over the version's classes; points of 5+ images)",
        "model version that made the prediction",
        "accuracy",
        ticks.isEmpty() ? List.of("-") : ticks,
        series,
        1.0);
  }

  private static void writeCounts(Path folder, DemoRun run) throws IOException {
    List<Map.Entry<String, Long>> counts = new ArrayList<>(run.finalCounts().entrySet());
    counts.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
    StringBuilder csv = new StringBuilder("class,labelled_images,bucket\n");
    double[] values = new double[counts.size()];
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < counts.size(); i++) {
      Map.Entry<String, Long> e = counts.get(i);
      csv.append(csvField(e.getKey()))
          .append(',')
          .append(e.getValue())
          .append(',')
          .append(FrequencyBucket.of(e.getValue()).tag())
          .append('\n');
      values[i] = e.getValue();
      labels.add(e.getKey());
    }
    Files.writeString(folder.resolve("class-counts.csv"), csv);
    Charts.bars(
        folder.resolve("class-counts.png"),
        "Labelled images per class (largest first)",
        "class",
        "images",
        labels,
        values);
  }

  private static List<Latency> latencies(DemoRun run) {
    List<Latency> out = new ArrayList<>();
    List<DemoRecorder.Version> versions = run.recorder().versions();
    List<DemoRecorder.Judged> judged = run.recorder().judged();
    for (Map.Entry<String, Long> a : run.announcedMidStream().entrySet()) {
      String name = a.getKey();
      long at = a.getValue();
      long firstVersion = Long.MAX_VALUE;
      long versionNumber = Long.MAX_VALUE;
      for (DemoRecorder.Version v : versions) {
        if (v.classes().contains(name) && v.version() < versionNumber) {
          versionNumber = v.version();
          firstVersion = v.arrivedMillis();
        }
      }
      long firstPrediction = Long.MAX_VALUE;
      for (DemoRecorder.Judged j : judged) {
        if (j.version() >= versionNumber) {
          firstPrediction = Math.min(firstPrediction, j.arrivedMillis());
        }
      }
      out.add(new Latency(name, seconds(at, firstVersion), seconds(at, firstPrediction)));
    }
    return out;
  }

  private static double seconds(long from, long to) {
    return to == Long.MAX_VALUE ? Double.NaN : Math.max(0, to - from) / 1000.0;
  }

  private static void writeLatencies(Path folder, List<Latency> latencies) throws IOException {
    StringBuilder csv = new StringBuilder("class,seconds_to_version,seconds_to_prediction\n");
    double[] values = new double[latencies.size()];
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < latencies.size(); i++) {
      Latency l = latencies.get(i);
      csv.append(
          String.format(
              Locale.ROOT,
              "%s,%.3f,%.3f%n",
              csvField(l.className()),
              l.toVersion(),
              l.toPrediction()));
      values[i] = Double.isNaN(l.toPrediction()) ? 0 : l.toPrediction();
      labels.add(l.className());
    }
    Files.writeString(folder.resolve("announcement-latency.csv"), csv);
    Charts.bars(
        folder.resolve("announcement-latency.png"),
        "Seconds from a class's announcement to the first prediction that can name it",
        "announced class",
        "seconds",
        labels,
        values);
  }

  private static void writeMarkdown(
      Path folder,
      DemoRun run,
      Summary s,
      Map<Long, Map<FrequencyBucket, int[]>> byVersion,
      Map<Long, Map<FrequencyBucket, int[]>> zeroShotByVersion,
      Map<Long, DemoRecorder.Version> versions)
      throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# candle-stream demo report\n\n");
    md.append(run.dataLabel()).append("\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "- %d events in %.1f s: %d classes announced (%d of them mid-stream), %d labelled images, %d unlabelled images.%n",
            run.events(),
            run.streamSeconds(),
            run.classes(),
            run.announcedMidStream().size(),
            run.labeled(),
            run.unlabeled()));
    md.append(
        String.format(
            Locale.ROOT,
            "- %d predictions judged; %d model versions made them; %d versions published.%n",
            s.predictions(),
            s.versions(),
            run.recorder().versions().size()));
    md.append(
        "- Buckets are taken from the class's labelled-image count when the image was sent: many > 100, medium 20–100, few 1–19, new 0.\n\n");
    md.append(
        "## Accuracy per bucket, from the first fitted version on, vs zero-shot CLIP on the same images\n\n");
    md.append("| bucket | candle | zero-shot |\n| --- | --- | --- |\n");
    for (FrequencyBucket b : BUCKETS) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s |%n",
              b.tag(),
              pct(s.finalAccuracy().get(b)),
              pct(s.zeroShot().get(b))));
    }
    md.append(
        "\n## Each version against zero-shot CLIP, on the images it judged, over its own classes\n\n");
    md.append(
        "| version | origin | classes (base) | many | medium | few | new |\n| --- | --- | --- | --- | --- | --- | --- |\n");
    for (Map.Entry<Long, Map<FrequencyBucket, int[]>> e : byVersion.entrySet()) {
      DemoRecorder.Version v = versions.get(e.getKey());
      StringBuilder row =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "| %d | %s | %s |",
                  e.getKey(),
                  v == null ? "?" : v.origin(),
                  v == null ? "?" : v.classes().size() + " (" + v.baseClasses() + ")"));
      for (FrequencyBucket b : BUCKETS) {
        int[] t = e.getValue().get(b);
        int[] z = zeroShotByVersion.get(e.getKey()).get(b);
        row.append(
            t == null ? " – |" : String.format(Locale.ROOT, " %d/%d vs %d |", t[0], t[1], z[0]));
      }
      md.append(row).append('\n');
    }
    md.append(
        String.format(
            Locale.ROOT,
            "%nCells: correct/judged by the version vs correct by zero-shot CLIP. Below"
                + " zero-shot in a bucket of %d+ images: %s.%n",
            MIN_CHART_IMAGES,
            s.belowZeroShot().isEmpty() ? "none" : String.join(", ", s.belowZeroShot())));
    md.append("\n![accuracy per bucket over model versions](accuracy-by-version.png)\n\n");
    md.append("Numbers: [accuracy-by-version.csv](accuracy-by-version.csv).\n\n");
    md.append(
        "## Class counts\n\n![class counts](class-counts.png)\n\nNumbers: [class-counts.csv](class-counts.csv).\n\n");
    md.append("## From announcement to a prediction that can name the class\n\n");
    md.append(
        "| class | to the first version with it (s) | to the first prediction by such a version (s) |\n| --- | --- | --- |\n");
    for (Latency l : s.latencies()) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.2f | %.2f |%n",
              l.className(),
              l.toVersion(),
              l.toPrediction()));
    }
    md.append(
        "\n![announcement latency](announcement-latency.png)\n\nNumbers: [announcement-latency.csv](announcement-latency.csv).\n\n");
    md.append("Service logs: `streams-app.log`, `trainer.log`.\n");
    Files.writeString(folder.resolve("report.md"), md);
  }

  static String pct(Double v) {
    return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
  }

  private static String csvField(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  /** For the terminal: bucket accuracies in one line. */
  static String line(Map<FrequencyBucket, Double> acc) {
    Map<String, String> parts = new LinkedHashMap<>();
    for (FrequencyBucket b : BUCKETS) {
      parts.put(b.tag(), pct(acc.get(b)));
    }
    StringBuilder sb = new StringBuilder();
    parts.forEach((k, v) -> sb.append(k).append(' ').append(v).append("  "));
    return sb.toString().trim();
  }
}
