package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.TopicLeaders;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.TopicNames;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the ingest integration tests share: the topics, sending events (Java producer and kcat),
 * waiting until the app has taken in everything, and the exact checks of its three outputs.
 */
final class IngestRun implements AutoCloseable {

  static final TopicNames TOPICS = TopicNames.defaults();
  private static final AvroSerde<ClassAnnouncement> ANNOUNCEMENTS =
      AvroSerde.of(ClassAnnouncement.class);
  static final int PARTITIONS = 3;
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  private final String bootstrapServers;
  private final long startNanos = System.nanoTime();
  private final Admin admin;
  private final CommittedTopic<Map.Entry<String, Long>> counts;
  private final CommittedTopic<DeadLetter> deadLetters;
  private final CommittedTopic<String> featureIds;

  IngestRun(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
    this.admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers));
    AvroSerde<DeadLetter> deadLetterSerde = AvroSerde.of(DeadLetter.class);
    AvroSerde<FeatureRecord> featureSerde = AvroSerde.of(FeatureRecord.class);
    LongDeserializer longs = new LongDeserializer();
    this.counts =
        new CommittedTopic<>(
            bootstrapServers,
            TOPICS.classCounts(),
            r ->
                Map.entry(
                    new String(r.key(), StandardCharsets.UTF_8),
                    longs.deserialize(r.topic(), r.value())));
    this.deadLetters =
        new CommittedTopic<>(
            bootstrapServers, TOPICS.deadLetter(), r -> deadLetterSerde.decode(r.value()));
    this.featureIds =
        new CommittedTopic<>(
            bootstrapServers, TOPICS.features(), r -> featureSerde.decode(r.value()).getImageId());
  }

  /** A line in the test output with the seconds since this run began. */
  void progress(String message) {
    System.out.printf("[ingest-it %6.1f s] %s%n", (System.nanoTime() - startNanos) / 1e9, message);
  }

  /** Every topic of the app, as an operator would create them (counts compacted). */
  void createTopics() throws InterruptedException {
    List<NewTopic> topics = new ArrayList<>();
    for (String name :
        List.of(
            TOPICS.labeledImages(),
            TOPICS.unlabeledImages(),
            TOPICS.classAnnouncements(),
            TOPICS.features(),
            TOPICS.predictions(),
            TOPICS.deadLetter())) {
      topics.add(new NewTopic(name, PARTITIONS, (short) 1));
    }
    for (String name : List.of(TOPICS.classes(), TOPICS.classCounts(), TOPICS.models())) {
      topics.add(
          new NewTopic(name, PARTITIONS, (short) 1).configs(Map.of("cleanup.policy", "compact")));
    }
    for (NewTopic topic : topics) {
      try {
        admin.createTopics(List.of(topic)).all().get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new AssertionError("could not create topic " + topic.name(), e.getCause());
        }
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError("creating topic " + topic.name() + " timed out", e);
      }
    }
    TopicLeaders.await(admin, topics.stream().map(NewTopic::name).toList(), ADMIN_TIMEOUT);
  }

  /** Sends with an idempotent Java producer (acks=all) and waits for every acknowledgement. */
  void produceWithJava(List<IngestDataset.Event> events) throws Exception {
    produce(TOPICS.labeledImages(), events);
    progress("Java producer sent " + events.size() + " records");
  }

  /**
   * Announces each class with its text feature (row i of {@code textFeatures} for class i), as
   * docs/design.md flow 2.
   */
  void announce(List<String> classNames, float[] textFeatures) throws Exception {
    int width = textFeatures.length / classNames.size();
    List<IngestDataset.Event> events = new ArrayList<>();
    for (int c = 0; c < classNames.size(); c++) {
      List<Float> text = new ArrayList<>(width);
      for (int d = 0; d < width; d++) {
        text.add(textFeatures[c * width + d]);
      }
      events.add(
          new IngestDataset.Event(
              classNames.get(c),
              ANNOUNCEMENTS.encode(
                  ClassAnnouncement.newBuilder()
                      .setName(classNames.get(c))
                      .setAliases(List.of())
                      .setTextFeature(text)
                      .build())));
    }
    produce(TOPICS.classAnnouncements(), events);
    progress("announced " + classNames.size() + " classes");
  }

  private void produce(String topic, List<IngestDataset.Event> events) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> acks = new ArrayList<>(events.size());
      for (IngestDataset.Event e : events) {
        acks.add(producer.send(new ProducerRecord<>(topic, e.key(), e.value())));
      }
      producer.flush();
      for (Future<RecordMetadata> ack : acks) {
        ack.get();
      }
    }
  }

  /** Sends through kcat, as an outside client would. */
  void produceWithKcat(Kcat kcat, List<IngestDataset.Event> events, Path workDir) throws Exception {
    kcat.produce(bootstrapServers, TOPICS.labeledImages(), events, workDir);
    progress("kcat sent " + events.size() + " records");
  }

  /** Records on the input topic now (all partitions). */
  long inputRecords() throws Exception {
    return endOffsets(TOPICS.labeledImages()).values().stream().mapToLong(Long::longValue).sum();
  }

  /** How many valid feature records are committed so far (reads on from where it stopped). */
  int featuresSoFar() {
    featureIds.readToEnd(Duration.ofSeconds(60));
    return featureIds.records().size();
  }

  /** Waits until at least {@code atLeast} features are committed; returns how many were seen. */
  int awaitFeatures(int atLeast, JvmProcess app, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen;
    while ((seen = featuresSoFar()) < atLeast) {
      app.assertAlive("while waiting for " + atLeast + " features");
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "only "
                + seen
                + " of "
                + atLeast
                + " features after "
                + timeout
                + "; app log tail:\n"
                + app.logTail(40));
      }
      Thread.sleep(100);
    }
    return seen;
  }

  /**
   * Waits until the app's group has committed the end of the input topic and the outputs hold at
   * least what is expected, then reads the outputs once more to their ends (so late duplicates
   * show).
   */
  void awaitCompletion(IngestDataset data, String applicationId, JvmProcess app, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<TopicPartition, Long> inputEnd = endOffsets(TOPICS.labeledImages());
    while (!inputConsumed(applicationId, inputEnd)) {
      app.assertAlive("before taking in all input");
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "app did not commit the end of "
                + TOPICS.labeledImages()
                + " "
                + inputEnd
                + " within "
                + timeout
                + "; committed: "
                + committed(applicationId)
                + "\napp log tail:\n"
                + app.logTail(40));
      }
      Thread.sleep(500);
    }
    progress("app committed the end of the input " + inputEnd.values());
    Duration left =
        Duration.ofNanos(Math.max(deadline - System.nanoTime(), Duration.ofSeconds(30).toNanos()));
    long validTotal = data.valid().size();
    counts.readUntil(
        rs -> latestPerKey(rs).values().stream().mapToLong(Long::longValue).sum() >= validTotal,
        left,
        rs ->
            "counts sum to "
                + latestPerKey(rs).values().stream().mapToLong(Long::longValue).sum()
                + " of "
                + validTotal);
    deadLetters.readUntil(
        rs -> rs.size() >= data.malformed().size(),
        left,
        rs -> rs.size() + " of " + data.malformed().size() + " dead letters");
    featureIds.readUntil(
        rs -> rs.size() >= validTotal, left, rs -> rs.size() + " of " + validTotal + " features");
    Thread.sleep(1_000);
    counts.readToEnd(left);
    deadLetters.readToEnd(left);
    featureIds.readToEnd(left);
    progress(
        "outputs read: "
            + latestPerKey(counts.records()).size()
            + " class counts, "
            + deadLetters.records().size()
            + " dead letters, "
            + featureIds.records().size()
            + " features");
  }

  /** The exact checks of issue 3: counts, dead letters, features. */
  void assertExactOutputs(IngestDataset data) {
    assertEquals(
        data.expectedCounts(),
        latestPerKey(counts.records()),
        "latest count per class on " + TOPICS.classCounts() + " equals what was sent");

    List<DeadLetter> dead = deadLetters.records();
    assertEquals(data.malformed().size(), dead.size(), "records on " + TOPICS.deadLetter());
    Set<String> deadKeys = new HashSet<>();
    for (DeadLetter d : dead) {
      String key =
          d.getOriginalKey() == null
              ? "<null>"
              : StandardCharsets.UTF_8.decode(d.getOriginalKey().duplicate()).toString();
      assertFalse(
          d.getReason() == null || d.getReason().isBlank(), "dead letter " + key + " has a reason");
      assertTrue(deadKeys.add(key), "dead letter " + key + " appears once");
      IngestDataset.Malformed kind = data.kindOf(key);
      assertTrue(kind != null, "dead letter " + key + " is one of the malformed records sent");
      assertEquals(
          expectedCategory(kind),
          d.getCategory(),
          "category of " + key + " (" + kind + "), reason: " + d.getReason());
      assertEquals(TOPICS.labeledImages(), d.getTopic(), "origin topic of " + key);
    }
    assertEquals(data.malformedIds(), deadKeys, "dead-lettered keys");

    List<String> ids = featureIds.records();
    assertEquals(
        data.valid().size(), ids.size(), "records on " + TOPICS.features() + " (read_committed)");
    assertEquals(data.validIds(), new HashSet<>(ids), "image ids on " + TOPICS.features());
  }

  static String expectedCategory(IngestDataset.Malformed kind) {
    return switch (kind) {
      case RANDOM_BYTES, JSON_TEXT, TRUNCATED_AVRO -> "not_schema";
      case WRONG_WIDTH -> "width";
      case NAN_VALUE, INFINITE_VALUE -> "non_finite";
      case EMPTY_LABEL, BLANK_LABEL -> "label";
      case NEITHER_IMAGE_NOR_FEATURE, FEATURE_AND_URI -> "image_feature_choice";
    };
  }

  static Map<String, Long> latestPerKey(List<Map.Entry<String, Long>> records) {
    Map<String, Long> latest = new HashMap<>();
    records.forEach(e -> latest.put(e.getKey(), e.getValue()));
    return latest;
  }

  /**
   * Input records the app has processed and committed (its group's committed offsets on the input
   * topic).
   */
  long committedInput(String applicationId) throws Exception {
    Map<TopicPartition, Long> committed = committed(applicationId);
    return committed.entrySet().stream()
        .filter(e -> e.getKey().topic().equals(TOPICS.labeledImages()))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  private boolean inputConsumed(String applicationId, Map<TopicPartition, Long> inputEnd)
      throws Exception {
    Map<TopicPartition, Long> committed = committed(applicationId);
    return inputEnd.entrySet().stream()
        .allMatch(e -> committed.getOrDefault(e.getKey(), -1L) >= e.getValue());
  }

  private Map<TopicPartition, Long> committed(String applicationId) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin
            .listConsumerGroupOffsets(applicationId)
            .partitionsToOffsetAndMetadata()
            .get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    return offsets.entrySet().stream()
        .filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  private Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
    int partitions =
        admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
            .get(topic)
            .partitions()
            .size();
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    return admin
        .listOffsets(request)
        .all()
        .get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
        .entrySet()
        .stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  @Override
  public void close() {
    counts.close();
    deadLetters.close();
    featureIds.close();
    admin.close(Duration.ofSeconds(5));
  }
}
