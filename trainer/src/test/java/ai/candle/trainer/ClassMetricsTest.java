package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The class-count distribution per bucket and the time from registration to scorable. */
class ClassMetricsTest {

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final Map<String, Long> counts = new HashMap<>();
  final ClassMetrics metrics = new ClassMetrics(registry, () -> Map.copyOf(counts));

  double gauge(String name, String bucket) {
    return registry.get(name).tag(ClassMetrics.BUCKET_TAG, bucket).gauge().value();
  }

  @Test
  void classesAndTheirImagesAreCountedPerBucketAtEachScrape() {
    for (String bucket : new String[] {"many", "medium", "few", "new"}) {
      assertEquals(0.0, gauge(ClassMetrics.BUCKET_CLASSES, bucket), bucket + " starts empty");
    }
    counts.putAll(
        Map.of(
            "cat", 500L, "dog", 101L, "fox", 100L, "owl", 20L, "ant", 19L, "bee", 1L, "yak", 0L));
    assertEquals(2.0, gauge(ClassMetrics.BUCKET_CLASSES, "many"));
    assertEquals(601.0, gauge(ClassMetrics.BUCKET_IMAGES, "many"));
    assertEquals(2.0, gauge(ClassMetrics.BUCKET_CLASSES, "medium"));
    assertEquals(120.0, gauge(ClassMetrics.BUCKET_IMAGES, "medium"));
    assertEquals(2.0, gauge(ClassMetrics.BUCKET_CLASSES, "few"));
    assertEquals(20.0, gauge(ClassMetrics.BUCKET_IMAGES, "few"));
    assertEquals(1.0, gauge(ClassMetrics.BUCKET_CLASSES, "new"), "announced, no image yet");
    assertEquals(0.0, gauge(ClassMetrics.BUCKET_IMAGES, "new"));

    counts.put("yak", 3L);
    assertEquals(0.0, gauge(ClassMetrics.BUCKET_CLASSES, "new"), "read again at the next scrape");
    assertEquals(3.0, gauge(ClassMetrics.BUCKET_CLASSES, "few"));
  }

  @Test
  void theScorableLatencyIsFromRegistrationToPublication() {
    Timer timer = registry.get(ClassMetrics.SCORABLE_LATENCY).timer();
    assertEquals(0, timer.count(), "registered at zero");
    Instant announced = Instant.parse("2025-01-01T00:00:00Z");
    metrics.scorable(announced, announced.plusMillis(1500));
    metrics.scorable(announced, announced.plusMillis(500));
    metrics.scorable(announced, announced.minusMillis(200));
    assertEquals(3, timer.count());
    assertEquals(
        2.0, timer.totalTime(TimeUnit.SECONDS), 1e-9, "a clock behind the record counts as 0");
    assertEquals(1.5, timer.max(TimeUnit.SECONDS), 1e-9);
  }
}
