package ai.candle.streams.scoring;

import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.Prediction;
import ai.candle.streams.config.ScoringConfig;
import ai.candle.streams.model.ModelHolder;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/**
 * What the scoring parts of both topologies share in one process: the served model, the live class
 * counts, the prequential accuracy and the scoring metrics. Make one per meter registry (the
 * accuracy gauges are registered once).
 */
public final class Scoring {

  private final ScoringConfig config;
  private final ModelHolder models;
  private final ClassCounts counts;
  private final AccuracyTracker accuracy;
  private final ScoringMetrics metrics;

  private Scoring(
      ScoringConfig config, ModelHolder models, ClassCounts counts, MeterRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.models = Objects.requireNonNull(models, "models");
    this.counts = Objects.requireNonNull(counts, "counts");
    this.accuracy = new AccuracyTracker(registry, config.accuracyWindow(), config.worstClasses());
    this.metrics = new ScoringMetrics(registry);
  }

  /**
   * @param models the served model versions
   * @param counts live class counts (frequency buckets of the prequential accuracy)
   * @param registry where the scoring metrics are registered
   */
  public static Scoring of(
      ScoringConfig config, ModelHolder models, ClassCounts counts, MeterRegistry registry) {
    return new Scoring(config, models, counts, registry);
  }

  public ScoringConfig config() {
    return config;
  }

  public ModelHolder models() {
    return models;
  }

  public ClassCounts counts() {
    return counts;
  }

  /** The live prequential accuracy (the worst classes by name included). */
  public AccuracyTracker accuracy() {
    return accuracy;
  }

  /**
   * The ingest topology's processor that scores each valid labelled image before it counts ({@link
   * PrequentialScorer}): a prediction keyed by image id, none before a model serves.
   */
  public ProcessorSupplier<String, FeatureRecord, String, Prediction> prequentialScorer() {
    return () -> new PrequentialScorer(this);
  }

  ScoringMetrics metrics() {
    return metrics;
  }
}
