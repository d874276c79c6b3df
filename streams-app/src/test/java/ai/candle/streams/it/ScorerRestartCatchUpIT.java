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
 * Issue 19, item 8: a restarted scorer must not score with an older version than the newest on the
 * models topic. A streams app (child JVM) scores images with version 1 and is SIGKILLed; while it
 * is down {@link #VERSIONS} more versions of {@link #CLASSES} classes are published and more images
 * wait. The restarted app replays the models topic ({@code ModelVersionFeed}: 4 records a poll, the
 * newest of each poll loaded) and must score every waiting image with the newest version: it starts
 * its clients only once the feed has read the topic to the end offsets it had at start ({@code
 * model.catch-up.ms}), and logs how long that took. The partitions' own catch-up ({@code
 * scoring.catch-up.ms}) does not cover this: they were last scored with version 1, which the first
 * poll already serves.
 *
 * <p>Run with {@code -Dcandle.it.model-catch-up-ms=0} to see what happens without the wait.
 */
class ScorerRestartCatchUpIT {

  static final int CLASSES = 1_000;
  static final int WIDTH = 64;
  static final int VERSIONS = 200;
  static final int IMAGES = 500;
  static final int PARTITIONS = 2;
  private static final String INGEST_ID = "candle-ingest-it-restart-catch-up";
  private static final String SCORER_ID = "candle-scorer-it-restart-catch-up";

  @TempDir Path tmp;

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aRestartedScorerScoresOnlyWithTheNewestVersion() throws Exception {
    String catchUpMs = System.getProperty("candle.it.model-catch-up-ms", "60000");
    Path log = IngestSplits.freshLogFile("ScorerRestartCatchUpIT");
    List<String> args =
        List.of(
            "--feature-width",
            Integer.toString(WIDTH),
            "--scoring-application-id",
            SCORER_ID,
            "--model-catch-up-ms",
            catchUpMs,
            "--streams-config",
            "session.timeout.ms=6000");
    try (KafkaTarget kafka = KafkaTarget.start();
        ScoringRun run = new ScoringRun(kafka.bootstrapServers(), WIDTH)) {
      run.createTopics(PARTITIONS);
      run.publishNextVersion(CLASSES);
      try (JvmProcess first =
          StreamsAppProcess.start(
              kafka.bootstrapServers(), tmp.resolve("state"), INGEST_ID, log, args)) {
        first.awaitLog("candle scorer RUNNING", 1, Duration.ofMinutes(2));
        run.produceImages(0, IMAGES);
        List<ScoringRun.Seen> before =
            run.readPredictions(IMAGES, Duration.ofMinutes(2), List.of(first));
        assertTrue(before.stream().allMatch(s -> s.version() == 1), "scored with version 1 before");
        assertEquals(137, first.kill(), "exit code of a SIGKILLed JVM");
      }
      long newest = 1;
      long publishStart = System.nanoTime();
      for (int i = 0; i < VERSIONS; i++) {
        newest = run.publishNextVersion(CLASSES);
      }
      run.progress(
          String.format(
              "scorer killed; published versions 2 to %d (%d classes and up, width %d) in"
                  + " %.1f s while it was down",
              newest, CLASSES, WIDTH, (System.nanoTime() - publishStart) / 1e9));
      run.produceImages(IMAGES, IMAGES);

      try (JvmProcess restarted =
          StreamsAppProcess.start(
              kafka.bootstrapServers(), tmp.resolve("state"), INGEST_ID, log, args)) {
        List<ScoringRun.Seen> seen =
            run.readPredictions(2 * IMAGES, Duration.ofMinutes(3), List.of(restarted));
        ScoringRun.assertOnePredictionEach(seen, 2 * IMAGES);
        Map<Long, Long> afterRestart = new TreeMap<>();
        seen.stream()
            .filter(
                s ->
                    !s.imageId().equals("") && Integer.parseInt(s.imageId().substring(4)) >= IMAGES)
            .forEach(s -> afterRestart.merge(s.version(), 1L, Long::sum));
        String caughtUp = lastLine(restarted, "to its end offsets");
        run.progress(
            String.format(
                "FIGURES versions=%d (newest %d) images after the restart=%d scored with"
                    + " versions %s; model.catch-up.ms=%s; %s",
                VERSIONS + 1, newest, IMAGES, afterRestart, catchUpMs, caughtUp));
        assertEquals(
            Map.of(newest, (long) IMAGES),
            afterRestart,
            "every image after the restart scored with the newest version "
                + newest
                + " (versions used, with counts)");
        restarted.assertAlive("after scoring");
      }
    }
  }

  private static String lastLine(JvmProcess process, String text) {
    return process.logLines().stream()
        .filter(l -> l.contains(text))
        .reduce((a, b) -> b)
        .map(l -> l.length() > 400 ? l.substring(0, 400) + "..." : l)
        .orElse("(no line with '" + text + "')");
  }
}
