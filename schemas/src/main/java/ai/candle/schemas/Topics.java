package ai.candle.schemas;

import java.util.Objects;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic of candle-stream, each described once (see docs/design.md, "Topics").
 *
 * <p>Keys are UTF-8 strings (image id, class name, model name, a training-store entry's identity)
 * except on the dead-letter topic, whose key is the rejected record's original key bytes.
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
    Topic<String, TrainingStoreEntry> trainingStore) {

  /** The topics with the default names. */
  public static Topics defaults() {
    return of(TopicNames.defaults());
  }

  /** The topics with the given names. */
  public static Topics of(TopicNames names) {
    Objects.requireNonNull(names, "names");
    return new Topics(
        new Topic<>(names.labeledImages(), Serdes.String(), AvroSerde.of(LabeledImage.class)),
        new Topic<>(names.unlabeledImages(), Serdes.String(), AvroSerde.of(ImageToScore.class)),
        new Topic<>(names.classAnnouncements(), Serdes.String(), AvroSerde.of(ClassAnnouncement.class)),
        new Topic<>(names.classes(), Serdes.String(), AvroSerde.of(ClassInfo.class)),
        new Topic<>(names.classCounts(), Serdes.String(), Serdes.Long()),
        new Topic<>(names.features(), Serdes.String(), AvroSerde.of(FeatureRecord.class)),
        new Topic<>(names.models(), Serdes.String(), AvroSerde.of(ModelVersion.class)),
        new Topic<>(names.predictions(), Serdes.String(), AvroSerde.of(Prediction.class)),
        new Topic<>(names.deadLetter(), Serdes.ByteArray(), AvroSerde.of(DeadLetter.class)),
        new Topic<>(names.trainingStore(), Serdes.String(), AvroSerde.of(TrainingStoreEntry.class)));
  }
}
