package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, faults: two streams-app instances share the scoring of unlabelled images; one is killed
 * with SIGKILL mid-stream. Its partitions move to the survivor (the group settles with one member
 * that owns every partition and scores on them after the kill), and every image still gets exactly
 * one committed prediction: what the killed one had scored but not committed is aborted and scored
 * again (exactly_once_v2).
 */
class ScorerKillIT {

  static final int IMAGES = 10_000;
  static final int CLASSES = 50;
  static final int WIDTH = 64;
  static final int PARTITIONS = 4;
  private static final String INGEST_ID = "candle-ingest-it-scorer-kill";
  private static final String SCORER_ID = "candle-scorer-it-scorer-kill";

  @TempDir Path tmp;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aKilledScorersPartitionsMoveAndEveryImageStillGetsOnePrediction() throws Exception {
    try (KafkaTarget kafka = KafkaTarget.start();
        ScoringRun run = new ScoringRun(kafka.bootstrapServers(), WIDTH)) {
      run.createTopics(PARTITIONS);
      run.publishNextVersion(CLASSES);
      List<JvmProcess> apps = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          apps.add(
              StreamsAppProcess.start(
                  kafka.bootstrapServers(),
                  tmp.resolve("state-" + i),
                  INGEST_ID,
                  IngestSplits.freshLogFile("ScorerKillIT-" + i),
                  List.of(
                      "--feature-width",
                      Integer.toString(WIDTH),
                      "--scoring-application-id",
                      SCORER_ID,
                      "--streams-config",
                      "num.stream.threads=1",
                      // the killed member leaves the group when its session times out (45 s by
                      // default); 10 s keeps the test short without changing what is checked
                      "--streams-config",
                      "session.timeout.ms=10000")));
        }
        for (JvmProcess app : apps) {
          app.awaitLog("candle scorer RUNNING", 1, Duration.ofMinutes(1));
        }
        Map<String, Set<Integer>> before =
            run.awaitStableAssignment(SCORER_ID, 2, Duration.ofMinutes(1));
        JvmProcess victim = apps.get(0);
        Set<Integer> victims = partitionsOf(victim, before);
        run.progress(
            "2 scorers running, partitions "
                + before.values()
                + ", the one to be killed has "
                + victims);

        run.produceImages(IMAGES);
        run.progress("produced " + IMAGES + " unlabelled images");
        int beforeKill = run.readPredictions(IMAGES / 5, Duration.ofMinutes(2), apps).size();
        long killedAt = System.currentTimeMillis();
        assertEquals(137, victim.kill(), "exit code of a SIGKILLed JVM");
        run.progress("killed one scorer (SIGKILL) after " + beforeKill + " committed predictions");
        assertTrue(beforeKill < IMAGES, "killed mid-stream, after " + beforeKill + " predictions");

        JvmProcess survivor = apps.get(1);
        List<ScoringRun.Seen> seen =
            run.readPredictions(IMAGES, Duration.ofMinutes(2), List.of(survivor));
        ScoringRun.assertOnePredictionEach(seen, IMAGES);

        Map<String, Set<Integer>> after =
            run.awaitStableAssignment(SCORER_ID, 1, Duration.ofMinutes(1));
        assertEquals(
            Set.of(0, 1, 2, 3), partitionsOf(survivor, after), "the survivor owns every partition");
        Map<Integer, Long> scoredAfterKill = new TreeMap<>();
        seen.stream()
            .filter(s -> s.scoredAt() > killedAt)
            .forEach(s -> scoredAfterKill.merge(s.partition(), 1L, Long::sum));
        for (int p : victims) {
          assertTrue(
              scoredAfterKill.getOrDefault(p, 0L) > 0,
              "partition "
                  + p
                  + " of the killed scorer is scored after the kill: "
                  + scoredAfterKill);
        }
        run.progress(
            String.format(
                "FIGURES images=%d partitions of the killed scorer=%s predictions before"
                    + " the kill=%d, after it per partition=%s, in all=%d (exactly one per image)",
                IMAGES, victims, beforeKill, scoredAfterKill, seen.size()));
      } finally {
        for (JvmProcess app : apps) {
          app.close();
        }
      }
    }
  }

  /**
   * The partitions of the app's own members: a member's client id is its Kafka Streams client's id
   * (application id and process id) plus the thread, and the app logs its client's state as {@code
   * stream-client [<id>]} (the group leader's log names the other members too, so the whole id is
   * not enough).
   */
  private static Set<Integer> partitionsOf(JvmProcess app, Map<String, Set<Integer>> assignment) {
    Set<Integer> out = new java.util.TreeSet<>();
    assignment.forEach(
        (clientId, partitions) -> {
          String streamsClient = clientId.substring(0, clientId.indexOf("-StreamThread-"));
          if (app.countInLog("stream-client [" + streamsClient + "]") > 0) {
            out.addAll(partitions);
          }
        });
    assertTrue(
        !out.isEmpty(), "no member of " + assignment.keySet() + " is named in the app's log");
    return out;
  }
}
