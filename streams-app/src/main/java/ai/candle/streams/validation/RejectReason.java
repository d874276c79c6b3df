package ai.candle.streams.validation;

/**
 * Why a record was dead-lettered: the bounded {@code reason} tag of the metric {@code
 * candle.dead.letters} and the {@code category} field of a DeadLetter.
 */
public enum RejectReason {
  /** Bytes that are not the topic's schema (or no value at all). */
  NOT_SCHEMA("not_schema"),
  /** Key plus value larger than {@code record.max.bytes}. */
  TOO_LARGE("too_large"),
  /** Label, class name or alias empty, too long, or with control characters. */
  LABEL("label"),
  /**
   * Image id empty, longer than {@code id.max.length}, or with control characters (it becomes a
   * prediction's key and travels in features and predictions).
   */
  ID("id"),
  /** Announcement prompt or template empty, too long, with control characters, or without '{}'. */
  PROMPT("prompt"),
  /** Not exactly one of image bytes, image URI, feature. */
  IMAGE_FEATURE_CHOICE("image_feature_choice"),
  /** Feature width differs from {@code feature.width}. */
  WIDTH("width"),
  /** NaN or infinite feature value. */
  NON_FINITE("non_finite"),
  /** An image arrived but no image encoder is configured. */
  NO_ENCODER("no_encoder"),
  /**
   * The image encoder could not decode the image, or refused it from its header (over {@code
   * encoder.max.pixels} or {@code encoder.max.aspect.ratio}).
   */
  IMAGE_DECODE("image_decode"),
  /**
   * The image encoder did not encode the image within the time a stream thread may wait ({@code
   * encoder.deadline.ms}, the thread's wait budget, a full queue, a stuck encoder).
   */
  ENCODER_BUSY("encoder_busy"),
  /**
   * The image encoder failed on the image or on the batch it ran in (its model threw, or an {@code
   * Error} such as {@code OutOfMemoryError} was thrown), or gave a feature of the wrong width or
   * with a non-finite value: the encoder's failure, not known to be the record's, which is
   * dead-lettered with its original bytes (to be replayed once the encoder is fixed) rather than
   * stopping a stream thread that would meet it again after a restart.
   */
  ENCODER_FAILED("encoder_failed"),
  /**
   * An {@code imageUri} that was not fetched: its scheme or place is not allowed ({@code
   * encoder.uri.schemes}, {@code encoder.uri.file.root}), it is malformed, the server answered
   * other than 2xx, or the fetch took longer than {@code encoder.uri.timeout.ms}. One larger than
   * {@code encoder.uri.max.bytes} is {@link #TOO_LARGE}.
   */
  IMAGE_URI("image_uri"),
  /** An announcement contradicts the registered class. */
  CONFLICT("conflict"),
  /**
   * A label or announcement of a new class while {@code classes.max} classes are registered: the
   * class is not registered (its images' features are not fitted).
   */
  CLASS_LIMIT("class_limit"),
  /**
   * An unlabelled image arrived before any model version was served, with {@code
   * scoring.no-model=dead-letter}.
   */
  NO_MODEL("no_model");

  private final String tag;

  RejectReason(String tag) {
    this.tag = tag;
  }

  /** The metric tag value and DeadLetter category. */
  public String tag() {
    return tag;
  }
}
