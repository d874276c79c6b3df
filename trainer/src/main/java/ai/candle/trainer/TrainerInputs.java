package ai.candle.trainer;

import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Serdes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the trainer has read from its input topics: the training store ({@code candle.features}),
 * the class registry ({@code candle.classes}) and the live image counts ({@code
 * candle.class-counts}). The consumer thread applies records; the workers and the timer read.
 */
final class TrainerInputs {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerInputs.class);

  private final Topics topics;
  private final int width;
  private final TrainingStore store;
  private final ClassRegistry registry;
  private final Map<String, Long> liveCounts = new ConcurrentHashMap<>();

  TrainerInputs(TrainerConfig config) {
    this.topics = config.topicSerdes();
    this.width = config.featureWidth();
    this.store =
        new TrainingStore(
            width,
            config.storeMaxPerClass(),
            config.holdoutPercent(),
            config.holdoutMaxPerClass(),
            config.hyperParameters().seed());
    this.registry = new ClassRegistry(width);
  }

  /** The topics to replay: the registry, the counts, the features. */
  List<String> topicNames() {
    return List.of(topics.classes().name(), topics.classCounts().name(), topics.features().name());
  }

  /** The features topic's name (the store's positions are in its partitions). */
  String featuresTopic() {
    return topics.features().name();
  }

  TrainingStore store() {
    return store;
  }

  ClassRegistry registry() {
    return registry;
  }

  /**
   * Applies one record of an input topic: a feature goes to the store, a registry record replaces
   * its class (a tombstone removes it), a count raises the class's live count (counts only grow).
   *
   * @throws RuntimeException when the record cannot be decoded or its feature has another width
   */
  void apply(String topic, String key, byte[] value) {
    apply(topic, -1, -1, key, value);
  }

  /**
   * The same for the record at {@code offset} of partition {@code partition}: the store's position
   * in that partition of the features topic moves past an image it took.
   */
  void apply(String topic, int partition, long offset, String key, byte[] value) {
    if (topic.equals(topics.features().name())) {
      if (value != null) {
        FeatureRecord f = topics.features().valueSerde().deserializer().deserialize(topic, value);
        if (partition < 0) {
          store.add(f.getClassName(), f.getImageId(), toArray(f.getFeature()));
        } else {
          store.add(f.getClassName(), f.getImageId(), toArray(f.getFeature()), partition, offset);
        }
      }
    } else if (topic.equals(topics.classes().name())) {
      registry.apply(
          key,
          value == null
              ? null
              : topics.classes().valueSerde().deserializer().deserialize(topic, value));
    } else if (value != null) {
      liveCounts.merge(key, Serdes.Long().deserializer().deserialize(topic, value), Math::max);
    }
  }

  /** Every registered class's image count: max(what the store accounted for, the live count). */
  Map<String, Long> classCounts() {
    Map<String, Long> seen = store.seenCounts();
    Map<String, Long> out = new HashMap<>();
    for (ClassInfo c : registry.all()) {
      String name = c.getName();
      out.put(name, Math.max(seen.getOrDefault(name, 0L), liveCounts.getOrDefault(name, 0L)));
    }
    return out;
  }

  /** What the refit triggers look at, against the classes of the serving version. */
  RefitPolicy.Observed observed(Set<String> serving) {
    return new RefitPolicy.Observed(
        store.trainOffered(), store.seenCounts().keySet(), registry.namesWithText(), serving);
  }

  /**
   * Features and counts are written in one transaction by the streams app but arrive through
   * different partitions: waits up to {@code timeout} until the store has seen what the live counts
   * say, then takes the snapshot a fit learns from.
   */
  TrainingSnapshot snapshot(Duration timeout) {
    awaitCounts(timeout);
    return TrainingSnapshot.of(store.contents(), registry.all(), new HashMap<>(liveCounts), width);
  }

  private void awaitCounts(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (liveCounts.entrySet().stream().noneMatch(e -> store.seen(e.getKey()) < e.getValue())) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.info("The store is behind the live counts after {}; fitting on what it has", timeout);
  }

  private static float[] toArray(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
