package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * Issue 3, scenario a: 50,000 valid labelled feature events (D = 512, 200 long-tailed classes) and
 * 1,000 malformed ones, part of them sent by kcat, through the streams app on a real broker.
 */
class IngestExactCountsIT {

  static final int VALID = 50_000;
  static final int CLASSES = 200;
  static final int MALFORMED = 1_000;
  static final int WIDTH = 512;
  private static final String APP_ID = "candle-ingest-it-exact";

  @TempDir Path tmp;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void everyEventIsCountedForwardedOrDeadLetteredExactlyOnce() throws Exception {
    Kcat kcat = Kcat.locate();
    IngestDataset data = IngestDataset.generate(3, VALID, CLASSES, MALFORMED, WIDTH);
    List<IngestDataset.Event> viaKcat = IngestSplits.everyFifthValidAndForeignBytes(data);
    List<IngestDataset.Event> viaJava = IngestSplits.rest(data, viaKcat);

    try (KafkaTarget kafka = KafkaTarget.start();
        IngestRun run = new IngestRun(kafka.bootstrapServers())) {
      run.createTopics();
      run.progress("malformed records by kind: " + data.malformedKindCounts());
      try (JvmProcess app =
          StreamsAppProcess.start(
              kafka.bootstrapServers(),
              tmp.resolve("state"),
              APP_ID,
              IngestSplits.freshLogFile("IngestExactCountsIT"),
              List.of())) {
        run.produceWithKcat(kcat, viaKcat, tmp);
        run.produceWithJava(viaJava);
        assertEquals(VALID + MALFORMED, run.inputRecords(), "records on the input topic");
        run.awaitCompletion(data, APP_ID, app, Duration.ofMinutes(3));
        run.assertExactOutputs(data);
      }
    }
  }
}
