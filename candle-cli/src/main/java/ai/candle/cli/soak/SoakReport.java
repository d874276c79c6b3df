package ai.candle.cli.soak;

import ai.candle.cli.demo.Charts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The soak's report folder: {@code throughput.csv} (one row per sample interval), {@code
 * processes.csv} (one row per interval and process), {@code report.md} with the summary tables and
 * the flatness verdict, and PNG charts of throughput, latency, memory, threads and open files.
 */
final class SoakReport {
  /** Windows of the throughput table: the run in this many parts (5 minutes of a 30-minute run). */
  static final int WINDOWS = 6;

  /**
   * Everything the report says.
   *
   * @param context lines about the machine and the load, for the report's head
   * @param runSeconds planned length of the load
   * @param samples every sample interval
   * @param processes the processes measured, in table order
   * @param latencyP50Millis median latency after warm-up (NaN: none)
   * @param latencyP99Millis 99th percentile after warm-up (NaN: none)
   * @param predictions predictions that arrived in all
   * @param servicesStopped whether every child service had exited when the report was written
   * @param failure why the run failed, or null
   */
  record Content(
      List<String> context,
      double runSeconds,
      List<SoakSample> samples,
      List<String> processes,
      double latencyP50Millis,
      double latencyP99Millis,
      long predictions,
      boolean servicesStopped,
      String failure) {

    List<Flatness.Verdict> verdicts() {
      return Flatness.judge(samples, runSeconds, processes);
    }
  }

  private SoakReport() {}

  static void write(Path folder, Content c) throws IOException {
    Files.createDirectories(folder);
    writeCsv(folder, c.samples());
    charts(folder, c);
    Files.writeString(folder.resolve("report.md"), markdown(c));
  }

  private static void writeCsv(Path folder, List<SoakSample> samples) throws IOException {
    List<String> t =
        new ArrayList<>(
            List.of(
                "elapsed_s,interval_s,sent,sent_per_s,predictions,predictions_per_s,"
                    + "latency_p50_ms,latency_p99_ms,versions_published,announced_classes,load_average_1m"));
    List<String> p =
        new ArrayList<>(
            List.of(
                "elapsed_s,process,pid,heap_used_mib,heap_committed_mib,nonheap_used_mib,"
                    + "rss_mib,native_estimate_mib,open_files,threads,cpu_seconds"));
    for (SoakSample s : samples) {
      t.add(
          String.format(
              Locale.ROOT,
              "%.1f,%.1f,%d,%.2f,%d,%.2f,%.0f,%.0f,%d,%d,%.2f",
              s.elapsedSeconds(),
              s.intervalSeconds(),
              s.sent(),
              s.sentPerSecond(),
              s.predictions(),
              s.predictionsPerSecond(),
              s.latencyP50Millis(),
              s.latencyP99Millis(),
              s.versionsPublished(),
              s.announcedClasses(),
              s.loadAverage()));
      for (ProcessSample x : s.processes()) {
        p.add(
            String.format(
                Locale.ROOT,
                "%.1f,%s,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%d,%.2f",
                s.elapsedSeconds(),
                x.process(),
                x.pid(),
                x.heapUsedMb(),
                x.heapCommittedMb(),
                x.nonHeapUsedMb(),
                x.rssMb(),
                x.nativeEstimateMb(),
                x.openFiles(),
                x.threads(),
                x.cpuSeconds()));
      }
    }
    Files.write(folder.resolve("throughput.csv"), t);
    Files.write(folder.resolve("processes.csv"), p);
  }

  /**
   * The throughput table's rows: per window, sent/s, predictions/s, median and worst interval p99,
   * versions.
   */
  static List<String> throughputRows(Content c) {
    List<String> rows = new ArrayList<>();
    double window = c.runSeconds() / WINDOWS;
    for (int w = 0; w < WINDOWS; w++) {
      double from = w * window;
      double to = (w + 1) * window;
      List<SoakSample> in =
          c.samples().stream()
              .filter(s -> s.elapsedSeconds() > from + 1e-6 && s.elapsedSeconds() <= to + 1e-6)
              .toList();
      if (in.isEmpty()) {
        continue;
      }
      double secs = in.stream().mapToDouble(SoakSample::intervalSeconds).sum();
      double[] p99 =
          in.stream()
              .mapToDouble(SoakSample::latencyP99Millis)
              .filter(v -> !Double.isNaN(v))
              .sorted()
              .toArray();
      rows.add(
          String.format(
              Locale.ROOT,
              "| %s–%s | %.1f | %.1f | %s | %s | %d | %.2f |",
              minutes(from),
              minutes(to),
              in.stream().mapToLong(SoakSample::sent).sum() / secs,
              in.stream().mapToLong(SoakSample::predictions).sum() / secs,
              p99.length == 0 ? "–" : String.format(Locale.ROOT, "%.0f", p99[p99.length / 2]),
              p99.length == 0 ? "–" : String.format(Locale.ROOT, "%.0f", p99[p99.length - 1]),
              in.get(in.size() - 1).versionsPublished(),
              in.stream().mapToDouble(SoakSample::loadAverage).average().orElse(0)));
    }
    return rows;
  }

  static String markdown(Content c) {
    StringBuilder b = new StringBuilder("# candle soak\n\n");
    c.context().forEach(l -> b.append("- ").append(l).append('\n'));
    b.append('\n');
    if (c.failure() != null) {
      b.append("**The run FAILED:** ").append(c.failure()).append("\n\n");
    }
    b.append("## Summary\n\n").append(String.join("\n", summaryLines(c))).append("\n\n");
    b.append(
        "## Throughput over time\n\nPer window of the run: events sent and predictions received per second, the median "
            + "and the worst of the 99th-percentile latencies of its sample intervals (send → prediction read committed, ms), "
            + "model versions published by its end, mean 1-minute load average of the machine.\n\n");
    b.append(
        "| minutes | sent/s | predictions/s | p99 ms (median interval) | p99 ms (worst interval) | versions | load |\n");
    b.append("| --- | --- | --- | --- | --- | --- | --- |\n");
    throughputRows(c).forEach(r -> b.append(r).append('\n'));
    b.append("\n## Resources per process\n\nAt the end of warm-up (the first sample after ")
        .append(minutes(Flatness.warmUpEndSeconds(c.runSeconds())))
        .append(" min) and at the end.\n\n");
    b.append(resourceTable(c)).append('\n');
    b.append("## Flatness after warm-up\n\n").append(Flatness.rule()).append("\n\n");
    b.append("| process | metric | early | late | allowed growth | slope per hour | verdict |\n");
    b.append("| --- | --- | --- | --- | --- | --- | --- |\n");
    for (Flatness.Verdict v : c.verdicts()) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.1f | %.1f | %.1f | %+.1f | %s |%n",
              v.process(),
              v.metric().name()
                  + (v.metric().unit().isEmpty() ? "" : " (" + v.metric().unit() + ")"),
              v.early(),
              v.late(),
              v.allowed(),
              v.slopePerHour(),
              v.outcome()));
    }
    b.append("\n## Charts\n\n");
    for (String png : List.of("throughput.png", "latency.png", "memory.png", "threads-files.png")) {
      b.append("![").append(png).append("](").append(png).append(")\n\n");
    }
    b.append(
        "Data: `throughput.csv` (one row per sample interval), `processes.csv` (one row per interval and process); "
            + "service logs: `streams-app.log`, `trainer.log`.\n");
    return b.toString();
  }

  /** The summary, as the terminal prints it and the report opens with. */
  static List<String> summaryLines(Content c) {
    List<SoakSample> s = c.samples();
    List<String> lines = new ArrayList<>();
    double secs = s.isEmpty() ? 0 : s.get(s.size() - 1).elapsedSeconds();
    long sent = s.stream().mapToLong(SoakSample::sent).sum();
    double[] load = s.stream().mapToDouble(SoakSample::loadAverage).sorted().toArray();
    lines.add(
        String.format(
            Locale.ROOT,
            "- %.1f min of load: %d events sent (%.1f/s), %d predictions (%.1f/s), %d model versions published",
            secs / 60,
            sent,
            sent / Math.max(secs, 1e-9),
            c.predictions(),
            c.predictions() / Math.max(secs, 1e-9),
            s.isEmpty() ? 0 : s.get(s.size() - 1).versionsPublished()));
    lines.add(
        Double.isNaN(c.latencyP99Millis())
            ? "- latency send → prediction after warm-up: none (the run ended during warm-up)"
            : String.format(
                Locale.ROOT,
                "- latency send → prediction after warm-up: p50 %.0f ms, p99 %.0f ms",
                c.latencyP50Millis(),
                c.latencyP99Millis()));
    if (load.length > 0) {
      lines.add(
          String.format(
              Locale.ROOT,
              "- machine load average (1 min) during the run: min %.2f, median %.2f, max %.2f",
              load[0],
              load[load.length / 2],
              load[load.length - 1]));
    }
    List<Flatness.Verdict> verdicts = c.verdicts();
    List<String> growing =
        verdicts.stream()
            .filter(v -> v.outcome() == Flatness.Outcome.GROWING)
            .map(v -> v.process() + " " + v.metric().name())
            .toList();
    boolean tooShort = verdicts.stream().anyMatch(v -> v.outcome() == Flatness.Outcome.TOO_SHORT);
    lines.add(
        "- flatness after warm-up: "
            + (tooShort
                ? "no verdict (too few samples after warm-up)"
                : growing.isEmpty()
                    ? "FLAT (memory, open files and threads of every process)"
                    : "GROWING: " + String.join(", ", growing)));
    lines.add("- services stopped afterwards: " + (c.servicesStopped() ? "yes" : "NO"));
    return lines;
  }

  private static String resourceTable(Content c) {
    StringBuilder b =
        new StringBuilder(
            "| process | when | heap used MiB | heap committed MiB | non-heap MiB | RSS MiB | "
                + "native est. MiB | open files | threads | CPU s |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    double warmUpEnd = Flatness.warmUpEndSeconds(c.runSeconds());
    SoakSample atWarmUp =
        c.samples().stream().filter(s -> s.elapsedSeconds() >= warmUpEnd).findFirst().orElse(null);
    SoakSample atEnd = c.samples().isEmpty() ? null : c.samples().get(c.samples().size() - 1);
    for (String process : c.processes()) {
      for (SoakSample s : Arrays.asList(atWarmUp, atEnd)) {
        if (s == null) {
          continue;
        }
        ProcessSample p = Flatness.of(s, process);
        b.append(
            String.format(
                Locale.ROOT,
                "| %s | %s min | %.0f | %.0f | %.0f | %.0f | %.0f | %d | %d | %.0f |%n",
                process,
                minutes(s.elapsedSeconds()),
                p.heapUsedMb(),
                p.heapCommittedMb(),
                p.nonHeapUsedMb(),
                p.rssMb(),
                p.nativeEstimateMb(),
                p.openFiles(),
                p.threads(),
                p.cpuSeconds()));
      }
    }
    return b.toString();
  }

  private static void charts(Path folder, Content c) throws IOException {
    List<SoakSample> s = c.samples();
    if (s.isEmpty()) {
      return;
    }
    List<String> ticks = s.stream().map(x -> minutes(x.elapsedSeconds())).toList();
    String x = "minutes since the load started";
    line(
        folder.resolve("throughput.png"),
        "Throughput per sample interval",
        x,
        "events/s",
        ticks,
        List.of(
            series("sent", s, SoakSample::sentPerSecond, false, 0),
            series("predictions", s, SoakSample::predictionsPerSecond, false, 1)));
    line(
        folder.resolve("latency.png"),
        "Latency send → prediction per interval",
        x,
        "ms",
        ticks,
        List.of(
            series("p50", s, SoakSample::latencyP50Millis, false, 0),
            series("p99", s, SoakSample::latencyP99Millis, false, 1)));
    List<Charts.Series> memory = new ArrayList<>();
    List<Charts.Series> counts = new ArrayList<>();
    for (int i = 0; i < c.processes().size(); i++) {
      String p = c.processes().get(i);
      memory.add(series(p + " RSS", s, v -> Flatness.of(v, p).rssMb(), false, i));
      memory.add(series(p + " heap", s, v -> Flatness.of(v, p).heapUsedMb(), true, i));
      counts.add(series(p + " threads", s, v -> Flatness.of(v, p).threads(), false, i));
      counts.add(series(p + " files", s, v -> Flatness.of(v, p).openFiles(), true, i));
    }
    line(
        folder.resolve("memory.png"),
        "Memory per process (RSS solid, heap in use dashed)",
        x,
        "MiB",
        ticks,
        memory);
    line(
        folder.resolve("threads-files.png"),
        "Threads (solid) and open files (dashed) per process",
        x,
        "count",
        ticks,
        counts);
  }

  private static Charts.Series series(
      String name, List<SoakSample> s, ToDoubleFunction<SoakSample> f, boolean dashed, int color) {
    return new Charts.Series(name, s.stream().mapToDouble(f).toArray(), dashed, color);
  }

  private static void line(
      Path png, String title, String x, String y, List<String> ticks, List<Charts.Series> series)
      throws IOException {
    double max =
        series.stream()
            .flatMapToDouble(v -> Arrays.stream(v.y()))
            .filter(v -> !Double.isNaN(v))
            .max()
            .orElse(1);
    Charts.lines(png, title, x, y, ticks, series, Math.max(1.5, max * 1.1));
  }

  static String minutes(double seconds) {
    return String.format(
        Locale.ROOT, seconds < 600 && seconds % 60 != 0 ? "%.1f" : "%.0f", seconds / 60);
  }
}
