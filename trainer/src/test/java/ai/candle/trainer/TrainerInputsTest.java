package ai.candle.trainer;

import static ai.candle.trainer.TrainingSnapshotTest.registered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

class TrainerInputsTest {
  static final int D = 4;
  final TrainerConfig config =
      TrainerConfig.load(List.of("--feature-width", Integer.toString(D)), Map.of());
  final Topics topics = Topics.of(config.topics());
  final TrainerInputs inputs = new TrainerInputs(config);

  void feature(String className, String imageId, int width) {
    FeatureRecord f =
        new FeatureRecord(
            imageId, className, Collections.nCopies(width, 0.5f), Instant.EPOCH, null);
    String topic = topics.features().name();
    inputs.apply(topic, className, topics.features().valueSerde().serializer().serialize(topic, f));
  }

  void register(ClassInfo info) {
    String topic = topics.classes().name();
    inputs.apply(
        topic, info.getName(), topics.classes().valueSerde().serializer().serialize(topic, info));
  }

  void count(String className, long count) {
    String topic = topics.classCounts().name();
    inputs.apply(topic, className, Serdes.Long().serializer().serialize(topic, count));
  }

  @Test
  void eachInputTopicFeedsItsPart() {
    assertEquals(
        List.of(topics.classes().name(), topics.classCounts().name(), topics.features().name()),
        inputs.topicNames());
    feature("a", "img-1", D);
    feature("a", "img-2", D);
    inputs.apply(topics.features().name(), "a", null);
    register(registered("a", 0, D));
    register(registered("b", 1, 0));
    count("a", 3);
    count("a", 2);
    inputs.apply(topics.classCounts().name(), "a", null);
    assertEquals(2, inputs.store().seen("a"), "a tombstone feature is nothing");
    assertEquals(2, inputs.registry().size());
    assertEquals(
        Map.of("a", 3L, "b", 0L), inputs.classCounts(), "counts only grow; max(seen, live)");
    inputs.apply(topics.classes().name(), "b", null);
    assertEquals(1, inputs.registry().size(), "a registry tombstone removes its class");
  }

  @Test
  void unusableRecordsThrowForTheConsumerToSkip() {
    assertThrows(IllegalArgumentException.class, () -> feature("a", "img-1", D + 1));
    assertThrows(
        RuntimeException.class,
        () -> inputs.apply(topics.features().name(), "a", new byte[] {1, 2, 3}));
    assertEquals(0, inputs.store().seen("a"));
  }

  @Test
  void theTriggersSeeImagesRegisteredClassesWithTextAndTheServingOnes() {
    feature("a", "img-1", D);
    feature("early", "img-2", D);
    register(registered("a", 0, D));
    register(registered("announced", 1, 0));
    register(registered("okapi", 2, D));
    RefitPolicy.Observed seen = inputs.observed(Set.of("a"));
    assertEquals(2, seen.trainOffered());
    assertEquals(Set.of("a", "early"), seen.withImages());
    assertEquals(Set.of("a", "okapi"), seen.registered());
    assertEquals(Set.of("a"), seen.serving());
  }

  @Test
  void aSnapshotWaitsForTheStoreToCatchUpWithTheLiveCountsButNotForever() {
    register(registered("a", 0, D));
    feature("a", "img-1", D);
    count("a", 1);
    long start = System.nanoTime();
    TrainingSnapshot caughtUp = inputs.snapshot(Duration.ofSeconds(30));
    assertTrue(
        System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "no wait when caught up");
    assertEquals(1, caughtUp.samples());

    count("a", 5);
    Duration wait = Duration.ofMillis(200);
    start = System.nanoTime();
    TrainingSnapshot behind = inputs.snapshot(wait);
    assertTrue(System.nanoTime() - start >= wait.toNanos(), "waited for the missing features");
    assertEquals(1, behind.samples(), "then fits on what it has");
    assertEquals(5L, behind.liveCounts().get("a"));
  }
}
