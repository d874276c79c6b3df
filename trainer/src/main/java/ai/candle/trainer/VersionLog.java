package ai.candle.trainer;

import ai.candle.core.CandleModel;
import ai.candle.core.io.ModelFormatException;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.ModelVersions.ClassBook;
import ai.candle.schemas.ModelVersions.Origin;
import ai.candle.schemas.Topics;
import ai.candle.schemas.TrainingStoreEntry;
import ai.candle.schemas.VersionAssembler;
import ai.candle.schemas.VersionChunks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model's versions on the models topic: where the version sequence resumes after a restart, and
 * how a version is published. All of the trainer's Kafka settings live here too.
 *
 * <ul>
 *   <li><b>One writer per model</b>: the producer is transactional, its {@code transactional.id}
 *       stable per model ({@code candle-trainer-<model.name>} by default). {@link #open} first
 *       initialises it, which fences every older producer of that id (a second trainer of the
 *       model, a zombie of a rolling update) and completes its open transaction; only then does it
 *       read the version counter. A fenced trainer's next publish throws {@link FencedException}.
 *   <li><b>Recovery</b> ({@link #open}) reads the models topic to its end, {@code read_committed}:
 *       the next version is the highest of this model + 1, and the latest version serves again when
 *       it decodes at the configured width. Undecodable records are skipped.
 *   <li><b>The training store</b>: {@link #open} also reads this model's entries of the
 *       training-store topic ({@link StoreCheckpoint}); a {@link Publication} writes its changes in
 *       the transaction of the versions they account for.
 *   <li><b>Publishing</b> ({@link #publish}): a version is one record, key = {@code model.name},
 *       or, when its parameters exceed {@code model.chunk.bytes}, its chunks and a manifest ({@link
 *       VersionChunks}; readers join them with {@link VersionAssembler}), in a transaction, which
 *       writes the same records to the models' history topic too ({@code topic.model-history},
 *       uncompacted: {@code candle models} lists and rolls back to versions that compaction removed
 *       from the models topic; the trainer itself never reads it). It is refused before sending
 *       when over {@code model.max.bytes}; the commit waits for the broker at most {@code
 *       max.block.ms}; a failure says which settings to change. After a failure the producer is
 *       discarded and the next publish initialises a new one and reads the counter again: a version
 *       whose commit outcome was unknown is found on the topic (same number, same checksum) instead
 *       of being sent twice.
 *   <li><b>Other writers</b>: before each publish, the models topic's end offsets are compared with
 *       those after the trainer's own last commit; when something else wrote there ({@code candle
 *       models rollback}), the topic is read again and the sequence continues after its highest
 *       version.
 * </ul>
 *
 * One publish runs at a time (the trainer publishes under its own lock as well); {@link #close}
 * does not wait for it: closing the producer fails a transaction still waiting for the broker.
 */
final class VersionLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VersionLog.class);

  /** How long a poll of the trainer's consumers waits. */
  static final Duration POLL = Duration.ofMillis(100);

  /**
   * A version that could not be published; the message says why and, where known, what to change.
   */
  static final class PublishFailedException extends IllegalStateException {
    private final boolean retriable;

    PublishFailedException(String message, Throwable cause, boolean retriable) {
      super(message, cause);
      this.retriable = retriable;
    }

    /**
     * Whether the same version may be published by trying again (it never can when it is too
     * large).
     */
    boolean retriable() {
      return retriable;
    }
  }

  /**
   * Another trainer initialised the same {@code transactional.id}: this one must not publish again.
   */
  static final class FencedException extends IllegalStateException {
    FencedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * What one transaction writes: versions, numbered in order from the next one (committed all or
   * none), and changes of the training store.
   */
  record Publication(List<VersionDraft> versions, List<StoreCheckpoint.Change> store) {
    Publication {
      versions = List.copyOf(versions);
      store = List.copyOf(store);
    }

    /** Versions without store changes (an extend). */
    static Publication of(VersionDraft... versions) {
      return new Publication(List.of(versions), List.of());
    }

    boolean isEmpty() {
      return versions.isEmpty() && store.isEmpty();
    }
  }

  /**
   * What a trainer resumes from.
   *
   * @param serving the latest version, to serve again; null when there is none or it does not
   *     decode here
   * @param store this model's entries of the training-store topic, by key (empty when none)
   */
  record Recovery(ServingVersion serving, Map<String, TrainingStoreEntry> store) {}

  /** A version sent in a transaction whose commit did not answer: it may be on the topic. */
  private record Unconfirmed(long version, String checksum) {}

  private final TrainerConfig config;
  private final Topics topics;
  private final AtomicLong lastVersion = new AtomicLong(-1);

  /**
   * Null before {@link #open} and after a failed publish: the next publish initialises a new one.
   */
  private volatile KafkaProducer<String, byte[]> producer;

  private volatile boolean closed;
  private long nextVersion;
  private Unconfirmed unconfirmed;

  /** Reads the models topic's end offsets before each publish (another writer, e.g. a rollback). */
  private KafkaConsumer<String, byte[]> ends;

  private List<TopicPartition> modelPartitions = List.of();

  /** The models topic's end offsets after the trainer's own last commit, or as recovered. */
  private final Map<TopicPartition, Long> knownEnds = new HashMap<>();

  VersionLog(TrainerConfig config) {
    this.config = config;
    this.topics = config.topicSerdes();
    // in the registry wire format: a registry that is down or refuses a schema stops the trainer
    // here
    this.topics.registerSchemas();
  }

  /**
   * Initialises the transactional producer (fencing older trainers of this model), then resumes the
   * version sequence from the models topic and reads the training store.
   */
  synchronized Recovery open() {
    initProducer();
    ends =
        new KafkaConsumer<>(
            consumerSettings(config), new StringDeserializer(), new ByteArrayDeserializer());
    modelPartitions = partitions(ends, topics.models().name());
    knownEnds.putAll(ends.endOffsets(modelPartitions));
    ModelVersion latest = readLatest();
    return new Recovery(resume(latest), readTrainingStore());
  }

  /** The version sequence continues after the latest version; it serves again when it decodes. */
  private ServingVersion resume(ModelVersion latest) {
    long max = latest == null ? -1 : latest.getVersion();
    nextVersion = max + 1;
    lastVersion.set(max);
    if (latest == null) {
      LOG.info(
          "No version of model '{}' on {} yet; the first is {}",
          config.modelName(),
          topics.models().name(),
          nextVersion);
      return null;
    }
    try {
      CandleModel model = ModelVersions.fromRecord(latest, config.featureWidth());
      LOG.info(
          "Resuming after version {} ({} classes, {} base); the next version is {}",
          max,
          model.numClasses(),
          model.baseClasses(),
          nextVersion);
      return new ServingVersion(
          latest.getVersion(),
          model,
          Origin.valueOf(latest.getOrigin()),
          booksOf(latest),
          latest.getHoldoutMetrics());
    } catch (RuntimeException e) {
      LOG.warn(
          "The latest version {} cannot be served here ({}); versions continue at {}",
          max,
          e.getMessage(),
          nextVersion);
      return null;
    }
  }

  /** The version last published or recovered; -1 before any. */
  long lastVersion() {
    return lastVersion.get();
  }

  /**
   * Publishes the next version in one transaction and waits for its commit.
   *
   * @return its version number
   * @throws PublishFailedException when it is too large, the broker refused it or did not answer
   * @throws FencedException when another trainer of this model took over
   */
  long publish(VersionDraft draft) {
    return publish(Publication.of(draft)).get(0);
  }

  /**
   * Publishes versions, numbered in order from the next one, and changes of the training store in
   * one transaction (committed all or none) and waits for its commit.
   *
   * @return the versions' numbers
   * @throws PublishFailedException when one is too large, the broker refused them or did not answer
   * @throws FencedException when another trainer of this model took over
   */
  synchronized List<Long> publish(Publication publication) {
    if (publication.isEmpty()) {
      throw new IllegalArgumentException("nothing to publish");
    }
    long start = System.nanoTime();
    List<VersionDraft> drafts = publication.versions();
    if (producer != null && !drafts.isEmpty()) {
      skipVersionsOfOtherWriters();
    }
    long encodeStart = System.nanoTime();
    List<ModelVersion> records = checkedRecords(drafts, nextVersion);
    long encoded = System.nanoTime();
    if (producer == null) {
      reopen();
      Unconfirmed committed =
          records.isEmpty() ? null : takeConfirmed(records.get(records.size() - 1));
      if (committed != null) {
        LOG.info(
            "Version {} was committed before the failure that hid it; not sent again",
            committed.version());
        return numbers(committed.version() - drafts.size() + 1, drafts.size());
      }
      records = checkedRecords(drafts, nextVersion);
    }
    for (ModelVersion r : records) {
      LOG.info(
          "{} {} ({}, {} classes)",
          Trainer.PUBLISHING_MESSAGE,
          r.getVersion(),
          r.getOrigin(),
          r.getClasses().size());
    }
    send(records, publication.store());
    rememberEnds();
    if (!publication.store().isEmpty()) {
      LOG.info(
          "Training store written to {}: {} changes",
          topics.trainingStore().name(),
          publication.store().size());
    }
    if (records.isEmpty()) {
      return List.of();
    }
    nextVersion += records.size();
    lastVersion.set(nextVersion - 1);
    for (ModelVersion r : records) {
      LOG.info(
          "Published version {} ({}, {} classes, {} base, {} bytes) in {} ms (encoding {} ms)",
          r.getVersion(),
          r.getOrigin(),
          r.getClasses().size(),
          r.getBaseClasses(),
          ModelVersions.parameterBytes(r),
          (System.nanoTime() - start) / 1_000_000,
          (encoded - encodeStart) / 1_000_000);
    }
    return numbers(records.get(0).getVersion(), records.size());
  }

  private static List<Long> numbers(long first, int count) {
    return LongStream.range(first, first + count).boxed().toList();
  }

  private List<ModelVersion> checkedRecords(List<VersionDraft> drafts, long first) {
    List<ModelVersion> records = new ArrayList<>();
    for (VersionDraft draft : drafts) {
      ModelVersion record =
          ModelVersions.toRecord(
              draft.model(),
              first + records.size(),
              Instant.now(),
              config.clipModelId(),
              draft.origin(),
              draft.books(),
              draft.metrics());
      try {
        ModelVersions.checkSize(record, config.modelMaxBytes());
      } catch (RuntimeException e) {
        throw new PublishFailedException(e.getMessage(), e, false);
      }
      records.add(record);
    }
    return records;
  }

  /**
   * Sends the versions and the store's changes in one transaction and commits it. It stops at the
   * first send that failed at once: the producer reports a metadata timeout ({@code max.block.ms},
   * the broker unreachable) in the send's future, not by throwing, and each of a store's hundreds
   * of records would wait that long again.
   */
  private void send(List<ModelVersion> records, List<StoreCheckpoint.Change> store) {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    String models = topics.models().name();
    String trainingStore = topics.trainingStore().name();
    String history = topics.modelHistory().name();
    try {
      producer.beginTransaction();
      for (ModelVersion r : records) {
        // one record, or its chunks then its manifest (VersionChunks); on the uncompacted history
        // too, committed with the models topic's or not at all
        for (VersionChunks.Keyed k :
            VersionChunks.split(config.modelName(), r, config.modelChunkBytes())) {
          byte[] value = topics.models().valueSerde().serializer().serialize(models, k.value());
          throwIfFailed(sent, producer.send(new ProducerRecord<>(models, k.key(), value)));
          byte[] kept =
              topics.modelHistory().valueSerde().serializer().serialize(history, k.value());
          throwIfFailed(sent, producer.send(new ProducerRecord<>(history, k.key(), kept)));
        }
      }
      for (StoreCheckpoint.Change c : store) {
        byte[] value =
            topics.trainingStore().valueSerde().serializer().serialize(trainingStore, c.entry());
        throwIfFailed(sent, producer.send(new ProducerRecord<>(trainingStore, c.key(), value)));
      }
      producer.commitTransaction();
    } catch (RuntimeException e) {
      throw failed(records, store.size(), sendError(sent, e));
    }
  }

  /**
   * Adds a send's future to {@code sent}; throws when it already failed ({@link #sendError} finds
   * its error).
   */
  private static void throwIfFailed(
      List<Future<RecordMetadata>> sent, Future<RecordMetadata> send) {
    sent.add(send);
    if (send.isDone()) {
      try {
        send.get();
      } catch (ExecutionException e) {
        throw new KafkaException("a send failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KafkaException("interrupted", e);
      }
    }
  }

  /** A send's own error when one failed (the commit's only says that the transaction did). */
  private static Throwable sendError(
      List<Future<RecordMetadata>> sent, RuntimeException commitError) {
    for (Future<RecordMetadata> f : sent) {
      if (f.isDone()) {
        try {
          f.get();
        } catch (ExecutionException e) {
          return e.getCause();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    return commitError;
  }

  /** Discards the producer and says what went wrong. */
  private RuntimeException failed(List<ModelVersion> records, int storeChanges, Throwable error) {
    discardProducer();
    if (isFenced(error)) {
      return new FencedException(
          "another trainer initialised transactional.id '"
              + config.transactionalId()
              + "' of model '"
              + config.modelName()
              + "' and publishes its versions now; this one stops (run one"
              + " trainer per model: with compose, the cpu or the gpu profile, not both)",
          error);
    }
    boolean tooLarge = error instanceof RecordTooLargeException;
    if (records.isEmpty()) {
      return new PublishFailedException(
          "Writing "
              + storeChanges
              + " changes of the training store to "
              + topics.trainingStore().name()
              + " failed: "
              + error.getMessage(),
          error,
          !tooLarge);
    }
    ModelVersion last = records.get(records.size() - 1);
    unconfirmed = new Unconfirmed(last.getVersion(), last.getChecksum());
    long first = records.get(0).getVersion();
    int bytes = records.stream().mapToInt(ModelVersions::parameterBytes).sum();
    return new PublishFailedException(
        "Publishing version "
            + first
            + (records.size() > 1 ? " to " + last.getVersion() : "")
            + " ("
            + bytes
            + " bytes) to "
            + topics.models().name()
            + " failed: "
            + error.getMessage()
            + hint(error),
        error,
        !tooLarge);
  }

  private static boolean isFenced(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
        return true;
      }
    }
    return false;
  }

  private void initProducer() {
    KafkaProducer<String, byte[]> created =
        new KafkaProducer<>(
            producerSettings(config), new StringSerializer(), new ByteArraySerializer());
    try {
      // fences every older producer of this transactional.id and completes its open transaction
      created.initTransactions();
    } catch (RuntimeException e) {
      created.close(Duration.ZERO);
      throw e;
    }
    if (closed) {
      created.close(Duration.ZERO);
      throw new IllegalStateException("the version log is closed");
    }
    producer = created;
  }

  /**
   * A new producer after a failure, then the counter read again: it is read after fencing, always.
   */
  private void reopen() {
    try {
      initProducer();
    } catch (RuntimeException e) {
      throw new PublishFailedException(
          "Publishing version "
              + nextVersion
              + " failed: a new transactional"
              + " producer could not be initialised: "
              + e.getMessage()
              + "; is the broker reachable"
              + " (bootstrap.servers)?",
          e,
          true);
    }
    ModelVersion latest;
    try {
      latest = readLatest();
    } catch (RuntimeException e) {
      discardProducer();
      throw new PublishFailedException(
          "Publishing version "
              + nextVersion
              + " failed: the version counter"
              + " could not be read from "
              + topics.models().name()
              + ": "
              + e.getMessage()
              + "; is the broker"
              + " reachable (bootstrap.servers)?",
          e,
          true);
    }
    long max = latest == null ? -1 : latest.getVersion();
    if (max >= nextVersion) {
      LOG.warn(
          "The models topic holds version {}, past this trainer's {}: versions continue at {}",
          max,
          nextVersion - 1,
          max + 1);
      nextVersion = max + 1;
      lastVersion.set(max);
    }
    if (unconfirmed != null
        && (latest == null
            || latest.getVersion() != unconfirmed.version()
            || !latest.getChecksum().equals(unconfirmed.checksum()))) {
      unconfirmed = null;
    }
  }

  /** The unconfirmed version, when the topic holds it and it is this record's model; consumed. */
  private Unconfirmed takeConfirmed(ModelVersion record) {
    Unconfirmed u = unconfirmed;
    unconfirmed = null;
    return u != null && u.checksum().equals(record.getChecksum()) ? u : null;
  }

  private void discardProducer() {
    KafkaProducer<String, byte[]> p = producer;
    producer = null;
    if (p != null) {
      p.close(Duration.ZERO);
    }
  }

  /** What to change when the broker refused a version, where known. */
  static String hint(Throwable cause) {
    if (cause instanceof RecordTooLargeException) {
      return "; the models topic's or the models' history topic's max.message.bytes (or the broker's"
          + " message.max.bytes) is below one record of the version: lower model.chunk.bytes (its"
          + " default fits Kafka's 1 MiB default) or raise max.message.bytes";
    }
    return "";
  }

  /**
   * When the models topic grew beyond the trainer's own commits (say {@code candle models
   * rollback}, which republishes an older version under the next number), continues the version
   * sequence after the highest version on it, so that the trainer's next version is newer than the
   * rollback's and the scorers serve it. A failure to look is logged: the publish goes on.
   */
  private void skipVersionsOfOtherWriters() {
    if (ends == null) {
      return;
    }
    try {
      Map<TopicPartition, Long> now = ends.endOffsets(modelPartitions, Duration.ofSeconds(10));
      boolean grew =
          now.entrySet().stream()
              .anyMatch(e -> e.getValue() > knownEnds.getOrDefault(e.getKey(), 0L));
      if (!grew) {
        return;
      }
      long highest = highestVersionBetween(knownEnds, now);
      if (highest >= nextVersion) {
        LOG.info(
            "Version {} of model '{}' was published by another writer (e.g. candle models rollback);"
                + " versions continue at {}",
            highest,
            config.modelName(),
            highest + 1);
        nextVersion = highest + 1;
      }
      knownEnds.putAll(now);
    } catch (RuntimeException e) {
      LOG.warn(
          "Could not check the models topic for other writers' versions ({}); publishing version {}",
          e.toString(),
          nextVersion);
    }
  }

  /**
   * The highest version number of this model among the committed records between two sets of
   * offsets, -1 when none: what others appended since the trainer's last look. Only one-record
   * versions and manifests are read for their numbers (a chunk is never needed here); often the
   * only record there is the marker of the trainer's own last commit, which the end offsets read
   * just after the commit may not include yet. Runs on {@link #ends}.
   */
  private long highestVersionBetween(Map<TopicPartition, Long> from, Map<TopicPartition, Long> to) {
    long highest = -1;
    ends.assign(modelPartitions);
    for (TopicPartition p : modelPartitions) {
      ends.seek(p, from.getOrDefault(p, 0L));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (modelPartitions.stream().anyMatch(p -> ends.position(p) < to.get(p))) {
      if (System.nanoTime() > deadline) {
        throw new KafkaException("the models topic could not be read to " + to + " in 30 s");
      }
      for (ConsumerRecord<String, byte[]> r : ends.poll(POLL)) {
        ModelVersion v = decode(r);
        if (v != null && !VersionChunks.isChunk(v)) {
          highest = Math.max(highest, v.getVersion());
        }
      }
    }
    ends.unsubscribe();
    return highest;
  }

  /**
   * The models topic's end offsets after the trainer's own commit (transaction markers included
   * where the broker has written them by then).
   */
  private void rememberEnds() {
    if (ends == null) {
      return;
    }
    try {
      knownEnds.putAll(ends.endOffsets(modelPartitions, Duration.ofSeconds(10)));
    } catch (RuntimeException e) {
      LOG.debug("Could not read the models topic's end offsets after a publish: {}", e.toString());
    }
  }

  /** The highest version of this model on the models topic, read to its end; null when none. */
  private ModelVersion readLatest() {
    ModelVersion latest = null;
    try (KafkaConsumer<String, byte[]> models =
        new KafkaConsumer<>(
            consumerSettings(config), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = partitions(models, topics.models().name());
      models.assign(parts);
      models.seekToBeginning(parts);
      Map<TopicPartition, Long> end = models.endOffsets(parts);
      VersionAssembler chunks = new VersionAssembler(2L * config.modelMaxBytes());
      while (parts.stream().anyMatch(p -> models.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> r : models.poll(POLL)) {
          ModelVersion v = assembled(chunks, decode(r), r);
          if (v != null && v.getVersion() > (latest == null ? -1 : latest.getVersion())) {
            latest = v;
          }
        }
      }
    }
    return latest;
  }

  /**
   * This model's entries of the training-store topic, read to its end ({@code read_committed}):
   * each key's latest; a deleted key is absent, an undecodable entry skipped.
   */
  private Map<String, TrainingStoreEntry> readTrainingStore() {
    String prefix = StoreCheckpoint.prefix(config.modelName());
    Map<String, TrainingStoreEntry> entries = new LinkedHashMap<>();
    try (KafkaConsumer<String, byte[]> store =
        new KafkaConsumer<>(
            consumerSettings(config), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = partitions(store, topics.trainingStore().name());
      store.assign(parts);
      store.seekToBeginning(parts);
      Map<TopicPartition, Long> end = store.endOffsets(parts);
      while (parts.stream().anyMatch(p -> store.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> r : store.poll(POLL)) {
          if (r.key() != null && r.key().startsWith(prefix)) {
            apply(entries, r);
          }
        }
      }
    }
    return entries;
  }

  private void apply(Map<String, TrainingStoreEntry> entries, ConsumerRecord<String, byte[]> r) {
    if (r.value() == null) {
      entries.remove(r.key());
      return;
    }
    try {
      entries.put(
          r.key(),
          topics.trainingStore().valueSerde().deserializer().deserialize(r.topic(), r.value()));
    } catch (RuntimeException e) {
      LOG.warn(
          "Skipping an undecodable record at {}-{}@{} of the training store: {}",
          r.topic(),
          r.partition(),
          r.offset(),
          e.getMessage());
    }
  }

  /**
   * The whole version a record completes (itself when it is one), or null: a chunk, a record of
   * another model, or a manifest whose chunks are incomplete (logged, skipped).
   */
  private static ModelVersion assembled(
      VersionAssembler chunks, ModelVersion record, ConsumerRecord<String, byte[]> r) {
    if (record == null) {
      return null;
    }
    try {
      return chunks.offer(record);
    } catch (ModelFormatException e) {
      LOG.warn(
          "Skipping version {} at {}-{}@{} of the models topic: {}",
          record.getVersion(),
          r.topic(),
          r.partition(),
          r.offset(),
          e.getMessage());
      return null;
    }
  }

  /**
   * A version of this model, or null for another model's record, a tombstone or an undecodable one.
   */
  private ModelVersion decode(ConsumerRecord<String, byte[]> r) {
    if (!VersionChunks.isKeyOf(config.modelName(), r.key()) || r.value() == null) {
      return null;
    }
    try {
      return topics.models().valueSerde().deserializer().deserialize(r.topic(), r.value());
    } catch (RuntimeException e) {
      LOG.warn(
          "Skipping an undecodable record at {}-{}@{} of the models topic: {}",
          r.topic(),
          r.partition(),
          r.offset(),
          e.getMessage());
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
    closed = true;
    KafkaProducer<String, byte[]> p = producer;
    if (p != null) {
      p.close(Duration.ofSeconds(10));
    }
    synchronized (this) {
      if (ends != null) {
        ends.close(Duration.ofSeconds(2));
        ends = null;
      }
    }
  }

  // ---------------------------------------------------------------- settings

  /**
   * The trainer's consumers (inputs, models and training-store topics): sized for a version, {@code
   * read_committed}, no consumer group offsets (every start replays; a position that expired reads
   * from the earliest record), then the {@code kafka.*} overrides.
   */
  static Map<String, Object> consumerSettings(TrainerConfig config) {
    Map<String, Object> p = new HashMap<>(ModelVersions.consumerConfig());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    p.putAll(config.kafkaOverrides());
    return p;
  }

  /**
   * The versions' producer: sized for a version, idempotent, {@code acks=all}, then the overrides;
   * transactional with {@code transactional.id} (a {@code kafka.transactional.id} does not replace
   * it: the id is what fences a second trainer).
   */
  static Map<String, Object> producerSettings(TrainerConfig config) {
    Map<String, Object> p = new HashMap<>(ModelVersions.producerConfig(config.modelChunkBytes()));
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.putAll(config.kafkaOverrides());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
    return p;
  }

  /** A topic's partitions; a missing topic is an error that says how to create it. */
  static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException(
          "Topic "
              + topic
              + " does not exist; the services do not"
              + " create topics: create them first (docs/design.md, 'Topics'; TopicSpecs)");
    }
    return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
  }
}
