package ai.candle.cli.demo;

import ai.candle.core.FrequencyBucket;
import ai.candle.core.io.FeaturesDataset;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sends a {@link DemoPlan} to the running {@link DemoServices} at a pace that spreads it over
 * {@code seconds}, recording what was sent in the {@link DemoRun} and printing progress about once
 * a second.
 */
final class DemoReplay {
  private final double seconds;
  private final PrintWriter out;

  DemoReplay(double seconds, PrintWriter out) {
    this.seconds = seconds;
    this.out = out;
  }

  /** Something to do between the plan's opening announcements and the rest of the stream. */
  interface Pause {
    void await() throws Exception;
  }

  /** Sends every event of the plan; fails when a service died on the way. */
  void run(DemoPlan plan, FeaturesDataset data, DemoServices services, DemoRun run)
      throws Exception {
    run(plan, data, services, run, () -> {});
  }

  /**
   * Sends every event of the plan, calling {@code afterOpening} once the announcements that open it
   * are sent (e.g. to wait until a first model version serves); the pace resumes after it.
   */
  void run(
      DemoPlan plan, FeaturesDataset data, DemoServices services, DemoRun run, Pause afterOpening)
      throws Exception {
    int n = plan.events().size();
    double rate = n / Math.max(1.0, seconds);
    long start = System.nanoTime();
    long lastPrint = 0;
    int announced = 0;
    boolean midStream = false;
    boolean opening = true;
    try (EventSender sender = new EventSender(services.bootstrapServers(), services.topics())) {
      for (int i = 0; i < n; i++) {
        DemoPlan.Event e = plan.events().get(i);
        if (opening && e.kind() != DemoPlan.Kind.ANNOUNCE) {
          opening = false;
          sender.flush();
          afterOpening.await();
          start = System.nanoTime() - (long) (i / rate * 1e9);
        }
        long due = start + (long) (i / rate * 1e9);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        String className = plan.classNames().get(e.label());
        switch (e.kind()) {
          case ANNOUNCE -> {
            midStream |= i > plan.baseClasses();
            sender.announce(className, e.feature());
            run.announced(className, midStream, e.feature());
            announced++;
          }
          case LABELED -> {
            long before = run.labeled(className, e.id(), e.feature());
            run.recorder()
                .sentLabeled(
                    e.id(),
                    new DemoRecorder.Sent(e.label(), FrequencyBucket.of(before), announced));
            sender.labeled(e.id(), className, e.feature(), "candle-demo");
          }
          case UNLABELED -> {
            long count = run.unlabeled(className, e.id(), e.feature());
            run.recorder()
                .sentUnlabeled(
                    e.id(), new DemoRecorder.Sent(e.label(), FrequencyBucket.of(count), announced));
            sender.unlabeled(e.id(), e.feature());
          }
        }
        long now = System.nanoTime();
        if (now - lastPrint > 1_000_000_000L || i == n - 1) {
          lastPrint = now;
          services.assertAlive("during the replay");
          progress(i + 1, n, (now - start) / 1e9, run);
        }
      }
      sender.flush();
    }
    run.streamSeconds((System.nanoTime() - start) / 1e9);
    out.println();
  }

  /**
   * Waits until every unlabelled image sent has its prediction, or the timeout; prints how many
   * did.
   */
  void awaitScored(DemoRun run, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (run.recorder().unlabeledScored() < run.unlabeled() && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    out.printf(
        "  %d of %d unlabelled images scored%n", run.recorder().unlabeledScored(), run.unlabeled());
    out.flush();
  }

  private void progress(int done, int total, double secs, DemoRun run) {
    int width = 24;
    int filled = (int) ((long) width * done / total);
    List<DemoRecorder.Judged> judged = run.recorder().judged();
    Map<FrequencyBucket, int[]> recent = new EnumMap<>(FrequencyBucket.class);
    for (int i = Math.max(0, judged.size() - 1000); i < judged.size(); i++) {
      DemoRecorder.Judged j = judged.get(i);
      if (j.prequential()) {
        int[] t = recent.computeIfAbsent(j.bucket(), k -> new int[2]);
        t[1]++;
        if (j.predicted() == j.label()) {
          t[0]++;
        }
      }
    }
    List<DemoRecorder.Version> versions = run.recorder().versions();
    String latest =
        versions.isEmpty()
            ? "none yet"
            : "v"
                + versions.get(versions.size() - 1).version()
                + " "
                + versions.get(versions.size() - 1).origin();
    out.printf(
        Locale.ROOT,
        "\r[%s%s] %3d%% %d/%d events %4.0f/s | model %s | prequential (last 1000): %s   ",
        "#".repeat(filled),
        ".".repeat(width - filled),
        100L * done / total,
        done,
        total,
        done / Math.max(secs, 1e-3),
        latest,
        DemoReport.line(DemoReport.rates(recent)));
    out.flush();
  }
}
