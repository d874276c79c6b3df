package ai.candle.streams.scoring;

import ai.candle.core.FastScorer;
import ai.candle.schemas.Prediction;
import ai.candle.schemas.ScoredClass;
import ai.candle.streams.model.ModelLease;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Scores one image alone with a leased model version and makes its prediction. */
final class Predictions {

  private Predictions() {}

  /**
   * @param trueLabel the label of a labelled image (a prequential prediction), else null
   */
  static Prediction of(
      ModelLease lease,
      String imageId,
      float[] feature,
      int k,
      Instant eventTime,
      String trueLabel) {
    float[] scores = lease.score(feature);
    int[] best = FastScorer.topK(scores, k);
    List<ScoredClass> top = new ArrayList<>(best.length);
    for (int j : best) {
      top.add(new ScoredClass(lease.classNames().get(j), scores[j]));
    }
    return Prediction.newBuilder()
        .setImageId(imageId)
        .setModelVersion(lease.version())
        .setTopK(top)
        .setPrequential(trueLabel != null)
        .setTrueLabel(trueLabel)
        .setEventTime(eventTime)
        .build();
  }

  /** Whether the best class of a prediction is {@code label}. */
  static boolean topIs(Prediction prediction, String label) {
    return !prediction.getTopK().isEmpty()
        && prediction.getTopK().get(0).getClassName().equals(label);
  }
}
