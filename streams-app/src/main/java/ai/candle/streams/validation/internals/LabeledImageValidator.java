package ai.candle.streams.validation.internals;

import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.Topic;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.encode.ImageEncoder;
import ai.candle.streams.validation.RejectReason;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Parses and validates a raw labelled image; forwards a FeatureRecord keyed by class name, or a
 * dead letter with the original bytes.
 */
public final class LabeledImageValidator
    implements Processor<byte[], byte[], String, Outcome<FeatureRecord>> {

  static final String NO_ENCODER = ImageFeatures.NO_ENCODER;

  private final IngestConfig config;
  private final Topic<String, LabeledImage> source;
  private final Optional<ImageEncoder> encoder;
  private final DeadLetters deadLetters;
  private ProcessorContext<String, Outcome<FeatureRecord>> context;

  public LabeledImageValidator(
      IngestConfig config,
      Topic<String, LabeledImage> source,
      Optional<ImageEncoder> encoder,
      DeadLetters deadLetters) {
    this.config = config;
    this.source = source;
    this.encoder = encoder;
    this.deadLetters = deadLetters;
  }

  @Override
  public void init(ProcessorContext<String, Outcome<FeatureRecord>> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    try {
      FeatureRecord valid = validate(record.key(), record.value());
      context.forward(record.withKey(valid.getClassName()).withValue(new Outcome.Valid<>(valid)));
    } catch (InvalidRecordException e) {
      Outcome<FeatureRecord> rejected = deadLetters.rejected(Origin.of(context, record), e);
      context.forward(record.withKey((String) null).withValue(rejected));
    }
  }

  private FeatureRecord validate(byte[] key, byte[] value) throws InvalidRecordException {
    Checks.size(
        key, Checks.present(value, "LabeledImage"), config.maxRecordBytes(), "record.max.bytes");
    LabeledImage image = parse(value);
    Checks.id(image.getId(), config.maxIdLength());
    Checks.name("label", image.getLabel(), config.maxLabelLength());
    List<Float> feature = feature(image);
    return FeatureRecord.newBuilder()
        .setImageId(image.getId())
        .setClassName(image.getLabel())
        .setFeature(feature)
        .setEventTime(image.getEventTime())
        .setSource(image.getSource())
        .build();
  }

  private LabeledImage parse(byte[] value) throws InvalidRecordException {
    try {
      return source.valueSerde().deserializer().deserialize(source.name(), value);
    } catch (SerializationException e) {
      throw new InvalidRecordException(RejectReason.NOT_SCHEMA, e.getMessage(), e);
    }
  }

  /** The given feature as it is, or the encoded image. */
  private List<Float> feature(LabeledImage image) throws InvalidRecordException {
    return ImageFeatures.of(
        image.getImageBytes(),
        image.getImageUri(),
        image.getFeature(),
        encoder,
        config.featureWidth());
  }
}
