package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.DeadLetter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 7, on the real broker: the streams app (child JVM) with {@code classes.max = 10}
 * takes in 3,000 labelled images of 25 long-tailed classes. Exactly 10 classes are registered on
 * the committed classes topic, each of the other 15 is dead-lettered as {@code class_limit} (naming
 * it), the metric {@code candle_dead_letters_total{reason="class_limit"}} counts every such dead
 * letter, every image is still a feature, and the app keeps running.
 */
class ClassLimitIT {

  static final int IMAGES = 3_000;
  static final int CLASSES = 25;
  static final int MAX_CLASSES = 10;
  static final int WIDTH = 64;
  private static final String APP_ID = "candle-ingest-it-class-limit";
  private static final Pattern REFUSED = Pattern.compile("class '([^']*)' is not registered");

  @TempDir Path tmp;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void beyondClassesMaxNewClassesAreDeadLetteredAsClassLimit() throws Exception {
    IngestDataset data = IngestDataset.generate(19, IMAGES, CLASSES, 0, WIDTH);
    AvroSerde<ClassInfo> classSerde = AvroSerde.of(ClassInfo.class);
    AvroSerde<DeadLetter> letterSerde = AvroSerde.of(DeadLetter.class);
    try (KafkaTarget kafka = KafkaTarget.start();
        IngestRun run = new IngestRun(kafka.bootstrapServers());
        CommittedTopic<String> classes =
            new CommittedTopic<>(
                kafka.bootstrapServers(),
                IngestRun.TOPICS.classes(),
                r -> classSerde.decode(r.value()).getName());
        CommittedTopic<DeadLetter> letters =
            new CommittedTopic<>(
                kafka.bootstrapServers(),
                IngestRun.TOPICS.deadLetter(),
                r -> letterSerde.decode(r.value()))) {
      run.createTopics();
      try (JvmProcess app =
          StreamsAppProcess.start(
              kafka.bootstrapServers(),
              tmp.resolve("state"),
              APP_ID,
              IngestSplits.freshLogFile("ClassLimitIT"),
              List.of(
                  "--feature-width",
                  Integer.toString(WIDTH),
                  "--classes-max",
                  Integer.toString(MAX_CLASSES)))) {
        app.awaitLog("candle ingest RUNNING", 1, Duration.ofMinutes(2));
        run.produceWithJava(data.valid());
        run.awaitFeatures(IMAGES, app, Duration.ofMinutes(2));
        Set<String> refusedClasses = new TreeSet<>();
        letters.readUntil(
            ls -> {
              app.assertAlive("while ingesting");
              refusedClasses.clear();
              ls.forEach(l -> refusedClasses.add(refusedClass(l)));
              return refusedClasses.size() >= CLASSES - MAX_CLASSES;
            },
            Duration.ofMinutes(2),
            ls -> refusedClasses.size() + " classes refused");
        List<DeadLetter> all = letters.readToEnd(Duration.ofSeconds(30));
        Set<String> registered = new TreeSet<>(classes.readToEnd(Duration.ofSeconds(30)));

        Map<String, Long> categories = new TreeMap<>();
        all.forEach(l -> categories.merge(l.getCategory(), 1L, Long::sum));
        double metric =
            ScoringRun.series(
                    ScoringRun.scrape(StreamsAppProcess.metricsUrl(app)),
                    "candle_dead_letters_total")
                .entrySet()
                .stream()
                .filter(e -> e.getKey().contains("reason=\"class_limit\""))
                .mapToDouble(Map.Entry::getValue)
                .sum();
        run.progress(
            String.format(
                "FIGURES images=%d classes=%d classes.max=%d registered=%d %s;"
                    + " dead letters by category %s naming %d classes; candle_dead_letters_total"
                    + "{reason=class_limit}=%.0f",
                IMAGES,
                CLASSES,
                MAX_CLASSES,
                registered.size(),
                registered,
                categories,
                refusedClasses.size(),
                metric));
        assertEquals(MAX_CLASSES, registered.size(), "classes registered");
        assertEquals(
            Map.of("class_limit", (long) all.size()), categories, "dead letters by category");
        assertEquals(CLASSES - MAX_CLASSES, refusedClasses.size(), "classes refused");
        assertTrue(
            refusedClasses.stream().noneMatch(registered::contains), "refused ones not registered");
        // counted when dead-lettered: those still in an open transaction when the topic was read
        // count too
        assertTrue(
            metric >= all.size(), "the metric counts every class_limit dead letter: " + metric);
        app.assertAlive("after the cap");
      }
    }
  }

  private static String refusedClass(DeadLetter letter) {
    Matcher m = REFUSED.matcher(letter.getReason());
    return m.find() ? m.group(1) : "(" + letter.getCategory() + ": " + letter.getReason() + ")";
  }
}
