package ai.candle.cli.ops;

import ai.candle.core.io.ModelCodec;
import ai.candle.core.io.ModelFormatException;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.VersionAssembler;
import ai.candle.schemas.VersionChunks;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A model version as {@code candle models} reports it: where it lies on the models topic and what
 * it holds, without its parameters.
 *
 * @param model the record key (the model's name)
 * @param version its version number
 * @param origin FIT, EXTEND or INITIAL
 * @param classes how many classes it scores
 * @param baseClasses how many of them are base (have images); -1 when the version does not say
 * @param createdAt when the trainer made it (ISO-8601)
 * @param recordBytes the record's value on the topic, in bytes (a chunked version's: its manifest
 *     and its parameters)
 * @param parameterBytes of which the compressed parameters
 * @param weights the score's weights: text, prior, head, base_offset (from its hyper-parameters)
 * @param holdoutMetrics the trainer's holdout evaluation and weight selection, by name
 * @param clipModelId the CLIP that made the features it was fitted on
 * @param featureWidth D
 * @param partition the record's partition
 * @param offset the record's offset
 */
record ModelEntry(
    String model,
    long version,
    String origin,
    int classes,
    int baseClasses,
    String createdAt,
    long recordBytes,
    long parameterBytes,
    Map<String, Double> weights,
    Map<String, Double> holdoutMetrics,
    String clipModelId,
    int featureWidth,
    int partition,
    long offset) {

  private static final Map<String, String> WEIGHTS =
      Map.of(
          "weights.text",
          "text",
          "weights.prior",
          "prior",
          "weights.head",
          "head",
          "weights.baseOffset",
          "base_offset");

  /**
   * A whole version read off the topic, decoded: its record (the manifest of a chunked one) and the
   * bytes of its records' values (for a chunked one, the manifest's and its parameters).
   */
  record Found(ConsumerRecord<byte[], byte[]> record, ModelVersion version, long bytes) {
    Found(ConsumerRecord<byte[], byte[]> record, ModelVersion version) {
      this(record, version, record.value().length);
    }

    String model() {
      return record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
    }

    ModelEntry entry() {
      return of(this);
    }
  }

  /**
   * Reads every version on the models topic, oldest first, chunked ones joined ({@link
   * VersionAssembler}, one per model); records that are not model versions, and chunked versions
   * that are incomplete, go to {@code unreadable} with what is wrong with them.
   */
  static void read(
      KafkaOptions kafka,
      String topic,
      Duration timeout,
      Consumer<Found> found,
      Consumer<String> unreadable) {
    var serde = kafka.topics().models().valueSerde().deserializer();
    Map<String, VersionAssembler> chunks = new HashMap<>();
    TopicSnapshot.read(
        kafka.clientConfig(),
        ModelVersions.consumerConfig(),
        topic,
        timeout,
        r -> {
          if (r.value() == null) {
            return;
          }
          String where = r.topic() + "-" + r.partition() + "@" + r.offset();
          ModelVersion v;
          try {
            v = serde.deserialize(topic, r.value());
          } catch (SerializationException e) {
            unreadable.accept(where + ": not a model version (" + e.getMessage() + ")");
            return;
          }
          String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
          try {
            String model = VersionChunks.modelOf(key, v);
            ModelVersion whole =
                chunks
                    .computeIfAbsent(
                        model, m -> new VersionAssembler(ModelVersions.DEFAULT_MAX_BYTES))
                    .offer(v);
            if (whole != null) {
              long bytes =
                  r.value().length + (whole == v ? 0 : ModelVersions.parameterBytes(whole));
              found.accept(new Found(r, whole, bytes));
            }
          } catch (ModelFormatException e) {
            unreadable.accept(where + ": " + e.getMessage());
          }
        });
  }

  static ModelEntry of(Found f) {
    ModelVersion v = f.version();
    ConsumerRecord<byte[], byte[]> r = f.record();
    return new ModelEntry(
        f.model(),
        v.getVersion(),
        v.getOrigin(),
        v.getClasses().size(),
        v.getBaseClasses(),
        v.getCreatedAt().toString(),
        f.bytes(),
        ModelVersions.parameterBytes(v),
        weights(v),
        new TreeMap<>(v.getHoldoutMetrics()),
        v.getClipModelId(),
        v.getFeatureWidth(),
        r.partition(),
        r.offset());
  }

  /** The score's weights as the version's hyper-parameters record them; absent ones left out. */
  static Map<String, Double> weights(ModelVersion v) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String key :
        List.of("weights.text", "weights.prior", "weights.head", "weights.baseOffset")) {
      String text = v.getHyperParameters().get(key);
      if (text != null) {
        try {
          out.put(WEIGHTS.get(key), Double.parseDouble(text));
        } catch (NumberFormatException e) {
          // a version written by something else: leave the weight out
        }
      }
    }
    return out;
  }

  /** Whether the parameters hash to the version's checksum (the scorers' first check). */
  static boolean checksumMatches(ModelVersion v) {
    ByteBuffer b = v.getParameters().duplicate();
    byte[] blob = new byte[b.remaining()];
    b.get(blob);
    return ModelCodec.checksum(blob).equals(v.getChecksum());
  }

  /**
   * A per-class row of a version.
   *
   * @param base whether the class is base (has images), null when the version does not say
   * @param count the prior count its fit used
   */
  record ClassRow(int index, String name, Boolean base, long count, long seen, long heldOut) {}

  /** The version's classes in model order (base classes first). */
  static List<ClassRow> classes(ModelVersion v) {
    List<ModelClass> cs = v.getClasses();
    int base = v.getBaseClasses();
    return java.util.stream.IntStream.range(0, cs.size())
        .mapToObj(
            j ->
                new ClassRow(
                    cs.get(j).getIndex(),
                    cs.get(j).getName(),
                    base < 0 ? null : j < base,
                    cs.get(j).getCount(),
                    cs.get(j).getSeen(),
                    cs.get(j).getHeldOut()))
        .toList();
  }
}
