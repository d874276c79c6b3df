package ai.candle.cli.demo;

import ai.candle.core.FrequencyBucket;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.Prediction;
import ai.candle.schemas.Topics;
import ai.candle.schemas.VersionChunks;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Watches what the services produce during the demo: every prediction (read committed) and every
 * model version, with the time each arrived. What the demo sent is registered by the sender, so
 * each prediction can be judged against the label the demo kept and the class's count when the
 * image was sent.
 */
final class DemoRecorder implements AutoCloseable {

  /** What the demo knows about a scored image when it sent it. */
  record Sent(int label, FrequencyBucket bucket, int announcedClasses) {}

  /** A judged prediction. */
  record Judged(
      String imageId,
      long version,
      boolean prequential,
      int label,
      int predicted,
      FrequencyBucket bucket,
      int announcedClasses,
      long arrivedMillis) {}

  /** A model version as it arrived. */
  record Version(
      long version, String origin, Set<String> classes, int baseClasses, long arrivedMillis) {}

  private final Topics topics;
  private final Map<String, Integer> classIndex;
  private final Map<String, Sent> unlabeled = new ConcurrentHashMap<>();
  private final Map<String, Sent> labeled = new ConcurrentHashMap<>();
  private final List<Judged> judged = new CopyOnWriteArrayList<>();
  private final List<Version> versions = new CopyOnWriteArrayList<>();
  private final AtomicLong unlabeledScored = new AtomicLong();
  private final TopicFollower follower;

  DemoRecorder(String bootstrap, Topics topics, List<String> classNames) {
    this.topics = topics;
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < classNames.size(); i++) {
      index.put(classNames.get(i), i);
    }
    this.classIndex = index;
    follower =
        new TopicFollower(
            bootstrap,
            List.of(topics.predictions().name(), topics.models().name()),
            "candle-demo-recorder",
            this::arrived);
  }

  void sentUnlabeled(String id, Sent sent) {
    unlabeled.put(id, sent);
  }

  void sentLabeled(String id, Sent sent) {
    labeled.put(id, sent);
  }

  long unlabeledScored() {
    return unlabeledScored.get();
  }

  List<Judged> judged() {
    return List.copyOf(judged);
  }

  List<Version> versions() {
    return List.copyOf(versions);
  }

  private void arrived(ConsumerRecord<String, byte[]> r, long now) {
    if (r.topic().equals(topics.models().name())) {
      ModelVersion v =
          topics.models().valueSerde().deserializer().deserialize(r.topic(), r.value());
      if (VersionChunks.isChunk(v)) {
        return; // a chunked version's manifest, which comes last, says what it holds
      }
      Set<String> names = new HashSet<>();
      for (ModelClass c : v.getClasses()) {
        names.add(c.getName());
      }
      versions.add(new Version(v.getVersion(), v.getOrigin(), names, v.getBaseClasses(), now));
    } else {
      record(
          topics.predictions().valueSerde().deserializer().deserialize(r.topic(), r.value()), now);
    }
  }

  private void record(Prediction p, long now) {
    Sent sent = p.getPrequential() ? labeled.get(p.getImageId()) : unlabeled.get(p.getImageId());
    if (sent == null) {
      return;
    }
    int predicted =
        p.getTopK().isEmpty() ? -1 : classIndex.getOrDefault(p.getTopK().get(0).getClassName(), -1);
    judged.add(
        new Judged(
            p.getImageId(),
            p.getModelVersion(),
            p.getPrequential(),
            sent.label(),
            predicted,
            sent.bucket(),
            sent.announcedClasses(),
            now));
    if (!p.getPrequential()) {
      unlabeledScored.incrementAndGet();
    }
  }

  @Override
  public void close() {
    follower.close();
  }
}
