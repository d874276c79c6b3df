package ai.candle.schemas;

import ai.candle.core.CandleModel;
import ai.candle.core.HyperParameters;
import ai.candle.core.io.ModelCodec;
import ai.candle.core.io.ModelFormatException;
import ai.candle.core.io.ModelFormatException.Kind;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Turns a fitted {@link CandleModel} into a {@code candle.models} record and back.
 *
 * <h2>Size limits</h2>
 *
 * A version record made here holds the whole parameters blob: at C = 1,000 classes and D = 512
 * about 9 MB, at 10,000 about 41 MB. On the topics it travels in chunks of at most about 1 MB
 * ({@link VersionChunks}, put back together by {@link VersionAssembler}), so the topics, the
 * trainer's producer and every consumer work with Kafka's default record sizes ({@link
 * #topicConfig()}, {@link #producerConfig(int)}, {@link #consumerConfig()}). What remains bounded
 * is the whole version a party builds or accepts, {@code model.max.bytes} ({@link
 * #DEFAULT_MAX_BYTES}): a larger one is refused before it is sent ({@link ModelTooLargeException},
 * which says what to raise).
 */
public final class ModelVersions {

  /**
   * Default limit on one whole model version, in bytes (256 MiB: about 70,000 classes at D = 512).
   */
  public static final int DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

  /** Room for the record's other fields (class list, metrics) beside the parameters blob. */
  static final int RECORD_OVERHEAD_BYTES = 1024 * 1024;

  /** Room for a chunk record's other fields and Kafka's framing beside its slice. */
  static final int CHUNK_OVERHEAD_BYTES = 64 * 1024;

  /** How a version came about. */
  public enum Origin {
    /** A full refit on the training store. */
    FIT,
    /** The serving version with new classes appended as virtual prototypes; no fit. */
    EXTEND,
    /** No fit yet: every class is a virtual prototype from its text feature. */
    INITIAL
  }

  /**
   * Per-class bookkeeping recorded in a version, by class name.
   *
   * @param index the registry's stable index
   * @param seen valid labelled images of the class this version accounted for
   * @param heldOut of those, images in the holdout
   */
  public record ClassBook(int index, long seen, long heldOut) {}

  private ModelVersions() {}

  /**
   * The record of a model version.
   *
   * @param model the model; its class counts are the priors the fit used
   * @param version the version number
   * @param createdAt when the version was made
   * @param clipModelId which CLIP produced the features (e.g. {@code ViT-B/32})
   * @param origin how the version came about
   * @param books per class name: registry index, seen and held-out counts (classes absent get index
   *     -1 and zeros)
   * @param holdoutMetrics holdout accuracies, by metric name
   */
  public static ModelVersion toRecord(
      CandleModel model,
      long version,
      Instant createdAt,
      String clipModelId,
      Origin origin,
      Map<String, ClassBook> books,
      Map<String, Double> holdoutMetrics) {
    byte[] blob = ModelCodec.encode(model);
    List<ModelClass> classes = new ArrayList<>(model.numClasses());
    for (int j = 0; j < model.numClasses(); j++) {
      String name = model.classNames().get(j);
      ClassBook book = books.getOrDefault(name, new ClassBook(-1, 0, 0));
      classes.add(
          new ModelClass(
              name, book.index(), (long) model.classCounts()[j], book.seen(), book.heldOut()));
    }
    return ModelVersion.newBuilder()
        .setVersion(version)
        .setCreatedAt(createdAt)
        .setClipModelId(clipModelId)
        .setFeatureWidth(model.dim())
        .setClasses(classes)
        .setBaseClasses(model.baseClasses())
        .setOrigin(origin.name())
        .setHyperParameters(hyperParameters(model.hyper(), model.weights()))
        .setParameters(ByteBuffer.wrap(blob))
        .setChecksum(ModelCodec.checksum(blob))
        .setHoldoutMetrics(new LinkedHashMap<>(holdoutMetrics))
        .setChunk(null)
        .build();
  }

  /**
   * The model of a whole record ({@link VersionAssembler} joins a chunked one), checked: not a
   * chunk or manifest, the checksum matches the parameters, the feature width is the expected one
   * and the class list agrees with the model.
   *
   * @throws ModelFormatException with a message that says what is wrong
   */
  public static CandleModel fromRecord(ModelVersion record, int expectedWidth) {
    Objects.requireNonNull(record, "record");
    if (record.getChunk() != null) {
      throw new ModelFormatException(
          Kind.CHUNKED,
          "version "
              + record.getVersion()
              + " is a chunk or a manifest; join its chunks with VersionAssembler first");
    }
    if (record.getFeatureWidth() != expectedWidth) {
      throw new ModelFormatException(
          Kind.WIDTH,
          "version "
              + record.getVersion()
              + " has feature width "
              + record.getFeatureWidth()
              + " but this service is configured for "
              + expectedWidth
              + " (feature.width); it was fitted on features of another CLIP model ("
              + record.getClipModelId()
              + ")");
    }
    byte[] blob = bytes(record.getParameters());
    String actual = ModelCodec.checksum(blob);
    if (!actual.equals(record.getChecksum())) {
      throw new ModelFormatException(
          Kind.CHECKSUM,
          "version "
              + record.getVersion()
              + ": checksum mismatch (record says "
              + record.getChecksum()
              + ", parameters hash to "
              + actual
              + "); the record was altered after it was written");
    }
    CandleModel model = ModelCodec.decode(blob);
    if (model.dim() != expectedWidth) {
      throw new ModelFormatException(
          Kind.INCONSISTENT,
          "version "
              + record.getVersion()
              + ": parameters have width "
              + model.dim()
              + " but the record says "
              + record.getFeatureWidth());
    }
    List<String> listed = record.getClasses().stream().map(ModelClass::getName).toList();
    if (!listed.equals(model.classNames())) {
      throw new ModelFormatException(
          Kind.INCONSISTENT,
          "version "
              + record.getVersion()
              + ": the record's class list differs from the model's ("
              + listed.size()
              + " vs "
              + model.numClasses()
              + " classes)");
    }
    return model;
  }

  /** Size of a record's parameters blob. */
  public static int parameterBytes(ModelVersion record) {
    return record.getParameters().remaining();
  }

  /**
   * Refuses a record whose parameters would exceed {@code maxBytes} once serialized.
   *
   * @throws ModelTooLargeException naming the size, the limit and the settings to raise
   */
  public static void checkSize(ModelVersion record, int maxBytes) {
    long size = (long) parameterBytes(record) + RECORD_OVERHEAD_BYTES;
    if (size > maxBytes) {
      throw new ModelTooLargeException(
          "model version "
              + record.getVersion()
              + " with "
              + record.getClasses().size()
              + " classes at width "
              + record.getFeatureWidth()
              + " needs about "
              + size
              + " bytes, over the limit of "
              + maxBytes
              + " bytes; raise"
              + " model.max.bytes on the trainer and the scorers together");
    }
  }

  /**
   * Topic configs of the models topic: compacted; records at the broker's default size limit, since
   * versions travel in chunks.
   */
  public static Map<String, String> topicConfig() {
    return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
  }

  /**
   * Settings of the models' history topic: every version kept ({@code cleanup.policy=delete},
   * {@code retention.ms=-1}), in chunks as on the models topic.
   */
  public static Map<String, String> historyTopicConfig() {
    return Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG,
        TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.RETENTION_MS_CONFIG,
        "-1");
  }

  /**
   * Producer settings for publishing versions in chunks of up to {@code chunkBytes}: requests large
   * enough for one chunk record, no compression (the blob is compressed already).
   */
  public static Map<String, Object> producerConfig(int chunkBytes) {
    return Map.of(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        Math.max(1024 * 1024, chunkBytes + CHUNK_OVERHEAD_BYTES),
        ProducerConfig.BUFFER_MEMORY_CONFIG,
        64L * 1024 * 1024,
        ProducerConfig.COMPRESSION_TYPE_CONFIG,
        "none");
  }

  /**
   * Consumer settings for reading the models topics: 8 MiB per partition and fetch (a few chunks; a
   * larger one-record version written before chunking is still returned whole, as Kafka always
   * returns the first record batch even when it is over the limit).
   */
  public static Map<String, Object> consumerConfig() {
    return Map.of(
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
        8 * 1024 * 1024,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG,
        52_428_800);
  }

  /** The hyper-parameters as name to text, in the record's form. */
  static Map<String, String> hyperParameters(HyperParameters hp, ai.candle.core.ScoreWeights w) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("mode", hp.mode().name());
    m.put("epochs", Integer.toString(hp.epochs()));
    m.put("batchSize", Integer.toString(hp.batchSize()));
    m.put("learningRate", Double.toString(hp.learningRate()));
    m.put("scale", Double.toString(hp.scale()));
    m.put("logitScale", Double.toString(hp.logitScale()));
    m.put("tau", Double.toString(hp.tau()));
    m.put("maxPerClass", Integer.toString(hp.maxPerClass()));
    m.put("sampledAbove", Integer.toString(hp.sampledAbove()));
    m.put("sampledOthers", Integer.toString(hp.sampledOthers()));
    m.put("weights.text", Double.toString(w.textWeight()));
    m.put("weights.prior", Double.toString(w.priorWeight()));
    m.put("weights.head", Double.toString(w.headWeight()));
    m.put("weights.baseOffset", Double.toString(w.baseOffset()));
    m.put("seed", Long.toString(hp.seed()));
    return m;
  }

  /** A copy of the buffer's remaining bytes (its position unchanged). */
  static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
