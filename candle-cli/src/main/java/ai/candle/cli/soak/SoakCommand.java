package ai.candle.cli.soak;

import ai.candle.cli.demo.ChildService;
import ai.candle.cli.demo.DemoServices;
import ai.candle.cli.demo.EventSender;
import ai.candle.cli.demo.ServiceOptions;
import ai.candle.cli.internals.ExitCodes;
import ai.candle.cli.internals.UserException;
import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code candle soak}: the whole system on the embedded default, as the demo starts it ({@link
 * DemoServices}), under a steady mixed load ({@link SoakLoad}) for a set time, sampling throughput,
 * latency and every process's memory, open files and threads ({@link ProcessProbe}, {@link
 * PredictionMeter}); ends with a report folder ({@link SoakReport}) and a flatness verdict ({@link
 * Flatness}). Exits non-zero only when the run failed (a service died, no prediction arrived, a
 * service was still running after the stop), never on the verdict.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {
      "Run the whole service on an embedded Kafka broker under a steady mixed load for a set time: labelled and "
          + "unlabelled images (SYNTHETIC CLIP-like features) and a class announcement at a fixed interval, while the "
          + "trainer refits and publishes versions. Every --sample-seconds it records events sent and predictions "
          + "received per second, the send → prediction latency (p50, p99), model versions published, and per process "
          + "(streams-app, trainer, and this JVM, which hosts the broker): heap and non-heap in use, RSS, RSS minus "
          + "committed heap (native memory: DJL/PyTorch, stacks, buffers), open files and threads, plus the machine's "
          + "load average. Writes throughput.csv, processes.csv, report.md and PNG charts to --out.",
      "",
      "Flatness rule (a judgement printed in the report; it never changes the exit code): the first 20%% of the run is "
          + "warm-up; the rest is cut in thirds; a metric is flat when its level over the last third exceeds its level "
          + "over the first third by no more than max(tolerance x early level, slack) (heap: the minimum, i.e. the floor "
          + "after collections, 10%% or 32 MiB; non-heap 10%% or 8 MiB; RSS and native 10%% or 48 MiB; open files +8; "
          + "threads +4; other levels are medians).",
      ""
    },
    footer = {
      "",
      "Exit codes: 0 the run completed (whatever the verdict), 1 a service died, no prediction arrived or a "
          + "service did not stop, 2 a mistake in the options."
    })
public final class SoakCommand implements Callable<Integer> {
  static final List<String> PROCESSES = List.of("streams-app", "trainer", "cli+broker");

  @Spec CommandSpec spec;

  @Option(
      names = "--minutes",
      paramLabel = "M",
      defaultValue = "30",
      description =
          "How long the load runs, in minutes (decimals allowed, e.g. 0.5). Default: ${DEFAULT-VALUE}.")
  double minutes;

  @Option(
      names = "--rate",
      paramLabel = "N",
      defaultValue = "40",
      description =
          "Images sent per second (announcements come on top). Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(
      names = "--unlabeled-share",
      paramLabel = "F",
      defaultValue = "0.4",
      description =
          "Share of the images sent unlabelled (to be scored); the rest are labelled. Default: ${DEFAULT-VALUE}.")
  double unlabeledShare;

  @Option(
      names = "--announce-seconds",
      paramLabel = "S",
      defaultValue = "60",
      description =
          "Seconds between two class announcements after the opening ones. Default: ${DEFAULT-VALUE}.")
  double announceSeconds;

  @Option(
      names = "--classes",
      paramLabel = "C",
      defaultValue = "90",
      description =
          "Classes announced at the start; the universe holds enough more for one announcement every "
              + "--announce-seconds. Default: ${DEFAULT-VALUE}.")
  int classes;

  @Option(
      names = "--sample-seconds",
      paramLabel = "S",
      defaultValue = "10",
      description = "Seconds between two samples. Default: ${DEFAULT-VALUE}.")
  double sampleSeconds;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description =
          "The report folder (also holds the broker's data and the service logs). Default: candle-soak-<time>.")
  Path out;

  @Mixin ServiceOptions serviceOptions;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of the synthetic data and of the draws. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  public Integer call() throws Exception {
    checkOptions();
    DemoServices.quietBrokerLogs();
    PrintWriter o = spec.commandLine().getOut();
    double runSeconds = minutes * 60;
    int universeSize = classes + (int) Math.ceil(runSeconds / announceSeconds);
    FeaturesDataset universe =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(universeSize, universeSize)
                .withShots(200)
                .withTestPerClass(10)
                .withSeed(seed));
    Path folder =
        out != null
            ? out
            : Path.of(
                "candle-soak-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (Files.exists(folder.resolve("kafka"))) {
      throw new UserException(
          "the folder " + folder + " holds an earlier run (its kafka/ data); choose another --out");
    }
    Files.createDirectories(folder);
    SoakLoad load = new SoakLoad(rate, unlabeledShare, announceSeconds, classes, seed);
    List<String> context = context(load, universeSize);
    o.printf(
        Locale.ROOT,
        "candle soak: %.1f min at %.0f images/s (%.0f%% unlabelled), a class announced every %.0f s, "
            + "a sample every %.0f s; report in %s%n",
        minutes,
        rate,
        unlabeledShare * 100,
        announceSeconds,
        sampleSeconds,
        folder.toAbsolutePath());
    o.printf("  starting the embedded Kafka broker, the streams app and the trainer...%n");
    o.flush();
    DemoServices.Settings settings =
        serviceOptions.settings(folder, universe.dim(), "synthetic", 0, 0);
    List<SoakSample> samples = new ArrayList<>();
    List<ChildService> children = new ArrayList<>();
    String failure = null;
    double p50;
    double p99;
    long predictions;
    StopSignal stop = new StopSignal();
    try {
      try (DemoServices services = DemoServices.start(settings);
          PredictionMeter meter =
              new PredictionMeter(services.bootstrapServers(), services.topics());
          EventSender sender = new EventSender(services.bootstrapServers(), services.topics())) {
        children.addAll(services.services());
        o.printf("  running: Kafka at %s, %s%n", services.bootstrapServers(), services.endpoints());
        o.flush();
        stop.install();
        try {
          drive(
              new SoakLoad.Running(load, universe, sender),
              services,
              meter,
              runSeconds,
              samples,
              stop,
              o);
        } catch (IllegalStateException died) {
          failure = died.getMessage();
        }
        p50 = meter.steadyPercentile(0.5);
        p99 = meter.steadyPercentile(0.99);
        predictions = meter.predictionsTotal();
      }
      boolean stopped = children.stream().noneMatch(ChildService::isAlive);
      if (failure == null && predictions == 0) {
        failure = "no prediction arrived: see " + folder.resolve("streams-app.log");
      } else if (failure == null && !stopped) {
        failure = "a service was still running after the stop";
      }
      SoakReport.Content content =
          new SoakReport.Content(
              context, runSeconds, samples, PROCESSES, p50, p99, predictions, stopped, failure);
      SoakReport.write(folder, content);
      o.printf("%nSoak summary (SYNTHETIC data; rule: see report.md):%n");
      SoakReport.summaryLines(content).forEach(o::println);
      o.printf("Report: %s%n", folder.resolve("report.md").toAbsolutePath());
      o.flush();
    } finally {
      stop.closed();
    }
    if (failure != null) {
      spec.commandLine().getErr().println("candle soak: " + failure);
      return ExitCodes.INTERNAL;
    }
    return 0;
  }

  private void checkOptions() {
    if (!(minutes > 0)) {
      throw new UserException("--minutes must be more than 0, got " + minutes);
    }
    if (!(rate > 0) || !(sampleSeconds > 0) || !(announceSeconds > 0)) {
      throw new UserException(
          "--rate, --sample-seconds and --announce-seconds must be more than 0");
    }
    if (!(unlabeledShare >= 0 && unlabeledShare < 1)) {
      throw new UserException(
          "--unlabeled-share must be at least 0 and below 1, got " + unlabeledShare);
    }
    if (classes < 2) {
      throw new UserException("--classes must be at least 2, got " + classes);
    }
  }

  /** Sends the load until the time is up (or a stop is asked), sampling every interval. */
  private void drive(
      SoakLoad.Running running,
      DemoServices services,
      PredictionMeter meter,
      double runSeconds,
      List<SoakSample> samples,
      StopSignal stop,
      PrintWriter o)
      throws IOException, InterruptedException {
    ProcessProbe probe = new ProcessProbe();
    long start = System.nanoTime();
    double lastSample = 0;
    long sentAtLastSample = 0;
    boolean warmedUp = false;
    while (!stop.requested()) {
      double now = (System.nanoTime() - start) / 1e9;
      double end = Math.min(now, runSeconds);
      running.sendDue(end);
      boolean last = now >= runSeconds;
      if (end - lastSample >= sampleSeconds || last) {
        running.flush();
        services.assertAlive("during the soak");
        PredictionMeter.Interval i = meter.drain();
        List<ProcessSample> processes =
            List.of(
                probe.service(
                    PROCESSES.get(0), services.services().get(0).pid(), services.streamsMetrics()),
                probe.service(
                    PROCESSES.get(1), services.services().get(1).pid(), services.trainerMetrics()),
                probe.self(PROCESSES.get(2)));
        SoakSample s =
            new SoakSample(
                end,
                end - lastSample,
                running.sent() - sentAtLastSample,
                i.predictions(),
                i.p50Millis(),
                i.p99Millis(),
                i.versionsSeen(),
                running.announcedClasses(),
                ProcessProbe.loadAverage(),
                processes);
        samples.add(s);
        progress(s, o);
        lastSample = end;
        sentAtLastSample = running.sent();
        if (!warmedUp && end >= Flatness.warmUpEndSeconds(runSeconds)) {
          meter.warmUpEnded();
          warmedUp = true;
        }
      }
      if (last) {
        return;
      }
      double next =
          Math.min(Math.min(running.nextImageDueSeconds(), lastSample + sampleSeconds), runSeconds);
      long waitNanos = (long) ((next - (System.nanoTime() - start) / 1e9) * 1e9);
      if (waitNanos > 0) {
        TimeUnit.NANOSECONDS.sleep(Math.min(waitNanos, 200_000_000L));
      }
    }
  }

  private static void progress(SoakSample s, PrintWriter o) {
    StringBuilder b =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "[%3d:%02d] sent %5.1f/s predictions %5.1f/s p99 %5.0f ms versions %4d load %.2f |",
                (int) s.elapsedSeconds() / 60,
                (int) s.elapsedSeconds() % 60,
                s.sentPerSecond(),
                s.predictionsPerSecond(),
                s.latencyP99Millis(),
                s.versionsPublished(),
                s.loadAverage()));
    for (ProcessSample p : s.processes()) {
      b.append(
          String.format(
              Locale.ROOT,
              " %s heap %.0f rss %.0f MiB fd %d thr %d |",
              p.process(),
              p.heapUsedMb(),
              p.rssMb(),
              p.openFiles(),
              p.threads()));
    }
    o.println(b);
    o.flush();
  }

  private List<String> context(SoakLoad load, int universeSize) throws IOException {
    long memKb = 0;
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        memKb = Long.parseLong(line.replaceAll("\\D+", ""));
      }
    }
    return List.of(
        String.format(
            Locale.ROOT,
            "command: `candle soak --minutes %s --rate %s --unlabeled-share %s --announce-seconds %s "
                + "--classes %d --sample-seconds %s --fit-epochs %d --max-per-class %d --seed %d`",
            fmt(minutes),
            fmt(rate),
            fmt(unlabeledShare),
            fmt(announceSeconds),
            classes,
            fmt(sampleSeconds),
            serviceOptions.fitEpochs(),
            serviceOptions.maxPerClass(),
            seed),
        "started: "
            + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 19),
        String.format(
            Locale.ROOT,
            "machine: %d cores, %.1f GiB memory, %s %s, Java %s (%s)",
            Runtime.getRuntime().availableProcessors(),
            memKb / 1024.0 / 1024.0,
            System.getProperty("os.name"),
            System.getProperty("os.arch"),
            System.getProperty("java.version"),
            System.getProperty("java.vm.name")),
        String.format(
            Locale.ROOT,
            "load: SYNTHETIC CLIP-like features (candle-core SyntheticClip, D = 512, long-tailed "
                + "200 down to 2 training images per class); %d classes announced at the start, one more every %s s (up to "
                + "%d); %s images/s, %.0f%% unlabelled; streams app and trainer with -Xmx2g -XX:MaxDirectMemorySize=512m as in the demo",
            load.initialClasses(),
            fmt(load.announceEverySeconds()),
            universeSize,
            fmt(load.eventsPerSecond()),
            load.unlabeledShare() * 100),
        "the machine may run other work at the same time: the load average column counts it too");
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  /**
   * Ctrl-C or SIGTERM during a soak: the load stops, the report is written and the services are
   * closed before the JVM halts (the hook waits for that), so no child JVM is left running.
   */
  private static final class StopSignal {
    private final CountDownLatch asked = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private Thread hook;

    void install() {
      hook =
          new Thread(
              () -> {
                asked.countDown();
                try {
                  closed.await(90, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "candle-soak-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
    }

    boolean requested() {
      return asked.getCount() == 0;
    }

    void closed() {
      closed.countDown();
      if (hook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running: it returns now that closed counted down
        }
      }
    }
  }
}
