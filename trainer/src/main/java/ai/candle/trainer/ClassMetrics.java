package ai.candle.trainer;

import ai.candle.core.FrequencyBucket;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the trainer knows about its classes, as bounded metrics for the dashboards:
 *
 * <ul>
 *   <li>{@code candle.trainer.bucket.classes{bucket}}: registered classes per class-frequency
 *       bucket of their image count ({@link FrequencyBucket}: many, medium, few, new), the
 *       class-count distribution;
 *   <li>{@code candle.trainer.bucket.images{bucket}}: the images of those classes (how much of the
 *       stream the head classes take);
 *   <li>{@code candle.class.scorable.latency}: per class, the time from its registration ({@code
 *       firstSeen} of its ClassInfo: the announcement, or its first image) to the publication of
 *       the first version that contains it, i.e. until scorers can predict it. A histogram,
 *       registered at zero so that the first classes count in a rate.
 * </ul>
 *
 * The image count of a class is {@code max(images the store accounted for, live count)}, as for the
 * buckets of the holdout. Gauges are computed at each scrape from {@code counts}.
 */
final class ClassMetrics {

  static final String BUCKET_CLASSES = "candle.trainer.bucket.classes";
  static final String BUCKET_IMAGES = "candle.trainer.bucket.images";
  static final String SCORABLE_LATENCY = "candle.class.scorable.latency";
  static final String BUCKET_TAG = "bucket";

  private final Supplier<Map<String, Long>> counts;
  private final Timer scorable;

  /**
   * @param counts every registered class's image count (0 for an announced class without images)
   */
  ClassMetrics(MeterRegistry meters, Supplier<Map<String, Long>> counts) {
    this.counts = counts;
    for (FrequencyBucket bucket : FrequencyBucket.values()) {
      Gauge.builder(BUCKET_CLASSES, this, m -> m.distribution().get(bucket)[0])
          .description("Registered classes per class-frequency bucket of their image count")
          .tag(BUCKET_TAG, bucket.tag())
          .strongReference(true)
          .register(meters);
      Gauge.builder(BUCKET_IMAGES, this, m -> m.distribution().get(bucket)[1])
          .description("Labelled images of the classes in each class-frequency bucket")
          .tag(BUCKET_TAG, bucket.tag())
          .strongReference(true)
          .register(meters);
    }
    scorable =
        Timer.builder(SCORABLE_LATENCY)
            .description(
                "Time from a class's registration to the publication of the first model"
                    + " version containing it")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(10))
            .maximumExpectedValue(Duration.ofHours(1))
            .register(meters);
  }

  /** Per bucket: {classes, images}. */
  Map<FrequencyBucket, long[]> distribution() {
    Map<FrequencyBucket, long[]> out = new EnumMap<>(FrequencyBucket.class);
    for (FrequencyBucket bucket : FrequencyBucket.values()) {
      out.put(bucket, new long[2]);
    }
    counts
        .get()
        .values()
        .forEach(
            images -> {
              long[] cell = out.get(FrequencyBucket.of(images));
              cell[0]++;
              cell[1] += images;
            });
    return out;
  }

  /**
   * Records that a class registered at {@code firstSeen} became scorable at {@code publishedAt} (a
   * clock behind the registering record's timestamp counts as zero).
   */
  void scorable(Instant firstSeen, Instant publishedAt) {
    Duration latency = Duration.between(firstSeen, publishedAt);
    scorable.record(latency.isNegative() ? Duration.ZERO : latency);
  }
}
