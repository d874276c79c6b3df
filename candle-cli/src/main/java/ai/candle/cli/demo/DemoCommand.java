package ai.candle.cli.demo;

import ai.candle.cli.internals.UserException;
import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code candle demo}: the whole system on one machine, no Docker, no Kafka installed. Starts the
 * embedded KRaft broker in the report folder, creates the topics, starts the streams app (ingest +
 * scoring) and the trainer as child JVMs with their Prometheus endpoints ({@link DemoServices}),
 * replays a long-tailed stream ({@link DemoPlan}, {@link DemoReplay}) while showing live progress,
 * then writes a report ({@link DemoReport}).
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the whole service on an embedded Kafka broker and replay a long-tailed stream: labelled images, new classes "
          + "announced mid-stream, unlabelled images whose labels arrive later. Ends with a report folder (report.md, PNG "
          + "charts, CSV). By default the data is SYNTHETIC CLIP-like features (candle-core's SyntheticClip: 100 classes, "
          + "90 announced at the start with 200 down to 2 training images, 10 announced mid-stream, 10 test images per "
          + "class) and the run takes about 3 minutes on 2 cores."
    })
public final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--dataset",
      paramLabel = "DIR",
      description =
          "Replay a real features dataset (docs/design.md format) instead of synthetic data, in a random order.")
  Path dataset;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description =
          "The report folder (also holds the broker's data and the service logs). Default: candle-demo-<time>.")
  Path out;

  @Option(
      names = "--seconds",
      paramLabel = "S",
      defaultValue = "90",
      description =
          "How long the replay takes, in seconds (the pace follows). Default: ${DEFAULT-VALUE}.")
  double seconds;

  @Mixin ServiceOptions serviceOptions;

  @Option(
      names = "--keep-running",
      description =
          "After the report, leave the broker, the services and their Prometheus endpoints up until Ctrl-C.")
  boolean keepRunning;

  @Option(
      names = "--classes",
      paramLabel = "C",
      defaultValue = "100",
      description =
          "Synthetic data: classes in all; 90%% are announced at the start, the rest mid-stream. Default: ${DEFAULT-VALUE}.")
  int classes;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of the synthetic data and of the stream order.")
  long seed;

  @Override
  public Integer call() throws Exception {
    DemoServices.quietBrokerLogs();
    PrintWriter o = spec.commandLine().getOut();
    FeaturesDataset data;
    String label;
    if (dataset == null) {
      if (classes < 2) {
        throw new UserException("--classes must be at least 2, got " + classes);
      }
      data =
          SyntheticClip.generate(
              SyntheticClip.Config.defaults()
                  .withClasses(classes, Math.max(1, classes * 9 / 10))
                  .withShots(200)
                  .withTestPerClass(10)
                  .withSeed(seed));
      label =
          "SYNTHETIC data: CLIP-like features from candle-core's SyntheticClip (seed "
              + seed
              + "), not real images.";
    } else {
      data = FeaturesDataset.read(dataset);
      label = "Real features dataset: " + dataset.toAbsolutePath();
    }
    Path folder =
        out != null
            ? out
            : Path.of(
                "candle-demo-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (Files.exists(folder.resolve("kafka"))) {
      throw new UserException(
          "the folder " + folder + " holds an earlier run (its kafka/ data); choose another --out");
    }
    Files.createDirectories(folder);
    DemoPlan plan = DemoPlan.of(data, seed);
    o.printf(
        "candle demo: %s%n  %d events (%d announcements, %d labelled, %d unlabelled) over about %.0f s; report in %s%n",
        label,
        plan.events().size(),
        plan.count(DemoPlan.Kind.ANNOUNCE),
        plan.count(DemoPlan.Kind.LABELED),
        plan.count(DemoPlan.Kind.UNLABELED),
        seconds,
        folder.toAbsolutePath());
    o.flush();
    DemoServices.Settings settings =
        serviceOptions.settings(
            folder, data.dim(), dataset == null ? "synthetic" : "dataset", 9464, 9465);
    CountDownLatch closed = new CountDownLatch(1);
    o.printf("  starting the embedded Kafka broker, the streams app and the trainer...%n");
    o.flush();
    try (DemoServices services = DemoServices.start(settings)) {
      o.printf(
          "  embedded Kafka broker at %s (data in %s)%n",
          services.bootstrapServers(), folder.resolve("kafka"));
      services
          .serde()
          .registryUrl()
          .ifPresent(
              url ->
                  o.printf(
                      "  schema registry at %s (log: registry.log); the services write the registry wire format%n",
                      url));
      o.printf(
          "  streams app and trainer running (logs: streams-app.log, trainer.log); %s%n",
          services.endpoints());
      o.flush();
      try (DemoRecorder recorder =
          new DemoRecorder(services.bootstrapServers(), services.topics(), plan.classNames())) {
        DemoRun run = new DemoRun(recorder, label, plan.classNames());
        DemoReplay replay = new DemoReplay(seconds, o);
        replay.run(plan, data, services, run);
        replay.awaitScored(run, Duration.ofSeconds(60));
        DemoReport.Summary s = DemoReport.write(folder, run);
        o.printf("%n%s%n", label);
        o.printf(
            "Candle, from the first fitted version on: %s%n", DemoReport.line(s.finalAccuracy()));
        o.printf("Zero-shot CLIP on the same images:        %s%n", DemoReport.line(s.zeroShot()));
        o.printf(
            "Versions below zero-shot CLIP in a bucket (same images, same classes): %s%n",
            s.belowZeroShot().isEmpty() ? "none" : s.belowZeroShot());
        o.printf("Report: %s%n", folder.resolve("report.md").toAbsolutePath());
        o.flush();
      }
      if (keepRunning) {
        o.printf(
            "Running until Ctrl-C: Kafka at %s, %s%n",
            services.bootstrapServers(), services.endpoints());
        o.flush();
        awaitShutdown(closed);
      }
    } finally {
      closed.countDown();
    }
    return 0;
  }

  /**
   * Blocks until the JVM is asked to stop (Ctrl-C, SIGTERM). The shutdown hook then waits until the
   * services and the broker are closed: the JVM would otherwise halt once the hook returns, in the
   * middle of closing them, and leave the child JVMs running.
   */
  private static void awaitShutdown(CountDownLatch closed) throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.countDown();
                  try {
                    closed.await(90, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "candle-demo-shutdown"));
    stop.await();
  }
}
