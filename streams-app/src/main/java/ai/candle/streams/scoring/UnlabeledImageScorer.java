package ai.candle.streams.scoring;

import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.Prediction;
import ai.candle.schemas.Topic;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.config.NoModelPolicy;
import ai.candle.streams.encode.ImageEncoder;
import ai.candle.streams.model.ModelLease;
import ai.candle.streams.validation.RejectReason;
import ai.candle.streams.validation.internals.Checks;
import ai.candle.streams.validation.internals.DeadLetters;
import ai.candle.streams.validation.internals.ImageFeatures;
import ai.candle.streams.validation.internals.InvalidRecordException;
import ai.candle.streams.validation.internals.Origin;
import ai.candle.streams.validation.internals.Outcome;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks and scores one unlabelled image: a Prediction keyed by image id, or a dead letter with the
 * original bytes. The prediction's record timestamp is when it was scored (wall clock); the image's
 * event time is in the value.
 *
 * <p>Versions never go backwards on a partition: the task's store {@value #VERSION_STORE} keeps the
 * newest version it scored with (changelogged, so it moves with the task). A process that takes the
 * task over while it still serves an older version (it loads versions on its own) waits up to
 * {@code scoring.catch-up.ms} for it; if it is still behind then, it scores with what it has, logs
 * it and counts {@code candle.model.behind}.
 */
final class UnlabeledImageScorer implements Processor<byte[], byte[], String, Outcome<Prediction>> {

  static final String VERSION_STORE = "scoring-model-versions";
  static final String NO_MODEL = "no model yet";
  private static final String NEWEST = "newest";
  private static final Logger LOG = LoggerFactory.getLogger(UnlabeledImageScorer.class);

  private final IngestConfig config;
  private final Topic<String, ImageToScore> source;
  private final Optional<ImageEncoder> encoder;
  private final DeadLetters deadLetters;
  private final Scoring scoring;
  private ProcessorContext<String, Outcome<Prediction>> context;
  private KeyValueStore<String, Long> versions;
  private long waitedFor = Long.MIN_VALUE;

  UnlabeledImageScorer(
      IngestConfig config,
      Topic<String, ImageToScore> source,
      Optional<ImageEncoder> encoder,
      DeadLetters deadLetters,
      Scoring scoring) {
    this.config = config;
    this.source = source;
    this.encoder = encoder;
    this.deadLetters = deadLetters;
    this.scoring = scoring;
  }

  @Override
  public void init(ProcessorContext<String, Outcome<Prediction>> context) {
    this.context = context;
    this.versions = context.getStateStore(VERSION_STORE);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    long start = System.nanoTime();
    try {
      ImageToScore image = validate(record.key(), record.value());
      float[] feature =
          ImageFeatures.toArray(
              ImageFeatures.of(
                  image.getImageBytes(),
                  image.getImageUri(),
                  image.getFeature(),
                  encoder,
                  config.featureWidth()));
      Prediction prediction = score(image, feature);
      scoring.metrics().scored(ScoringRole.UNLABELED, start);
      context.forward(
          record
              .withKey(image.getId())
              .withValue((Outcome<Prediction>) new Outcome.Valid<>(prediction))
              .withTimestamp(System.currentTimeMillis()));
    } catch (InvalidRecordException e) {
      Outcome<Prediction> rejected = deadLetters.rejected(Origin.of(context, record), e);
      context.forward(record.withKey((String) null).withValue(rejected));
    }
  }

  private ImageToScore validate(byte[] key, byte[] value) throws InvalidRecordException {
    Checks.size(
        key, Checks.present(value, "ImageToScore"), config.maxRecordBytes(), "record.max.bytes");
    ImageToScore image;
    try {
      image = source.valueSerde().deserializer().deserialize(source.name(), value);
    } catch (SerializationException e) {
      throw new InvalidRecordException(RejectReason.NOT_SCHEMA, e.getMessage(), e);
    }
    Checks.id(image.getId(), config.maxIdLength());
    return image;
  }

  private Prediction score(ImageToScore image, float[] feature) throws InvalidRecordException {
    long newest = newest();
    try (ModelLease lease = leaseNotBehind(newest)) {
      if (lease == null) {
        throw noModel();
      }
      Prediction prediction =
          Predictions.of(
              lease, image.getId(), feature, scoring.config().topK(), image.getEventTime(), null);
      if (lease.version() > newest) {
        versions.put(NEWEST, lease.version());
      }
      return prediction;
    }
  }

  private InvalidRecordException noModel() {
    String model = scoring.config().modelName();
    if (scoring.config().noModel() == NoModelPolicy.DEAD_LETTER) {
      return new InvalidRecordException(
          RejectReason.NO_MODEL,
          NO_MODEL + ": no version of model '" + model + "' serves (scoring.no-model=dead-letter)");
    }
    throw new IllegalStateException(
        "no version of model '"
            + model
            + "' serves, and with"
            + " scoring.no-model=wait the scoring client starts only once one does");
  }

  /** The newest version this task scored with (read per record: an in-memory store lookup). */
  private long newest() {
    Long stored = versions.get(NEWEST);
    return stored == null ? Long.MIN_VALUE : stored;
  }

  /**
   * A lease on the serving version, after waiting (once per task and version) for one not older
   * than {@code newest}.
   */
  private ModelLease leaseNotBehind(long newest) {
    ModelLease lease = scoring.models().lease();
    if (lease == null || lease.version() >= newest) {
      return lease;
    }
    if (waitedFor != newest) {
      waitedFor = newest;
      lease.close();
      try {
        scoring.models().awaitVersion(newest, Duration.ofMillis(scoring.config().catchUpMs()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      lease = scoring.models().lease();
      if (lease != null && lease.version() < newest) {
        LOG.warn(
            "Task {} scored with model version {} before, but this process serves version"
                + " {} after waiting {} ms; scoring with it until a newer one serves",
            context.taskId(),
            newest,
            lease.version(),
            scoring.config().catchUpMs());
      }
    }
    if (lease != null && lease.version() < newest) {
      scoring.metrics().behind();
    }
    return lease;
  }
}
