package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import ai.candle.streams.it.HostileRecords.Input;
import ai.candle.streams.it.HostileRecords.Planned;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, "hostile input": 10,000 generated malformed records on each input topic (random bytes,
 * truncated Avro, unknown and garbled schema versions, arrays declared or sent huge, NaN and
 * infinite features, 1 MB and control-character labels, ids and class names, bad prompts, bytes
 * that are no image, image headers on garbage, damaged images, zip-bomb-like PNGs, PNGs within the
 * pixel limit but one pixel wide or high (1 × the limit, 1 × 100,000, 100,000 × 1), image URIs,
 * huge keys), interleaved with valid records (some with extreme but finite features, some written
 * with an older schema version, some images just under the pixel limit), through the streams app as
 * a child JVM with a small heap, the CLIP image encoder fixture decoding every image and a model
 * serving. Nothing may crash; every malformed record is dead-lettered exactly once with a reason
 * and its origin; every valid one arrives; the heap stays bounded (its high-water mark, from the
 * app's GC log, is printed).
 */
class HostileInputIT {

  static final long SEED = 9;
  static final int MALFORMED_PER_TOPIC = 10_000;
  static final int VALID_IMAGES_PER_TOPIC = 300;
  static final int VALID_ANNOUNCEMENTS = 100;
  static final int WIDTH = 64; // the fixture encoder's D
  static final int PARTITIONS = 2;
  static final long MAX_PIXELS = 4_000_000;
  static final int HEAP_MB = 256;
  static final List<String> CLASSES =
      List.of(
          "hostile_tench",
          "hostile_goldfish",
          "hostile_shark",
          "hostile_hen",
          "hostile_ostrich",
          "hostile_finch",
          "hostile_newt",
          "hostile_frog");
  private static final String INGEST_ID = "candle-hostile-ingest";
  private static final String SCORER_ID = "candle-hostile-scorer";

  @TempDir Path tmp;

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void hostileRecordsAreDeadLetteredWithAReasonAndValidOnesAllArriveInBoundedMemory()
      throws Exception {
    long start = System.nanoTime();
    Path fixtures =
        Path.of(System.getProperty("clip.fixtures", "../clip-encoders/fixtures")).toAbsolutePath();
    HostileImages images = HostileImages.load(fixtures, MAX_PIXELS);
    HostileRecords generator = new HostileRecords(SEED, WIDTH, images, CLASSES);
    List<Planned> labeled =
        generator.generate(Input.LABELED, MALFORMED_PER_TOPIC, VALID_IMAGES_PER_TOPIC);
    List<Planned> unlabeled =
        generator.generate(Input.UNLABELED, MALFORMED_PER_TOPIC, VALID_IMAGES_PER_TOPIC);
    List<Planned> announced =
        generator.generate(Input.ANNOUNCEMENT, MALFORMED_PER_TOPIC, VALID_ANNOUNCEMENTS);
    double generated = (System.nanoTime() - start) / 1e9;

    try (KafkaTarget kafka = KafkaTarget.start();
        ScoringRun models = new ScoringRun(kafka.bootstrapServers(), WIDTH);
        HostileRun run = new HostileRun(kafka.bootstrapServers(), ScoringRun.TOPICS)) {
      models.createTopics(PARTITIONS);
      models.publishNextVersion(CLASSES.size());
      run.progress(
          String.format(
              "generated in %.1f s: labelled %s, unlabelled %s, announcements %s",
              generated,
              HostileRecords.counts(labeled),
              HostileRecords.counts(unlabeled),
              HostileRecords.counts(announced)));
      Path log = IngestSplits.freshLogFile("HostileInputIT");
      Path gcLog = log.resolveSibling("HostileInputIT-gc.log");
      java.nio.file.Files.deleteIfExists(gcLog);
      int metricsPort = freePort();
      try (JvmProcess app =
          StreamsAppProcess.start(
              List.of(
                  "-Xmx" + HEAP_MB + "m", "-XX:+ExitOnOutOfMemoryError", "-Xlog:gc:file=" + gcLog),
              kafka.bootstrapServers(),
              tmp.resolve("state"),
              INGEST_ID,
              log,
              List.of(
                  "--feature-width", Integer.toString(WIDTH),
                  "--scoring-application-id", SCORER_ID,
                  "--metrics-port", Integer.toString(metricsPort),
                  "--encoder-image-path",
                      fixtures.resolve("models").resolve("image_encoder.pt").toString(),
                  "--encoder-max-pixels", Long.toString(MAX_PIXELS),
                  // a shared machine under load must not turn content checks into encoder_busy
                  // (the encoder's documented overload shedding, tested in ClipEncodersTest): a
                  // 20-minute poll interval gives each stream thread 150 s of waiting per 5 minutes
                  "--streams-config", "max.poll.interval.ms=1200000",
                  "--encoder-deadline-ms", "120000"))) {
        app.awaitLog("candle ingest RUNNING", 1, Duration.ofMinutes(2));
        app.awaitLog("candle scorer RUNNING", 1, Duration.ofMinutes(1));
        long sendStart = System.nanoTime();
        run.send(List.of(labeled, unlabeled, announced));
        run.progress(
            String.format(
                "sent %d records in %.1f s", run.sent(), (System.nanoTime() - sendStart) / 1e9));
        run.awaitOutputs(
            app,
            Map.of(
                INGEST_ID,
                Set.of(Input.LABELED, Input.ANNOUNCEMENT),
                SCORER_ID,
                Set.of(Input.UNLABELED)),
            Duration.ofMinutes(5));
        run.progress(
            String.format(
                "outputs complete %.1f s after the first record was sent",
                (System.nanoTime() - sendStart) / 1e9));

        HostileRun.Figures figures = run.check(CLASSES);
        run.assertBoundedLogsAndMetrics(app, "http://127.0.0.1:" + metricsPort + "/metrics");
        app.assertAlive("after the hostile input");
        double live = HeapLog.liveAfterFullGcMb(app.pid(), gcLog);
        HeapLog.HighWater heap = HeapLog.parse(gcLog);
        run.progress(
            String.format(
                "FIGURES malformed sent=%d (per topic: %d) valid sent=%d dead letters=%d"
                    + " (by category %s) features=%d predictions=%d (unlabelled; %d prequential)"
                    + " classes=%d run time=%.1f s heap: -Xmx%dm, high-water used %.1f MB, high-water"
                    + " after young/mixed/full GC %.1f MB (%d such GCs), live after a forced full GC %.1f MB",
                figures.malformed(),
                MALFORMED_PER_TOPIC,
                figures.valid(),
                figures.deadLetters(),
                figures.categories(),
                figures.features(),
                figures.predictions(),
                figures.prequential(),
                figures.classes(),
                (System.nanoTime() - start) / 1e9,
                HEAP_MB,
                heap.usedMb(),
                heap.afterGcMb(),
                heap.collections(),
                live));
        // the live set after a full GC, not the largest "after" of the young pauses (which includes
        // old
        // garbage or not depending on when G1 last ran a mixed collection)
        assertTrue(
            live < HEAP_MB * 0.75,
            "live heap after a full GC stays under 75% of -Xmx" + HEAP_MB + "m: " + live + " MB");
      }
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
