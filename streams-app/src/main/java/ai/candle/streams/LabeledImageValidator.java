package ai.candle.streams;

import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.Topic;
import java.nio.ByteBuffer;
import java.util.ArrayList;
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
final class LabeledImageValidator
    implements Processor<byte[], byte[], String, Outcome<FeatureRecord>> {

  static final String NO_ENCODER = "no image encoder configured";

  private final IngestConfig config;
  private final Topic<String, LabeledImage> source;
  private final Optional<ImageEncoder> encoder;
  private final DeadLetters deadLetters;
  private ProcessorContext<String, Outcome<FeatureRecord>> context;

  LabeledImageValidator(IngestConfig config, Topic<String, LabeledImage> source,
      Optional<ImageEncoder> encoder, DeadLetters deadLetters) {
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
      Outcome<FeatureRecord> rejected = new Outcome.Rejected<>(record.key(),
          deadLetters.reject(Origin.of(context, record), e));
      context.forward(record.withKey((String) null).withValue(rejected));
    }
  }

  private FeatureRecord validate(byte[] key, byte[] value) throws InvalidRecordException {
    Checks.size(key, Checks.present(value, "LabeledImage"), config.maxRecordBytes(),
        "record.max.bytes");
    LabeledImage image = parse(value);
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
    exactlyOneSource(image);
    if (image.getFeature() != null) {
      Checks.feature("feature", image.getFeature(), config.featureWidth());
      return image.getFeature();
    }
    ImageEncoder imageEncoder = encoder.orElseThrow(
        () -> new InvalidRecordException(RejectReason.NO_ENCODER, NO_ENCODER));
    try {
      float[] encoded = image.getImageBytes() != null
          ? imageEncoder.encode(bytes(image.getImageBytes()))
          : imageEncoder.encodeUri(image.getImageUri());
      return Checks.encoderOutput("image encoder", encoded, config.featureWidth());
    } catch (ImageDecodeException e) {
      throw new InvalidRecordException(RejectReason.IMAGE_DECODE,
          "image does not decode: " + e.getMessage(), e);
    }
  }

  private static void exactlyOneSource(LabeledImage image) throws InvalidRecordException {
    List<String> set = new ArrayList<>();
    if (image.getImageBytes() != null) {
      set.add("imageBytes");
    }
    if (image.getImageUri() != null) {
      set.add("imageUri");
    }
    if (image.getFeature() != null) {
      set.add("feature");
    }
    if (set.size() != 1) {
      throw new InvalidRecordException(RejectReason.IMAGE_FEATURE_CHOICE,
          (set.isEmpty() ? "neither an image (imageBytes or imageUri) nor a feature is set"
              : String.join(" and ", set) + " are all set")
              + "; exactly one of imageBytes, imageUri, feature is required");
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
