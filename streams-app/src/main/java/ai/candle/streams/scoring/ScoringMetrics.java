package ai.candle.streams.scoring;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Throughput and latency of scoring, tagged by {@code role} ({@link ScoringRole}):
 *
 * <ul>
 *   <li>{@code candle.predictions{role}}: predictions emitted (its rate: predictions per second);
 *   <li>{@code candle.scoring.latency{role}}: time from a record reaching the scoring processor to
 *       its prediction (parsing, checks, the scorer, top-k), with a histogram;
 *   <li>{@code candle.prequential.unscored}: labelled images counted without a prediction because
 *       no model version served yet;
 *   <li>{@code candle.model.behind}: records of a partition that was scored with a newer version
 *       elsewhere (before a rebalance) while this process served an older one.
 * </ul>
 */
final class ScoringMetrics {

  static final String PREDICTIONS = "candle.predictions";
  static final String LATENCY = "candle.scoring.latency";
  static final String UNSCORED = "candle.prequential.unscored";
  static final String BEHIND = "candle.model.behind";
  static final String ROLE_TAG = "role";

  private final Map<ScoringRole, Counter> predictions = new EnumMap<>(ScoringRole.class);
  private final Map<ScoringRole, Timer> latency = new EnumMap<>(ScoringRole.class);
  private final Counter unscored;
  private final Counter behind;

  ScoringMetrics(MeterRegistry registry) {
    for (ScoringRole role : ScoringRole.values()) {
      predictions.put(
          role,
          Counter.builder(PREDICTIONS)
              .description("Predictions emitted, by role")
              .tag(ROLE_TAG, role.tag())
              .register(registry));
      latency.put(
          role,
          Timer.builder(LATENCY)
              .description("Time to check and score one image, by role")
              .tag(ROLE_TAG, role.tag())
              .publishPercentileHistogram()
              .minimumExpectedValue(Duration.ofNanos(50_000))
              .maximumExpectedValue(Duration.ofSeconds(10))
              .register(registry));
    }
    unscored =
        Counter.builder(UNSCORED)
            .description("Labelled images counted without a prediction: no model version yet")
            .register(registry);
    behind =
        Counter.builder(BEHIND)
            .description("Records scored with an older version than their partition saw before")
            .register(registry);
  }

  void scored(ScoringRole role, long startNanos) {
    predictions.get(role).increment();
    latency.get(role).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  void unscored() {
    unscored.increment();
  }

  void behind() {
    behind.increment();
  }
}
