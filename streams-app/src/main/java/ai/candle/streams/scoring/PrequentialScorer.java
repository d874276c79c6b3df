package ai.candle.streams.scoring;

import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.Prediction;
import ai.candle.streams.model.ModelLease;
import ai.candle.streams.validation.internals.ImageFeatures;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Scores a valid labelled image with the serving model before it counts (prequential): a Prediction
 * keyed by image id with {@code prequential = true} and its label as {@code trueLabel}, and its
 * outcome recorded in the prequential accuracy under the bucket of the class's live count at
 * scoring time. Before any model version serves, the image goes on to be counted as always, without
 * a prediction ({@code candle.prequential.unscored}).
 */
final class PrequentialScorer implements Processor<String, FeatureRecord, String, Prediction> {

  private final Scoring scoring;
  private ProcessorContext<String, Prediction> context;

  PrequentialScorer(Scoring scoring) {
    this.scoring = scoring;
  }

  @Override
  public void init(ProcessorContext<String, Prediction> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, FeatureRecord> record) {
    long start = System.nanoTime();
    FeatureRecord image = record.value();
    try (ModelLease lease = scoring.models().lease()) {
      if (lease == null) {
        scoring.metrics().unscored();
        return;
      }
      long imagesBefore = scoring.counts().count(image.getClassName());
      Prediction prediction =
          Predictions.of(
              lease,
              image.getImageId(),
              ImageFeatures.toArray(image.getFeature()),
              scoring.config().topK(),
              image.getEventTime(),
              image.getClassName());
      scoring
          .accuracy()
          .record(
              image.getClassName(),
              imagesBefore,
              Predictions.topIs(prediction, image.getClassName()),
              lease.version());
      scoring.metrics().scored(ScoringRole.PREQUENTIAL, start);
      context.forward(
          record
              .withKey(image.getImageId())
              .withValue(prediction)
              .withTimestamp(System.currentTimeMillis()));
    }
  }
}
