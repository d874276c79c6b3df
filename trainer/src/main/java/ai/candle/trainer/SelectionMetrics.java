package ai.candle.trainer;

import ai.candle.core.AdaptiveFit;
import ai.candle.core.ScoreWeights;
import ai.candle.core.WeightSelection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A fit's score weights and their cross-validated estimates, as recorded in a version's metrics:
 * {@code weights.text|prior|head|base_offset}, then per selection stage ({@code cv.prior.*}, and
 * {@code cv.head.*} when the head's weight was tried) the chosen weights' HM and its base-like and
 * new-like accuracies, the reference's HM, the gain, its standard error and the images scored.
 * Non-finite estimates (too few classes to cross-validate) are left out.
 */
final class SelectionMetrics {
  private SelectionMetrics() {}

  static Map<String, Double> of(AdaptiveFit.Fitted fitted) {
    Map<String, Double> m = new LinkedHashMap<>();
    ScoreWeights w = fitted.model().weights();
    m.put("weights.text", w.textWeight());
    m.put("weights.prior", w.priorWeight());
    m.put("weights.head", w.headWeight());
    m.put("weights.base_offset", w.baseOffset());
    stage(m, "cv.prior", fitted.prior());
    if (fitted.head() != null) {
      stage(m, "cv.head", fitted.head());
    }
    return m;
  }

  private static void stage(Map<String, Double> m, String prefix, WeightSelection.Result r) {
    put(m, prefix + ".hm", r.chosen().hm());
    put(m, prefix + ".base", r.chosen().base());
    put(m, prefix + ".new", r.chosen().novel());
    put(m, prefix + ".reference.hm", r.zeroShot().hm());
    put(m, prefix + ".gain", r.gain());
    put(m, prefix + ".standard_error", r.standardError());
    m.put(prefix + ".images", (double) r.images());
  }

  private static void put(Map<String, Double> m, String key, double v) {
    if (Double.isFinite(v)) {
      m.put(key, v);
    }
  }
}
