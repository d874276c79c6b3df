package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip;
import ai.candle.kafka.EmbeddedKafkaBroker;
import ai.candle.kafka.JvmProcess;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, faults: the embedded broker is restarted (closed, then started again on the same data
 * dir and ports) while the streams app ingests and scores and the trainer fits. Nothing is
 * restarted but the broker, and afterwards the class counts equal the valid labelled images per
 * class, every valid image has exactly one feature record, every malformed one exactly one dead
 * letter, every unlabelled image exactly one prediction (all read_committed), the trainer publishes
 * a fit that accounts for every image, and neither service exited.
 */
class BrokerRestartIT {

  static final int WIDTH = 128;
  static final int CLASSES = 30;
  static final int UNLABELED = 4_000;
  static final int MALFORMED = 100;
  static final int PARTITIONS = 3;
  private static final String APP_ID = "candle-ingest-it-restart";
  private static final String SCORER_ID = "candle-scorer-it-restart";
  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);

  @TempDir Path tmp;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void servicesResumeByThemselvesAfterABrokerRestartAndNothingIsLostOrCountedTwice()
      throws Exception {
    // classes a fit can learn (SyntheticClip's CLIP-like geometry), long-tailed: 400 down to 4
    // images
    FeaturesDataset synthetic =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(CLASSES, CLASSES)
                .withDim(WIDTH)
                .withShots(400)
                .withTestPerClass(0)
                .withSeed(9));
    IngestDataset data = IngestDataset.fromTrainingImages(9, synthetic, MALFORMED);
    List<IngestDataset.Event> events = IngestSplits.rest(data, List.of());
    int firstWave = events.size() / 2;
    EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder().dataDir(tmp.resolve("kafka")).start();
    String bootstrap = broker.bootstrapServers();
    List<JvmProcess> services = new ArrayList<>();
    try (IngestRun ingest = new IngestRun(bootstrap);
        ScoringRun scoring = new ScoringRun(bootstrap, WIDTH);
        CommittedTopic<ModelVersion> models =
            new CommittedTopic<>(
                bootstrap, IngestRun.TOPICS.models(), r -> VERSIONS.decode(r.value()))) {
      scoring.createTopics(PARTITIONS);
      ingest.announce(synthetic.classNames(), synthetic.textFeatures());
      JvmProcess app =
          StreamsAppProcess.start(
              bootstrap,
              tmp.resolve("state"),
              APP_ID,
              IngestSplits.freshLogFile("BrokerRestartIT-streams-app"),
              List.of(
                  "--feature-width",
                  Integer.toString(WIDTH),
                  "--scoring-application-id",
                  SCORER_ID));
      services.add(app);
      JvmProcess trainer =
          TrainerProcess.start(
              bootstrap, WIDTH, IngestSplits.freshLogFile("BrokerRestartIT-trainer"));
      services.add(trainer);
      app.awaitLog("candle ingest RUNNING", 1, Duration.ofMinutes(1));
      trainer.awaitLog("candle trainer caught up", 1, Duration.ofMinutes(1));

      ingest.produceWithJava(events.subList(0, firstWave));
      scoring.produceImages(0, UNLABELED / 2);
      Set<String> validIds = data.validIds();
      int firstWaveValid =
          (int)
              events.subList(0, firstWave).stream().filter(e -> validIds.contains(e.key())).count();
      ingest.awaitFeatures(firstWaveValid, app, Duration.ofMinutes(2));
      trainer.awaitLog("fit started", 1, Duration.ofMinutes(2));
      app.awaitLog("candle scorer RUNNING", 1, Duration.ofMinutes(1));
      int predictionsAtRestart = scoring.readPredictions(1, Duration.ofMinutes(1), services).size();
      int featuresAtRestart = ingest.featuresSoFar();
      ingest.progress(
          "a fit runs, "
              + featuresAtRestart
              + " of "
              + data.valid().size()
              + " features and "
              + predictionsAtRestart
              + " of "
              + UNLABELED
              + " predictions committed; restarting the broker"
              + " while the second half is sent");

      // the second half is sent while the broker is away: the producers retry until it is back
      SecondWave secondWave =
          new SecondWave(ingest, scoring, events.subList(firstWave, events.size()));
      secondWave.start();
      long down = System.nanoTime();
      broker.close();
      broker =
          EmbeddedKafkaBroker.builder()
              .dataDir(broker.dataDir())
              .port(broker.port())
              .controllerPort(broker.controllerPort())
              .start();
      double restartSeconds = (System.nanoTime() - down) / 1e9;
      ingest.progress(String.format("broker restarted in %.1f s on %s", restartSeconds, bootstrap));
      long lastVersionBefore =
          models.readToEnd(Duration.ofSeconds(60)).stream()
              .mapToLong(ModelVersion::getVersion)
              .max()
              .orElse(-1);
      secondWave.finish();

      ingest.awaitCompletion(data, APP_ID, app, Duration.ofMinutes(3));
      ingest.assertExactOutputs(data);
      List<ScoringRun.Seen> seen =
          scoring.readPredictions(UNLABELED, Duration.ofMinutes(3), services);
      ScoringRun.assertOnePredictionEach(seen, UNLABELED);

      long total = data.valid().size();
      ModelVersion fit = awaitFitOfEveryImage(models, lastVersionBefore, data);
      for (JvmProcess service : services) {
        service.assertAlive("after the broker restart");
      }
      assertTrue(app.countInLog("stream thread failed") == 0, "no stream thread of the app failed");
      ingest.progress(
          String.format(
              "FIGURES valid=%d malformed=%d classes=%d unlabelled=%d; at the restart"
                  + " %d features and %d predictions committed, last version %d; broker down and up in %.1f s;"
                  + " after it: fit version %d of %d images, %d predictions, scorer RUNNING %d time(s)",
              total,
              MALFORMED,
              CLASSES,
              UNLABELED,
              featuresAtRestart,
              predictionsAtRestart,
              lastVersionBefore,
              restartSeconds,
              fit.getVersion(),
              seen(fit),
              seen.size(),
              app.countInLog("candle scorer RUNNING")));
    } finally {
      for (JvmProcess service : services) {
        service.close();
      }
      broker.close();
    }
  }

  /**
   * The first fit above {@code after} that accounts for every valid image, checked class by class.
   */
  private static ModelVersion awaitFitOfEveryImage(
      CommittedTopic<ModelVersion> models, long after, IngestDataset data) {
    long total = data.valid().size();
    Predicate<ModelVersion> wanted =
        v -> v.getVersion() > after && v.getOrigin().equals("FIT") && seen(v) == total;
    ModelVersion fit =
        models
            .readUntil(
                vs -> vs.stream().anyMatch(wanted),
                Duration.ofMinutes(5),
                vs ->
                    "versions "
                        + vs.stream()
                            .map(v -> v.getVersion() + "/" + v.getOrigin() + "/" + seen(v))
                            .toList()
                        + ", none after "
                        + after
                        + " a fit of all "
                        + total
                        + " images")
            .stream()
            .filter(wanted)
            .findFirst()
            .orElseThrow();
    for (ModelClass c : fit.getClasses()) {
      assertEquals(
          data.expectedCounts().get(c.getName()),
          c.getSeen(),
          "images of " + c.getName() + " in version " + fit.getVersion());
    }
    return fit;
  }

  private static long seen(ModelVersion v) {
    return v.getClasses().stream().mapToLong(ModelClass::getSeen).sum();
  }

  /**
   * Sends the rest of the labelled events and the second half of the unlabelled images on its own
   * thread.
   */
  private static final class SecondWave extends Thread {
    private final IngestRun ingest;
    private final ScoringRun scoring;
    private final List<IngestDataset.Event> events;
    private volatile Exception failure;

    SecondWave(IngestRun ingest, ScoringRun scoring, List<IngestDataset.Event> events) {
      super("second-wave");
      this.ingest = ingest;
      this.scoring = scoring;
      this.events = events;
    }

    @Override
    public void run() {
      try {
        ingest.produceWithJava(events);
        scoring.produceImages(UNLABELED / 2, UNLABELED - UNLABELED / 2);
      } catch (Exception e) {
        failure = e;
      }
    }

    void finish() throws Exception {
      join(Duration.ofMinutes(2).toMillis());
      if (isAlive() || failure != null) {
        throw new AssertionError(
            "sending the second half " + (isAlive() ? "did not end" : "failed"), failure);
      }
    }
  }
}
