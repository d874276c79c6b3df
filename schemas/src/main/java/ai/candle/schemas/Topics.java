package ai.candle.schemas;

import java.util.List;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic of candle-stream, each described once (see docs/design.md, "Topics").
 *
 * <p>Keys are UTF-8 strings (image id, class name, model name, a training-store entry's identity)
 * except on the dead-letter topic, whose key is the rejected record's original key bytes. Values
 * are Avro in the wire format of a {@link SerdeConfig} (single-object encoding by default), except
 * the class counts: a Kafka long.
 */
public record Topics(
    Topic<String, LabeledImage> labeledImages,
    Topic<String, ImageToScore> unlabeledImages,
    Topic<String, ClassAnnouncement> classAnnouncements,
    Topic<String, ClassInfo> classes,
    Topic<String, Long> classCounts,
    Topic<String, FeatureRecord> features,
    Topic<String, ModelVersion> models,
    Topic<String, Prediction> predictions,
    Topic<byte[], DeadLetter> deadLetter,
    Topic<String, TrainingStoreEntry> trainingStore,
    Topic<String, ModelVersion> modelHistory) {

  /** The topics with the default names. */
  public static Topics defaults() {
    return of(TopicNames.defaults());
  }

  /** The topics with the given names, in single-object encoding. */
  public static Topics of(TopicNames names) {
    return of(names, SerdeConfig.singleObject());
  }

  /**
   * The topics with the given names, their values written in {@code serde}'s wire format; with a
   * registry URL, values in either format are read.
   */
  public static Topics of(TopicNames names, SerdeConfig serde) {
    Objects.requireNonNull(names, "names");
    Objects.requireNonNull(serde, "serde");
    SchemaRegistryClient registry = serde.registryUrl().map(SchemaRegistryClient::new).orElse(null);
    Values values = new Values(registry, serde.writes());
    return new Topics(
        new Topic<>(names.labeledImages(), Serdes.String(), values.of(LabeledImage.class)),
        new Topic<>(names.unlabeledImages(), Serdes.String(), values.of(ImageToScore.class)),
        new Topic<>(
            names.classAnnouncements(), Serdes.String(), values.of(ClassAnnouncement.class)),
        new Topic<>(names.classes(), Serdes.String(), values.of(ClassInfo.class)),
        new Topic<>(names.classCounts(), Serdes.String(), Serdes.Long()),
        new Topic<>(names.features(), Serdes.String(), values.of(FeatureRecord.class)),
        new Topic<>(names.models(), Serdes.String(), values.of(ModelVersion.class)),
        new Topic<>(names.predictions(), Serdes.String(), values.of(Prediction.class)),
        new Topic<>(names.deadLetter(), Serdes.ByteArray(), values.of(DeadLetter.class)),
        new Topic<>(names.trainingStore(), Serdes.String(), values.of(TrainingStoreEntry.class)),
        new Topic<>(names.modelHistory(), Serdes.String(), values.of(ModelVersion.class)));
  }

  /** Every topic, in declaration order. */
  public List<Topic<?, ?>> all() {
    return List.of(
        labeledImages,
        unlabeledImages,
        classAnnouncements,
        classes,
        classCounts,
        features,
        models,
        predictions,
        deadLetter,
        trainingStore,
        modelHistory);
  }

  /**
   * In the registry wire format, registers every Avro value schema under its topic's subject now,
   * so that a registry that is down or refuses a schema stops a service at start, not at its first
   * record; in single-object encoding, does nothing.
   *
   * @throws org.apache.kafka.common.errors.SerializationException when the registry refuses a
   *     schema
   * @throws RegistryUnavailableException when it does not answer
   */
  public void registerSchemas() {
    for (Topic<?, ?> topic : all()) {
      if (topic.valueSerde() instanceof RegistrySerde<?> serde && serde.writesRegistry()) {
        serde.register(topic.name());
      }
    }
  }

  private record Values(SchemaRegistryClient registry, WireFormat writes) {
    <T extends SpecificRecord> Serde<T> of(Class<T> type) {
      return registry == null ? AvroSerde.of(type) : RegistrySerde.of(type, registry, writes);
    }
  }
}
