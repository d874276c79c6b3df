package ai.candle.cli.soak;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Whether a process's memory, files and threads stayed flat after warm-up. The rule, as the report
 * and {@code --help} state it:
 *
 * <ol>
 *   <li>the first {@link #WARM_UP_SHARE} of the run is warm-up and not judged;
 *   <li>the rest is cut in thirds; a metric's early level is its value over the first third, its
 *       late level over the last third: the minimum for heap in use (the floor the sawtooth returns
 *       to after each collection, a stand-in for heap after GC), the median for the others;
 *   <li>a metric is flat when late − early ≤ max(relative tolerance × early, absolute slack), per
 *       {@link #METRICS}; a third with fewer than {@link #MIN_SAMPLES_PER_THIRD} samples gives no
 *       verdict.
 * </ol>
 *
 * The least-squares slope per hour over the judged samples is reported beside it, as a figure to
 * read, not as part of the verdict.
 */
final class Flatness {
  static final double WARM_UP_SHARE = 0.2;
  static final int MIN_SAMPLES_PER_THIRD = 2;

  /** A metric judged for flatness. */
  record Metric(
      String name,
      String unit,
      ToDoubleFunction<ProcessSample> value,
      boolean floor,
      double relativeTolerance,
      double absoluteSlack) {}

  /** The metrics judged, with their tolerances. */
  static final List<Metric> METRICS =
      List.of(
          new Metric("heap used (floor)", "MiB", ProcessSample::heapUsedMb, true, 0.10, 32),
          new Metric("non-heap used", "MiB", ProcessSample::nonHeapUsedMb, false, 0.10, 8),
          new Metric("RSS", "MiB", ProcessSample::rssMb, false, 0.10, 48),
          new Metric(
              "native (RSS - committed heap)",
              "MiB",
              ProcessSample::nativeEstimateMb,
              false,
              0.10,
              48),
          new Metric("open files", "", ProcessSample::openFiles, false, 0.0, 8),
          new Metric("threads", "", ProcessSample::threads, false, 0.0, 4));

  /** The outcome for one process and metric. */
  enum Outcome {
    FLAT,
    GROWING,
    TOO_SHORT
  }

  /**
   * One judgement.
   *
   * @param early level over the first third after warm-up
   * @param late level over the last third
   * @param allowed the growth the rule allows
   * @param slopePerHour least-squares slope over the judged samples, per hour
   */
  record Verdict(
      String process,
      Metric metric,
      double early,
      double late,
      double allowed,
      double slopePerHour,
      Outcome outcome) {}

  private Flatness() {}

  /** Seconds after the start when warm-up ends. */
  static double warmUpEndSeconds(double runSeconds) {
    return runSeconds * WARM_UP_SHARE;
  }

  static List<Verdict> judge(List<SoakSample> samples, double runSeconds, List<String> processes) {
    double warmUpEnd = warmUpEndSeconds(runSeconds);
    List<SoakSample> judged = samples.stream().filter(s -> s.elapsedSeconds() > warmUpEnd).toList();
    int third = judged.size() / 3;
    List<Verdict> verdicts = new ArrayList<>();
    for (String process : processes) {
      for (Metric m : METRICS) {
        double[] t = new double[judged.size()];
        double[] y = new double[judged.size()];
        for (int i = 0; i < judged.size(); i++) {
          t[i] = judged.get(i).elapsedSeconds();
          y[i] = m.value().applyAsDouble(of(judged.get(i), process));
        }
        if (third < MIN_SAMPLES_PER_THIRD) {
          verdicts.add(
              new Verdict(
                  process, m, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Outcome.TOO_SHORT));
          continue;
        }
        double early = level(Arrays.copyOfRange(y, 0, third), m.floor());
        double late = level(Arrays.copyOfRange(y, y.length - third, y.length), m.floor());
        double allowed = Math.max(m.relativeTolerance() * Math.abs(early), m.absoluteSlack());
        verdicts.add(
            new Verdict(
                process,
                m,
                early,
                late,
                allowed,
                slope(t, y) * 3600,
                late - early <= allowed ? Outcome.FLAT : Outcome.GROWING));
      }
    }
    return verdicts;
  }

  static ProcessSample of(SoakSample s, String process) {
    return s.processes().stream()
        .filter(p -> p.process().equals(process))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no sample of " + process));
  }

  private static double level(double[] values, boolean floor) {
    double[] v = values.clone();
    Arrays.sort(v);
    return floor
        ? v[0]
        : (v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2);
  }

  /** Least-squares slope of y over t (units per second). */
  static double slope(double[] t, double[] y) {
    int n = t.length;
    double mt = Arrays.stream(t).average().orElse(0);
    double my = Arrays.stream(y).average().orElse(0);
    double num = 0;
    double den = 0;
    for (int i = 0; i < n; i++) {
      num += (t[i] - mt) * (y[i] - my);
      den += (t[i] - mt) * (t[i] - mt);
    }
    return den == 0 ? 0 : num / den;
  }

  /** The rule in words, for the report and the terminal. */
  static String rule() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "The first %.0f%% of the run is warm-up and not judged. The rest is cut in thirds; a metric's early level is "
                + "its value over the first third, its late level over the last third (heap in use: the minimum, i.e. "
                + "the floor after collections; the others: the median). A metric is flat when late - early <= "
                + "max(tolerance x early, slack):",
            WARM_UP_SHARE * 100));
    for (Metric m : METRICS) {
      b.append(
          String.format(
              Locale.ROOT,
              " %s %.0f%% or %.0f%s;",
              m.name(),
              m.relativeTolerance() * 100,
              m.absoluteSlack(),
              m.unit().isEmpty() ? "" : " " + m.unit()));
    }
    b.setLength(b.length() - 1);
    return b.append(". The slope per hour is shown beside it but is not part of the verdict.")
        .toString();
  }
}
