package ai.candle.streams.ingest;

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
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.validation.RejectReason;
import ai.candle.streams.validation.internals.DeadLetters;
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
public final class IngestFixture implements AutoCloseable {

  public static final int WIDTH = 4;
  public static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_000L);
  public static final Topics TOPICS = Topics.defaults();
  public static final AvroSerde<LabeledImage> LABELED = AvroSerde.of(LabeledImage.class);
  public static final AvroSerde<ClassAnnouncement> ANNOUNCEMENT =
      AvroSerde.of(ClassAnnouncement.class);

  public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  public final IngestConfig config;
  public final TopologyTestDriver driver;
  public final TestInputTopic<byte[], byte[]> labeled;
  public final TestInputTopic<byte[], byte[]> announcements;
  public final TestOutputTopic<String, FeatureRecord> features;
  public final TestOutputTopic<String, Long> counts;
  public final TestOutputTopic<String, ClassInfo> classes;
  public final TestOutputTopic<byte[], DeadLetter> deadLetters;

  public IngestFixture(Path stateDir, Encoders encoders, String... flags) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--feature-width",
                Integer.toString(WIDTH),
                "--state-dir",
                stateDir.toString(),
                "--application-id",
                "ingest-test"));
    args.addAll(List.of(flags));
    config = IngestConfig.load(args, Map.of());
    driver =
        new TopologyTestDriver(
            IngestTopology.build(config, registry, encoders, Optional.empty()),
            config.streamsProperties());
    labeled =
        driver.createInputTopic(
            TOPICS.labeledImages().name(),
            Serdes.ByteArray().serializer(),
            Serdes.ByteArray().serializer());
    announcements =
        driver.createInputTopic(
            TOPICS.classAnnouncements().name(),
            Serdes.ByteArray().serializer(),
            Serdes.ByteArray().serializer());
    features = output(TOPICS.features());
    counts = output(TOPICS.classCounts());
    classes = output(TOPICS.classes());
    deadLetters = output(TOPICS.deadLetter());
  }

  private <K, V> TestOutputTopic<K, V> output(Topic<K, V> topic) {
    return driver.createOutputTopic(
        topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static List<Float> vector(float... values) {
    List<Float> list = new ArrayList<>();
    for (float v : values) {
      list.add(v);
    }
    return list;
  }

  public static LabeledImage.Builder image(String id, String label) {
    return LabeledImage.newBuilder().setId(id).setEventTime(T0).setLabel(label);
  }

  public static LabeledImage withFeature(String id, String label, List<Float> feature) {
    return image(id, label).setFeature(feature).build();
  }

  public static ClassAnnouncement.Builder announcement(String name) {
    return ClassAnnouncement.newBuilder().setName(name);
  }

  /** Pipes a labelled image keyed by its id; returns the value bytes as sent. */
  public byte[] pipe(LabeledImage value) {
    byte[] bytes = LABELED.encode(value);
    labeled.pipeInput(utf8(value.getId()), bytes, T0);
    return bytes;
  }

  /** Pipes an announcement keyed by its name; returns the value bytes as sent. */
  public byte[] announce(ClassAnnouncement value) {
    byte[] bytes = ANNOUNCEMENT.encode(value);
    announcements.pipeInput(utf8(value.getName()), bytes, T0);
    return bytes;
  }

  /** The dead letter expected for a record at {@code offset} of {@code topic}. */
  public static DeadLetter deadLetter(
      String topic,
      long offset,
      byte[] key,
      byte[] value,
      String errorClass,
      RejectReason reason,
      String message) {
    return new DeadLetter(
        key == null ? null : ByteBuffer.wrap(key),
        value == null ? null : ByteBuffer.wrap(value),
        topic,
        0,
        offset,
        errorClass,
        reason.tag(),
        message,
        T0,
        null,
        null);
  }

  public double deadLetterCount(RejectReason reason) {
    return registry
        .get(DeadLetters.METRIC)
        .tag(DeadLetters.REASON_TAG, reason.tag())
        .counter()
        .count();
  }

  /**
   * Asserts that a record rejected by validation came out as exactly one dead letter, equal to the
   * expected one (origin {@code topic}, partition 0), counted once under its reason, and nothing
   * else.
   */
  public void assertOnlyDeadLetter(
      String topic, String key, byte[] bytes, RejectReason reason, String message) {
    KeyValue<byte[], DeadLetter> letter = deadLetters.readKeyValue();
    assertArrayEquals(utf8(key), letter.key);
    assertEquals(
        deadLetter(topic, 0, utf8(key), bytes, "validation", reason, message), letter.value);
    assertNoOutput();
    assertEquals(1.0, deadLetterCount(reason));
  }

  /** Asserts no output on the topology's output topics. */
  public void assertNoOutput() {
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
