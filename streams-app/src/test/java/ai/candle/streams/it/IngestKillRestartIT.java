package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3, scenario b: the streams app is killed with SIGKILL while it is working through the
 * input, more input arrives while it is down, and a restarted app (same application id, same state
 * dir) still ends with exact counts, dead letters and features (exactly_once_v2).
 */
class IngestKillRestartIT {

  private static final String APP_ID = "candle-ingest-it-kill";

  /**
   * A killed member stays in the group until its session times out (45 s by default) and the
   * restarted one waits for that; 10 s keeps the test short without changing what is checked.
   */
  private static final List<String> APP_FLAGS =
      List.of("--streams-config", "session.timeout.ms=10000");

  @TempDir Path tmp;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void killedAndRestartedAppStillCountsExactly() throws Exception {
    Kcat kcat = Kcat.locate();
    IngestDataset data =
        IngestDataset.generate(
            11,
            IngestExactCountsIT.VALID,
            IngestExactCountsIT.CLASSES,
            IngestExactCountsIT.MALFORMED,
            IngestExactCountsIT.WIDTH);
    List<IngestDataset.Event> viaKcat = IngestSplits.everyFifthValidAndForeignBytes(data);
    List<IngestDataset.Event> viaJava = IngestSplits.rest(data, viaKcat);
    int firstWave = viaJava.size() * 3 / 4;
    Path state = tmp.resolve("state");
    Path log = IngestSplits.freshLogFile("IngestKillRestartIT");

    try (KafkaTarget kafka = KafkaTarget.start();
        IngestRun run = new IngestRun(kafka.bootstrapServers())) {
      run.createTopics();
      run.produceWithJava(viaJava.subList(0, firstWave));

      JvmProcess first =
          StreamsAppProcess.start(kafka.bootstrapServers(), state, APP_ID, log, APP_FLAGS);
      int beforeKill = run.awaitFeatures(data.valid().size() / 5, first, Duration.ofMinutes(2));
      assertEquals(137, first.kill(), "exit code of a SIGKILLed JVM");
      run.progress("killed the app (SIGKILL) after " + beforeKill + " committed features");
      assertTrue(
          beforeKill < data.valid().size(), "killed mid-stream, after " + beforeKill + " features");

      run.produceWithKcat(kcat, viaKcat, tmp);
      run.produceWithJava(viaJava.subList(firstWave, viaJava.size()));
      assertEquals(
          data.valid().size() + data.malformed().size(),
          run.inputRecords(),
          "records on the input topic");

      run.progress("restarting the app on the same state dir");
      try (JvmProcess second =
          StreamsAppProcess.start(kafka.bootstrapServers(), state, APP_ID, log, APP_FLAGS)) {
        run.awaitCompletion(data, APP_ID, second, Duration.ofMinutes(3));
        run.assertExactOutputs(data);
      }
    }
  }
}
