package ai.candle.cli.demo;

import ai.candle.cli.UserException;
import ai.candle.core.FeaturesDataset;
import ai.candle.core.FrequencyBucket;
import ai.candle.core.SyntheticClip;
import ai.candle.core.ZeroShot;
import ai.candle.kafka.EmbeddedKafkaBroker;
import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.TopicSpecs;
import ai.candle.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code candle demo}: the whole system on one machine, no Docker, no Kafka installed. Starts
 * the embedded KRaft broker in the report folder, creates the topics, starts the streams app
 * (ingest + scoring) and the trainer as child JVMs with their Prometheus endpoints, replays a
 * long-tailed stream ({@link DemoPlan}) while showing live progress, then writes a report
 * ({@link DemoReport}).
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
  static final String STREAMS_MAIN = "ai.candle.streams.StreamsApp";
  static final String TRAINER_MAIN = "ai.candle.trainer.TrainerApp";

  @Spec CommandSpec spec;

  @Option(names = "--dataset", paramLabel = "DIR",
      description = "Replay a real features dataset (DESIGN.md format) instead of synthetic data, in a random order.")
  Path dataset;

  @Option(names = "--out", paramLabel = "DIR",
      description = "The report folder (also holds the broker's data and the service logs). Default: candle-demo-<time>.")
  Path out;

  @Option(names = "--seconds", paramLabel = "S", defaultValue = "90",
      description = "How long the replay takes, in seconds (the pace follows). Default: ${DEFAULT-VALUE}.")
  double seconds;

  @Option(names = "--fit-epochs", paramLabel = "N", defaultValue = "5",
      description = "Epochs of each refit (the paper uses 50; fewer keep refits to seconds on a small CPU). Default: ${DEFAULT-VALUE}.")
  int fitEpochs;

  @Option(names = "--max-per-class", paramLabel = "N", defaultValue = "50",
      description = "Training samples the trainer keeps per class (the service's default is 100). Default: ${DEFAULT-VALUE}.")
  int maxPerClass;

  @Option(names = "--keep-running",
      description = "After the report, leave the broker, the services and their Prometheus endpoints up until Ctrl-C.")
  boolean keepRunning;

  @Option(names = "--streams-metrics-port", paramLabel = "PORT", defaultValue = "9464",
      description = "Prometheus endpoint of the streams app (0: any free port). Default: ${DEFAULT-VALUE}.")
  int streamsMetricsPort;

  @Option(names = "--trainer-metrics-port", paramLabel = "PORT", defaultValue = "9465",
      description = "Prometheus endpoint of the trainer (0: any free port). Default: ${DEFAULT-VALUE}.")
  int trainerMetricsPort;

  @Option(names = "--classes", paramLabel = "C", defaultValue = "100",
      description = "Synthetic data: classes in all; 90% are announced at the start, the rest mid-stream. Default: ${DEFAULT-VALUE}.")
  int classes;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the synthetic data and of the stream order.")
  long seed;

  @Override
  public Integer call() throws Exception {
    // the embedded broker's own warnings (controller activation, closed clients) are not the user's business
    for (String logger : List.of("org.apache.kafka", "kafka", "state.change.logger")) {
      System.setProperty("org.slf4j.simpleLogger.log." + logger, "off");
    }
    PrintWriter o = spec.commandLine().getOut();
    FeaturesDataset data;
    String label;
    if (dataset == null) {
      if (classes < 2) {
        throw new UserException("--classes must be at least 2, got " + classes);
      }
      data = SyntheticClip.generate(SyntheticClip.Config.defaults().withClasses(classes, Math.max(1, classes * 9 / 10))
          .withShots(200).withTestPerClass(10).withSeed(seed));
      label = "SYNTHETIC data: CLIP-like features from candle-core's SyntheticClip (seed " + seed + "), not real images.";
    } else {
      data = FeaturesDataset.read(dataset);
      label = "Real features dataset: " + dataset.toAbsolutePath();
    }
    Path folder = out != null ? out : Path.of("candle-demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (Files.exists(folder.resolve("kafka"))) {
      throw new UserException("the folder " + folder + " holds an earlier run (its kafka/ data); choose another --out");
    }
    Files.createDirectories(folder);
    DemoPlan plan = DemoPlan.of(data, seed);
    o.printf("candle demo: %s%n  %d events (%d announcements, %d labelled, %d unlabelled) over about %.0f s; report in %s%n",
        label, plan.events().size(), plan.count(DemoPlan.Kind.ANNOUNCE), plan.count(DemoPlan.Kind.LABELED),
        plan.count(DemoPlan.Kind.UNLABELED), seconds, folder.toAbsolutePath());
    o.flush();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(folder.resolve("kafka")).start()) {
      TopicNames names = TopicNames.defaults();
      broker.createTopics(TopicSpecs.all(names, 3, (short) 1, ModelVersions.DEFAULT_MAX_BYTES));
      String bs = broker.bootstrapServers();
      o.printf("  embedded Kafka broker at %s (data in %s)%n", bs, folder.resolve("kafka"));
      o.flush();
      try (ChildService streams = ChildService.start("streams-app", STREAMS_MAIN, List.of("-Xmx2g"),
              List.of("--bootstrap-servers", bs, "--state-dir", folder.resolve("streams-state").toString(),
                  "--feature-width", Integer.toString(data.dim()),
                  "--metrics-port", Integer.toString(streamsMetricsPort)), folder.resolve("streams-app.log"));
          // one PyTorch thread: the fit leaves a core to the broker, the streams app and the trainer's own
          // extends, which publish a newly announced class within seconds
          ChildService trainer = ChildService.start("trainer", TRAINER_MAIN, List.of("-Xmx2g", "-Dai.djl.pytorch.num_threads=1"),
              List.of("--bootstrap-servers", bs, "--feature-width", Integer.toString(data.dim()),
                  "--fit-epochs", Integer.toString(fitEpochs), "--store-max-per-class", Integer.toString(maxPerClass),
                  "--metrics-port", Integer.toString(trainerMetricsPort),
                  "--clip-model-id", dataset == null ? "synthetic" : "dataset"), folder.resolve("trainer.log"))) {
        streams.awaitLog("candle ingest RUNNING", Duration.ofSeconds(120));
        trainer.awaitLog("candle trainer caught up", Duration.ofSeconds(120));
        o.printf("  streams app and trainer running (logs: streams-app.log, trainer.log); %s%n",
            endpoints(streams, trainer));
        o.flush();
        Topics topics = Topics.of(names);
        try (DemoRecorder recorder = new DemoRecorder(bs, topics, plan.classNames())) {
          DemoRun run = new DemoRun(recorder, label);
          replay(plan, data, topics, bs, run, o, List.of(streams, trainer));
          awaitScored(run, o, Duration.ofSeconds(60));
          DemoReport.Summary s = DemoReport.write(folder, run);
          o.printf("%n%s%n", label);
          o.printf("Candle, from the first fitted version on: %s%n", DemoReport.line(s.finalAccuracy()));
          o.printf("Zero-shot CLIP on the same images:        %s%n", DemoReport.line(s.zeroShot()));
          o.printf("Report: %s%n", folder.resolve("report.md").toAbsolutePath());
          o.flush();
        }
        if (keepRunning) {
          o.printf("Running until Ctrl-C: Kafka at %s, %s%n", bs, endpoints(streams, trainer));
          o.flush();
          CountDownLatch forever = new CountDownLatch(1);
          Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
          forever.await();
        }
      }
    }
    return 0;
  }

  /** The services' Prometheus endpoints, as they logged them. */
  private static String endpoints(ChildService streams, ChildService trainer) throws IOException {
    return "metrics: streams-app " + url(streams.firstLine("Serving Prometheus metrics at"))
        + ", trainer " + url(trainer.firstLine("candle trainer metrics on"));
  }

  private static String url(String line) {
    return line == null || !line.contains("http") ? "(see its log)" : line.substring(line.indexOf("http")).trim();
  }

  /** Sends the plan at the configured pace, printing progress about once a second. */
  private void replay(DemoPlan plan, FeaturesDataset data, Topics topics, String bs, DemoRun run, PrintWriter o,
      List<ChildService> services) throws Exception {
    Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bs, ProducerConfig.LINGER_MS_CONFIG, 5);
    int n = plan.events().size();
    double rate = n / Math.max(1.0, seconds);
    long start = System.nanoTime();
    long lastPrint = 0;
    int announced = 0;
    boolean midStream = false;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < n; i++) {
        DemoPlan.Event e = plan.events().get(i);
        long due = start + (long) (i / rate * 1e9);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        String className = plan.classNames().get(e.label());
        switch (e.kind()) {
          case ANNOUNCE -> {
            midStream |= i > plan.baseClasses();
            ClassAnnouncement a = ClassAnnouncement.newBuilder().setName(className).setPromptTemplate(null).setPrompt(null)
                .setAliases(List.of()).setTextFeature(boxed(e.feature())).build();
            producer.send(new ProducerRecord<>(topics.classAnnouncements().name(), className,
                topics.classAnnouncements().valueSerde().serializer().serialize(topics.classAnnouncements().name(), a)));
            run.announced(className, midStream);
            announced++;
          }
          case LABELED -> {
            boolean zs = zeroShot(e, data, announced);
            long before = run.labeled(className, e.id(), zs);
            run.recorder().sentLabeled(e.id(), new DemoRecorder.Sent(e.label(), FrequencyBucket.of(before), announced));
            LabeledImage img = LabeledImage.newBuilder().setId(e.id()).setEventTime(Instant.now()).setLabel(className)
                .setImageBytes(null).setImageUri(null).setFeature(boxed(e.feature())).setSource("candle-demo").build();
            producer.send(new ProducerRecord<>(topics.labeledImages().name(), e.id(),
                topics.labeledImages().valueSerde().serializer().serialize(topics.labeledImages().name(), img)));
          }
          case UNLABELED -> {
            boolean zs = zeroShot(e, data, announced);
            long count = run.unlabeled(className, e.id(), zs);
            run.recorder().sentUnlabeled(e.id(), new DemoRecorder.Sent(e.label(), FrequencyBucket.of(count), announced));
            ImageToScore img = ImageToScore.newBuilder().setId(e.id()).setEventTime(Instant.now()).setImageBytes(null)
                .setImageUri(null).setFeature(boxed(e.feature())).build();
            producer.send(new ProducerRecord<>(topics.unlabeledImages().name(), e.id(),
                topics.unlabeledImages().valueSerde().serializer().serialize(topics.unlabeledImages().name(), img)));
          }
        }
        long now = System.nanoTime();
        if (now - lastPrint > 1_000_000_000L || i == n - 1) {
          lastPrint = now;
          for (ChildService s : services) {
            if (!s.isAlive()) {
              throw new IllegalStateException(s.name() + " died during the replay; see " + s.log() + ":\n" + s.tail(20));
            }
          }
          progress(o, i + 1, n, (now - start) / 1e9, run);
        }
      }
      producer.flush();
    }
    run.streamSeconds((System.nanoTime() - start) / 1e9);
    o.println();
  }

  private static boolean zeroShot(DemoPlan.Event e, FeaturesDataset data, int announced) {
    if (announced == 0) {
      return false;
    }
    int[] p = ZeroShot.predictWithin(e.feature(), 1, data.textFeatures(), data.numClasses(), data.dim(), 0, announced);
    return p[0] == e.label();
  }

  private static void progress(PrintWriter o, int done, int total, double secs, DemoRun run) {
    int width = 24;
    int filled = (int) ((long) width * done / total);
    List<DemoRecorder.Judged> judged = run.recorder().judged();
    Map<FrequencyBucket, int[]> recent = new EnumMap<>(FrequencyBucket.class);
    long version = -1;
    for (int i = Math.max(0, judged.size() - 1000); i < judged.size(); i++) {
      DemoRecorder.Judged j = judged.get(i);
      if (j.prequential()) {
        int[] t = recent.computeIfAbsent(j.bucket(), k -> new int[2]);
        t[1]++;
        if (j.predicted() == j.label()) {
          t[0]++;
        }
      }
      version = Math.max(version, j.version());
    }
    List<DemoRecorder.Version> versions = run.recorder().versions();
    String latest = versions.isEmpty() ? "none yet" : "v" + versions.get(versions.size() - 1).version() + " "
        + versions.get(versions.size() - 1).origin();
    o.printf(Locale.ROOT, "\r[%s%s] %3d%% %d/%d events %4.0f/s | model %s | prequential (last 1000): %s   ",
        "#".repeat(filled), ".".repeat(width - filled), 100L * done / total, done, total, done / Math.max(secs, 1e-3),
        latest, DemoReport.line(DemoReport.rates(recent)));
    o.flush();
  }

  private void awaitScored(DemoRun run, PrintWriter o, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (run.recorder().unlabeledScored() < run.unlabeled() && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    o.printf("  %d of %d unlabelled images scored%n", run.recorder().unlabeledScored(), run.unlabeled());
  }

  private static List<Float> boxed(float[] a) {
    List<Float> out = new ArrayList<>(a.length);
    for (float x : a) {
      out.add(x);
    }
    return out;
  }
}
