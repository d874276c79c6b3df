package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.VersionAssembler;
import ai.candle.schemas.VersionChunks;
import ai.candle.trainer.Trainer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, faults: the trainer is killed with SIGKILL the moment it logs that a publish started
 * (several times, each time restarted), while the streams app's scorer follows the models topic.
 * Every record on {@code candle.models} decodes and passes its checksum ({@link
 * ModelVersions#fromRecord}, the scorer's own check), versions strictly increase in topic order,
 * the scorer refused nothing and serves the last version, and a restarted trainer goes on with a
 * higher version. (TrainerKillIT kills the trainer during a fit instead.)
 */
class TrainerPublishKillIT {

  /** Wide and many classes: a version is about 4.7 MB, encoded and sent in 1.3-1.7 s on 2 cores. */
  static final int WIDTH = 512;

  static final int CLASSES = 300;

  /**
   * How long after the publish-start line each kill comes: the first ones land while the version is
   * encoded or sent, the last ones after the acknowledgement (the figures say which).
   */
  static final long[] KILL_DELAYS_MS = {0, 400, 900, 1_400, 3_000};

  private static final String APP_ID = "candle-ingest-it-publish-kill";
  private static final String SCORER_ID = "candle-scorer-it-publish-kill";
  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);

  /**
   * One record of the models topic: its version, or why it is not a valid one; {@code chunk}: a
   * chunk of a version, judged at its manifest.
   */
  record Published(long offset, long version, String problem, boolean chunk) {
    Published(long offset, long version, String problem) {
      this(offset, version, problem, false);
    }
  }

  /** Joins the chunked versions {@link #check} sees, in topic order. */
  private final VersionAssembler chunks = new VersionAssembler(ModelVersions.DEFAULT_MAX_BYTES);

  @TempDir Path tmp;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aTrainerKilledWhilePublishingNeverLeavesAnInvalidVersionAndGoesOnHigher() throws Exception {
    Random random = new Random(17);
    Path trainerLog = IngestSplits.freshLogFile("TrainerPublishKillIT-trainer");
    try (KafkaTarget kafka = KafkaTarget.start();
        IngestRun ingest = new IngestRun(kafka.bootstrapServers());
        ScoringRun scoring = new ScoringRun(kafka.bootstrapServers(), WIDTH);
        CommittedTopic<Published> models =
            new CommittedTopic<>(
                kafka.bootstrapServers(),
                IngestRun.TOPICS.models(),
                r -> check(r.offset(), r.value()))) {
      scoring.createTopics(3);
      List<String> names = new ArrayList<>();
      for (int c = 0; c < CLASSES; c++) {
        names.add("class-" + c);
      }
      ingest.announce(names, gaussian(random, CLASSES * WIDTH));
      try (JvmProcess app =
          StreamsAppProcess.start(
              kafka.bootstrapServers(),
              tmp.resolve("state"),
              APP_ID,
              IngestSplits.freshLogFile("TrainerPublishKillIT-streams-app"),
              List.of(
                  "--feature-width",
                  Integer.toString(WIDTH),
                  "--scoring-application-id",
                  SCORER_ID))) {
        int killedBeforeAck = 0;
        long started = 0;
        long acked = 0;
        for (int kill = 0; kill < KILL_DELAYS_MS.length; kill++) {
          JvmProcess trainer = startTrainer(kafka.bootstrapServers(), trainerLog, kill + 1);
          // the first round publishes the INITIAL version of the announced classes by itself
          if (kill > 0) {
            ingest.announce(List.of("late-" + kill), gaussian(random, WIDTH));
          }
          trainer.awaitLog(Trainer.PUBLISHING_MESSAGE, (int) started + 1, Duration.ofMinutes(1));
          Thread.sleep(KILL_DELAYS_MS[kill]);
          assertEquals(137, trainer.kill(), "exit code of a SIGKILLed JVM");
          boolean ackedBeforeKill = trainer.countInLog("Published version") > acked;
          killedBeforeAck += ackedBeforeKill ? 0 : 1;
          started = trainer.countInLog(Trainer.PUBLISHING_MESSAGE);
          acked = trainer.countInLog("Published version");
          ingest.progress(
              "killed the trainer "
                  + KILL_DELAYS_MS[kill]
                  + " ms after publish "
                  + (kill + 1)
                  + " started ("
                  + (ackedBeforeKill ? "after" : "before")
                  + " its acknowledgement);"
                  + " versions on the topic: "
                  + models.readToEnd(Duration.ofSeconds(30)).stream()
                      .filter(p -> !p.chunk())
                      .map(Published::version)
                      .toList());
        }
        List<Published> beforeRestart = models.readToEnd(Duration.ofSeconds(30));
        long lastBefore = beforeRestart.isEmpty() ? -1 : assertValidAndIncreasing(beforeRestart);

        try (JvmProcess trainer =
            startTrainer(kafka.bootstrapServers(), trainerLog, KILL_DELAYS_MS.length + 1)) {
          ingest.announce(List.of("after-the-kills"), gaussian(random, WIDTH));
          List<Published> all =
              models.readUntil(
                  ps -> ps.stream().anyMatch(p -> !p.chunk() && p.version() > lastBefore),
                  Duration.ofMinutes(1),
                  ps ->
                      "no version above "
                          + lastBefore
                          + " after the restart: "
                          + ps.stream().filter(p -> !p.chunk()).map(Published::version).toList());
          long last = assertValidAndIncreasing(all);
          String metrics = awaitServing(app, last, Duration.ofMinutes(1));
          List<String> refused =
              metrics
                  .lines()
                  .filter(l -> l.startsWith("candle_model_refused_total{") && !l.endsWith(" 0.0"))
                  .toList();
          assertEquals(List.of(), refused, "versions the scorer refused");
          assertEquals(0, app.countInLog("Refusing model"), "refusals in the scorer's log");
          trainer.assertAlive("after the kills");
          app.assertAlive("after the kills");
          ingest.progress(
              String.format(
                  "FIGURES kills=%d (%d before the acknowledgement) records on the"
                      + " models topic=%d, all valid, versions %s; after the restart version %d, served",
                  KILL_DELAYS_MS.length,
                  killedBeforeAck,
                  all.size(),
                  all.stream().filter(p -> !p.chunk()).map(Published::version).toList(),
                  last));
        }
      }
    }
  }

  private static JvmProcess startTrainer(String bootstrap, Path log, int start) throws Exception {
    JvmProcess trainer = TrainerProcess.start(bootstrap, WIDTH, log);
    trainer.awaitLog(Trainer.CAUGHT_UP_MESSAGE, start, Duration.ofMinutes(1));
    return trainer;
  }

  /**
   * A record as the scorer would take it: decoded, a chunked version joined at its manifest,
   * checksum and class list checked.
   */
  private Published check(long offset, byte[] value) {
    ModelVersion record;
    try {
      record = VERSIONS.decode(value);
    } catch (RuntimeException e) {
      return new Published(offset, -1, "not a ModelVersion: " + e);
    }
    try {
      if (VersionChunks.isChunk(record)) {
        chunks.offer(record);
        return new Published(offset, record.getVersion(), null, true);
      }
      ModelVersions.fromRecord(chunks.offer(record), WIDTH);
      return new Published(offset, record.getVersion(), null);
    } catch (RuntimeException e) {
      return new Published(offset, record.getVersion(), e.getMessage());
    }
  }

  /** Every record valid, versions strictly increasing in offset order; returns the last version. */
  private static long assertValidAndIncreasing(List<Published> published) {
    assertTrue(!published.isEmpty(), "versions on the models topic");
    long previous = Long.MIN_VALUE;
    for (Published p : published.stream().filter(p -> !p.chunk()).toList()) {
      assertEquals(
          null, p.problem(), "record at offset " + p.offset() + " (version " + p.version() + ")");
      assertTrue(
          p.version() > previous,
          "version " + p.version() + " at offset " + p.offset() + " after version " + previous);
      previous = p.version();
    }
    return previous;
  }

  /** Scrapes the app's /metrics until it serves {@code version}; returns that scrape. */
  private static String awaitServing(JvmProcess app, long version, Duration timeout)
      throws Exception {
    String url = StreamsAppProcess.metricsUrl(app);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String body = ScoringRun.scrape(url);
      if (body.lines().anyMatch(l -> l.equals("candle_model_version " + (double) version))) {
        return body;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the scorer does not serve version "
                + version
                + " within "
                + timeout
                + ": "
                + body.lines().filter(l -> l.startsWith("candle_model_")).toList());
      }
      Thread.sleep(200);
    }
  }

  private static float[] gaussian(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
