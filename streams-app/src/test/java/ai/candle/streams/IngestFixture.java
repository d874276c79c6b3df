package ai.candle.streams;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.Topic;
import ai.candle.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** A TopologyTestDriver over the ingest topology, feature width 4, with typed topics. */
final class IngestFixture implements AutoCloseable {

  static final int WIDTH = 4;
  static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_000L);
  static final Topics TOPICS = Topics.defaults();
  static final AvroSerde<LabeledImage> LABELED = AvroSerde.of(LabeledImage.class);
  static final AvroSerde<ClassAnnouncement> ANNOUNCEMENT = AvroSerde.of(ClassAnnouncement.class);

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final IngestConfig config;
  final TopologyTestDriver driver;
  final TestInputTopic<byte[], byte[]> labeled;
  final TestInputTopic<byte[], byte[]> announcements;
  final TestOutputTopic<String, FeatureRecord> features;
  final TestOutputTopic<String, Long> counts;
  final TestOutputTopic<String, ClassInfo> classes;
  final TestOutputTopic<byte[], DeadLetter> deadLetters;

  IngestFixture(Path stateDir, Encoders encoders, String... flags) {
    List<String> args = new ArrayList<>(List.of("--feature-width", Integer.toString(WIDTH),
        "--state-dir", stateDir.toString(), "--application-id", "ingest-test"));
    args.addAll(List.of(flags));
    config = IngestConfig.load(args, Map.of());
    driver = new TopologyTestDriver(IngestTopology.build(config, registry, encoders,
        Optional.empty()),
        config.streamsProperties());
    labeled = driver.createInputTopic(TOPICS.labeledImages().name(),
        Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
    announcements = driver.createInputTopic(TOPICS.classAnnouncements().name(),
        Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
    features = output(TOPICS.features());
    counts = output(TOPICS.classCounts());
    classes = output(TOPICS.classes());
    deadLetters = output(TOPICS.deadLetter());
  }

  private <K, V> TestOutputTopic<K, V> output(Topic<K, V> topic) {
    return driver.createOutputTopic(topic.name(), topic.keySerde().deserializer(),
        topic.valueSerde().deserializer());
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<Float> vector(float... values) {
    List<Float> list = new ArrayList<>();
    for (float v : values) {
      list.add(v);
    }
    return list;
  }

  static LabeledImage.Builder image(String id, String label) {
    return LabeledImage.newBuilder().setId(id).setEventTime(T0).setLabel(label);
  }

  static LabeledImage withFeature(String id, String label, List<Float> feature) {
    return image(id, label).setFeature(feature).build();
  }

  static ClassAnnouncement.Builder announcement(String name) {
    return ClassAnnouncement.newBuilder().setName(name);
  }

  /** Pipes a labelled image keyed by its id; returns the value bytes as sent. */
  byte[] pipe(LabeledImage value) {
    byte[] bytes = LABELED.encode(value);
    labeled.pipeInput(utf8(value.getId()), bytes, T0);
    return bytes;
  }

  /** Pipes an announcement keyed by its name; returns the value bytes as sent. */
  byte[] announce(ClassAnnouncement value) {
    byte[] bytes = ANNOUNCEMENT.encode(value);
    announcements.pipeInput(utf8(value.getName()), bytes, T0);
    return bytes;
  }

  /** The dead letter expected for a record at {@code offset} of {@code topic}. */
  static DeadLetter deadLetter(String topic, long offset, byte[] key, byte[] value,
      String errorClass, RejectReason reason, String message) {
    return new DeadLetter(key == null ? null : ByteBuffer.wrap(key),
        value == null ? null : ByteBuffer.wrap(value), topic, 0, offset, errorClass, reason.tag(),
        message, T0, null, null);
  }

  double deadLetterCount(RejectReason reason) {
    return registry.get(DeadLetters.METRIC).tag(DeadLetters.REASON_TAG, reason.tag()).counter()
        .count();
  }

  /**
   * Asserts that a record rejected by validation came out as exactly one dead letter, equal to the
   * expected one (origin {@code topic}, partition 0), counted once under its reason, and nothing else.
   */
  void assertOnlyDeadLetter(String topic, String key, byte[] bytes, RejectReason reason, String message) {
    KeyValue<byte[], DeadLetter> letter = deadLetters.readKeyValue();
    assertArrayEquals(utf8(key), letter.key);
    assertEquals(deadLetter(topic, 0, utf8(key), bytes, "validation", reason, message), letter.value);
    assertNoOutput();
    assertEquals(1.0, deadLetterCount(reason));
  }

  /** Asserts no output on the topology's output topics. */
  void assertNoOutput() {
    assertAll(
        () -> assertTrue(features.isEmpty(), "features"),
        () -> assertTrue(counts.isEmpty(), "class counts"),
        () -> assertTrue(classes.isEmpty(), "classes"),
        () -> assertTrue(deadLetters.isEmpty(), "dead letters"));
  }

  @Override
  public void close() {
    driver.close();
  }
}
