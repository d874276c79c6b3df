package ai.candle.trainer;

import ai.candle.core.CandleModel;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.ModelVersions.ClassBook;
import ai.candle.schemas.ModelVersions.Origin;
import ai.candle.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model's versions on the models topic: where the version sequence resumes after a restart,
 * and how a version is published. All of the trainer's Kafka settings live here too.
 *
 * <ul>
 *   <li><b>Recovery</b> ({@link #open}) reads the models topic to its end: the next version is the
 *       highest of this model + 1, and the latest version serves again when it decodes at the
 *       configured width. Undecodable records are skipped.
 *   <li><b>Publishing</b> ({@link #publish}): a version is one record, key = {@code model.name},
 *       written whole or not at all. It is refused before sending when over {@code
 *       model.max.bytes}; the send waits for the broker's ack at most {@link #PUBLISH_TIMEOUT}; a
 *       failure says which settings to change. The producer is idempotent with {@code acks=all}.
 *   <li><b>Other writers</b>: before each publish, the models topic's end offsets are compared
 *       with those after the trainer's own last write; when something else wrote there (say
 *       {@code candle models rollback}, which republishes an older version under the next number),
 *       the topic is read again and the version sequence continues after its highest version, so
 *       that the trainer's next version is newer than the rollback and the scorers serve it.
 * </ul>
 *
 * One publish runs at a time (the trainer publishes under its own lock as well); {@link #close}
 * does not wait for it: closing the producer fails a send still waiting for its ack.
 */
final class VersionLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VersionLog.class);
  /** How long a poll of the trainer's consumers waits. */
  static final Duration POLL = Duration.ofMillis(100);
  static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(60);

  /** A version that could not be published; the message says why and, where known, what to change. */
  static final class PublishFailedException extends IllegalStateException {
    PublishFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final TrainerConfig config;
  private final Topics topics;
  private final AtomicLong lastVersion = new AtomicLong(-1);
  private KafkaProducer<String, ModelVersion> producer;
  /** Reads the models topic's end offsets before each publish (see "Other writers"). */
  private KafkaConsumer<String, byte[]> ends;
  private List<TopicPartition> modelPartitions = List.of();
  /** The end offsets after the trainer's own last write, or as recovered. */
  private final Map<TopicPartition, Long> knownEnds = new HashMap<>();
  private long nextVersion;

  VersionLog(TrainerConfig config) {
    this.config = config;
    this.topics = config.topicSerdes();
    // in the registry wire format: a registry that is down or refuses a schema stops the trainer here
    this.topics.registerSchemas();
  }

  /**
   * Creates the producer and resumes the version sequence from the models topic.
   *
   * @return the latest version, to serve again; null when there is none or it does not decode here
   */
  synchronized ServingVersion open() {
    producer = new KafkaProducer<>(producerSettings(config), new StringSerializer(),
        topics.models().valueSerde().serializer());
    ends = new KafkaConsumer<>(consumerSettings(config), new StringDeserializer(), new ByteArrayDeserializer());
    modelPartitions = partitions(ends, topics.models().name());
    knownEnds.putAll(ends.endOffsets(modelPartitions));
    ModelVersion latest = readLatest();
    long max = latest == null ? -1 : latest.getVersion();
    nextVersion = max + 1;
    lastVersion.set(max);
    if (latest == null) {
      LOG.info("No version of model '{}' on {} yet; the first is {}", config.modelName(),
          topics.models().name(), nextVersion);
      return null;
    }
    try {
      CandleModel model = ModelVersions.fromRecord(latest, config.featureWidth());
      LOG.info("Resuming after version {} ({} classes, {} base); the next version is {}",
          max, model.numClasses(), model.baseClasses(), nextVersion);
      return new ServingVersion(latest.getVersion(), model, Origin.valueOf(latest.getOrigin()),
          booksOf(latest), latest.getHoldoutMetrics());
    } catch (RuntimeException e) {
      LOG.warn("The latest version {} cannot be served here ({}); versions continue at {}",
          max, e.getMessage(), nextVersion);
      return null;
    }
  }

  /** The version last published or recovered; -1 before any. */
  long lastVersion() {
    return lastVersion.get();
  }

  /**
   * Publishes the next version and waits for the broker's ack.
   *
   * @return its version number
   * @throws PublishFailedException when it is too large, the broker refused it or did not answer
   */
  synchronized long publish(VersionDraft draft) {
    skipVersionsOfOtherWriters();
    long version = nextVersion++;
    long start = System.nanoTime();
    CandleModel model = draft.model();
    // a version is one record, written whole or not at all; a crash from here on loses at most it
    LOG.info("{} {} ({}, {} classes)", Trainer.PUBLISHING_MESSAGE, version, draft.origin(), model.numClasses());
    ModelVersion record = ModelVersions.toRecord(model, version, Instant.now(),
        config.clipModelId(), draft.origin(), draft.books(), draft.metrics());
    try {
      ModelVersions.checkSize(record, config.modelMaxBytes());
    } catch (RuntimeException e) {
      throw new PublishFailedException(e.getMessage(), e);
    }
    send(record, version);
    lastVersion.set(version);
    LOG.info("Published version {} ({}, {} classes, {} base, {} bytes) in {} ms", version, draft.origin(),
        model.numClasses(), model.baseClasses(), ModelVersions.parameterBytes(record),
        (System.nanoTime() - start) / 1_000_000);
    return version;
  }

  /**
   * When the models topic grew beyond the trainer's own writes, continues the version sequence
   * after the highest version on it. A failure to look is logged: the publish goes on.
   */
  private void skipVersionsOfOtherWriters() {
    if (ends == null) {
      return;
    }
    try {
      Map<TopicPartition, Long> now = ends.endOffsets(modelPartitions, Duration.ofSeconds(10));
      boolean grew = now.entrySet().stream().anyMatch(e -> e.getValue() > knownEnds.getOrDefault(e.getKey(), 0L));
      if (!grew) {
        return;
      }
      ModelVersion latest = readLatest();
      if (latest != null && latest.getVersion() >= nextVersion) {
        LOG.info("Version {} of model '{}' was published by another writer (e.g. candle models rollback);"
            + " versions continue at {}", latest.getVersion(), config.modelName(), latest.getVersion() + 1);
        nextVersion = latest.getVersion() + 1;
      }
      knownEnds.putAll(now);
    } catch (RuntimeException e) {
      LOG.warn("Could not check the models topic for other writers' versions ({}); publishing version {}",
          e.toString(), nextVersion);
    }
  }

  private void send(ModelVersion record, long version) {
    try {
      org.apache.kafka.clients.producer.RecordMetadata m =
          producer.send(new ProducerRecord<>(topics.models().name(), config.modelName(), record))
              .get(PUBLISH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      TopicPartition written = new TopicPartition(m.topic(), m.partition());
      knownEnds.merge(written, m.offset() + 1, Math::max);
    } catch (ExecutionException e) {
      throw new PublishFailedException("Publishing version " + version + " ("
          + ModelVersions.parameterBytes(record) + " bytes) to " + topics.models().name()
          + " failed: " + e.getCause().getMessage() + hint(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      throw new PublishFailedException("Publishing version " + version + " timed out after "
          + PUBLISH_TIMEOUT + "; is the broker reachable?", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing version " + version, e);
    }
  }

  /** What to change when the broker refused a version, where known. */
  static String hint(Throwable cause) {
    if (cause instanceof RecordTooLargeException) {
      return "; the models topic's max.message.bytes (or the broker's message.max.bytes) is"
          + " below the version's size: create the topic with ModelVersions.topicConfig"
          + " (see docs/design.md, 'Topics') or raise max.message.bytes";
    }
    return "";
  }

  /** The highest version of this model on the models topic, read to its end; null when none. */
  private ModelVersion readLatest() {
    ModelVersion latest = null;
    try (KafkaConsumer<String, byte[]> models = new KafkaConsumer<>(consumerSettings(config),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = partitions(models, topics.models().name());
      models.assign(parts);
      models.seekToBeginning(parts);
      Map<TopicPartition, Long> end = models.endOffsets(parts);
      while (parts.stream().anyMatch(p -> models.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> r : models.poll(POLL)) {
          ModelVersion v = decode(r);
          if (v != null && v.getVersion() > (latest == null ? -1 : latest.getVersion())) {
            latest = v;
          }
        }
      }
    }
    return latest;
  }

  /** A version of this model, or null for another model's record, a tombstone or an undecodable one. */
  private ModelVersion decode(ConsumerRecord<String, byte[]> r) {
    if (!config.modelName().equals(r.key()) || r.value() == null) {
      return null;
    }
    try {
      return topics.models().valueSerde().deserializer().deserialize(r.topic(), r.value());
    } catch (RuntimeException e) {
      LOG.warn("Skipping an undecodable record at {}-{}@{} of the models topic: {}",
          r.topic(), r.partition(), r.offset(), e.getMessage());
      return null;
    }
  }

  private static Map<String, ClassBook> booksOf(ModelVersion v) {
    Map<String, ClassBook> books = new LinkedHashMap<>();
    for (ModelClass c : v.getClasses()) {
      books.put(c.getName(), new ClassBook(c.getIndex(), c.getSeen(), c.getHeldOut()));
    }
    return books;
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
    }
    synchronized (this) {
      if (ends != null) {
        ends.close(Duration.ofSeconds(2));
      }
    }
  }

  // ---------------------------------------------------------------- settings

  /**
   * The trainer's consumers (inputs and models topic): sized for a version, {@code read_committed},
   * no consumer group offsets (every start replays), then the {@code kafka.*} overrides.
   */
  static Map<String, Object> consumerSettings(TrainerConfig config) {
    Map<String, Object> p = new HashMap<>(ModelVersions.consumerConfig(config.modelMaxBytes()));
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    p.putAll(config.kafkaOverrides());
    return p;
  }

  /** The versions' producer: sized for a version, idempotent, {@code acks=all}, then the overrides. */
  static Map<String, Object> producerSettings(TrainerConfig config) {
    Map<String, Object> p = new HashMap<>(ModelVersions.producerConfig(config.modelMaxBytes()));
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.putAll(config.kafkaOverrides());
    return p;
  }

  /** A topic's partitions; a missing topic is an error that says how to create it. */
  static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("Topic " + topic + " does not exist; the services do not"
          + " create topics: create them first (docs/design.md, 'Topics'; TopicSpecs)");
    }
    return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
  }
}
