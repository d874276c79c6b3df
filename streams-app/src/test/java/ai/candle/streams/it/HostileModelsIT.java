package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 6: 1,000 hostile records on the models topic ({@link HostileModels}: random bytes,
 * truncated records and blobs, 2 GB announced payloads and zip bombs under valid SHA-256 frames,
 * nonsense with valid checksums, overflowing shapes, header token bombs, altered parameters,
 * another width, chunks) go to a running scorer (the streams app as a child JVM with a 256 MB heap)
 * and, the highest-numbered of them announcing a 2 GB payload, to a trainer started after them (a
 * child JVM with a 256 MB heap, whose recovery decodes the latest version). The scorer refuses each
 * exactly once under its reason and keeps serving; the trainer starts and publishes the next
 * version when a class is announced; the scorer adopts that version and scores with it.
 */
class HostileModelsIT {

  static final long SEED = 19;
  static final int HOSTILE = 1_000;
  static final int WIDTH = 64;
  static final int CLASSES = 20;
  static final int IMAGES = 100;
  static final String HEAP = "-Xmx256m";
  private static final String INGEST_ID = "candle-hostile-models-ingest";
  private static final String SCORER_ID = "candle-hostile-models-scorer";

  @TempDir Path tmp;

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void hostileModelVersionsAreRefusedAndTheNextValidVersionServes() throws Exception {
    long start = System.nanoTime();
    List<HostileModels.Hostile> hostile =
        new HostileModels(SEED, WIDTH, CLASSES).generate(HOSTILE, 2);
    long nextVersion =
        hostile.stream().mapToLong(HostileModels.Hostile::version).max().orElseThrow() + 1;
    Map<String, Long> planned = new TreeMap<>();
    hostile.forEach(h -> planned.merge(h.kind().reason, 1L, Long::sum));
    Map<HostileModels.Kind, Long> kinds = new TreeMap<>();
    hostile.forEach(h -> kinds.merge(h.kind(), 1L, Long::sum));

    try (KafkaTarget kafka = KafkaTarget.start();
        ScoringRun run = new ScoringRun(kafka.bootstrapServers(), WIDTH)) {
      run.createTopics(2, 32 * 1024 * 1024);
      run.publishNextVersion(CLASSES);
      run.progress(
          String.format(
              "generated %d hostile model records in %.1f s: %s; by reason %s",
              hostile.size(), (System.nanoTime() - start) / 1e9, kinds, planned));
      try (JvmProcess app =
          StreamsAppProcess.start(
              List.of(HEAP),
              kafka.bootstrapServers(),
              tmp.resolve("app"),
              INGEST_ID,
              IngestSplits.freshLogFile("HostileModelsIT"),
              List.of(
                  "--feature-width",
                  Integer.toString(WIDTH),
                  "--scoring-application-id",
                  SCORER_ID))) {
        app.awaitLog("candle scorer RUNNING", 1, Duration.ofMinutes(2));
        run.sendModelRecords(hostile.stream().map(HostileModels.Hostile::value).toList());
        run.progress(
            "sent "
                + hostile.size()
                + " hostile records to the models topic; versions up to "
                + (nextVersion - 1));

        try (JvmProcess trainer =
            TrainerProcess.start(
                List.of(HEAP),
                kafka.bootstrapServers(),
                WIDTH,
                IngestSplits.freshLogFile("HostileModelsIT-trainer"))) {
          trainer.awaitLog("candle trainer caught up", 1, Duration.ofMinutes(2));
          run.progress(
              "the trainer started after them and caught up: "
                  + lastLine(trainer, "cannot be served here"));

          String url = StreamsAppProcess.metricsUrl(app);
          Map<String, Long> refused = awaitRefusals(app, url, HOSTILE, Duration.ofMinutes(3));
          assertEquals(planned, refused, "refusals by reason, each hostile record counted once");
          assertEquals(
              1.0,
              ScoringRun.series(ScoringRun.scrape(url), "candle_model_version").get(""),
              "version 1 still serves");

          run.announce("hostile-models-announced");
          trainer.awaitLog("Published version " + nextVersion + " ", 1, Duration.ofMinutes(2));
          app.awaitLog(
              "Serving model 'candle' version " + nextVersion + " ", 1, Duration.ofMinutes(2));
          run.produceImages(IMAGES);
          List<ScoringRun.Seen> seen =
              run.readPredictions(IMAGES, Duration.ofMinutes(2), List.of(app));
          ScoringRun.assertOnePredictionEach(seen, IMAGES);
          assertTrue(
              seen.stream().allMatch(s -> s.version() == nextVersion),
              "every image scored with version " + nextVersion);
          app.assertAlive("after the hostile model records");
          trainer.assertAlive("after the hostile model records");
          assertEquals(
              0, app.countInLog("OutOfMemoryError"), "no OutOfMemoryError in the app's log");
          assertEquals(
              0,
              trainer.countInLog("OutOfMemoryError"),
              "no OutOfMemoryError in the trainer's log");
          run.progress(
              String.format(
                  "FIGURES hostile model records=%d refused by reason=%s trainer published"
                      + " version %d after them, scorer served it and scored %d images with it;"
                      + " heap -Xmx256m each; run time %.1f s",
                  hostile.size(),
                  refused,
                  nextVersion,
                  seen.size(),
                  (System.nanoTime() - start) / 1e9));
        }
      }
    }
  }

  /** Waits until the scorer counted {@code count} refusals; returns them by reason. */
  private static Map<String, Long> awaitRefusals(
      JvmProcess app, String url, int count, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Long> refused = Map.of();
    while (System.nanoTime() < deadline) {
      app.assertAlive("while it reads the hostile model records");
      refused = refusals(ScoringRun.scrape(url));
      if (refused.values().stream().mapToLong(Long::longValue).sum() >= count) {
        return refused;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "the scorer refused "
            + refused
            + ", not "
            + count
            + " records, within "
            + timeout
            + "; last lines of its log:\n"
            + app.logTail(30));
  }

  private static Map<String, Long> refusals(String scrape) {
    Map<String, Long> out = new TreeMap<>();
    ScoringRun.series(scrape, "candle_model_refused_total")
        .forEach(
            (tags, value) -> {
              if (value > 0) {
                out.put(tags.replaceAll(".*reason=\"([^\"]*)\".*", "$1"), value.longValue());
              }
            });
    return out;
  }

  private static String lastLine(JvmProcess process, String text) {
    return process.logLines().stream()
        .filter(l -> l.contains(text))
        .reduce((a, b) -> b)
        .map(l -> l.length() > 300 ? l.substring(0, 300) + "..." : l)
        .orElse("(no line with '" + text + "')");
  }
}
