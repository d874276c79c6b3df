package ai.candle.trainer;

import ai.candle.core.AdaptiveFit;
import ai.candle.core.CandleModel;
import ai.candle.core.FrequencyBucket;
import ai.candle.core.ScoreWeights;
import ai.candle.core.WeightSelection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a fitted candidate replaces the serving version.
 *
 * <ol>
 *   <li><b>Never below zero-shot.</b> A candidate whose balanced holdout accuracy is below
 *       zero-shot CLIP's on the same holdout and classes is rejected, class set changed or not.
 *   <li><b>Tail protection.</b> When the class set is unchanged, the candidate's few and medium
 *       bucket accuracies must each be within {@code tolerance} of the serving version's, measured
 *       on the same (current) holdout.
 * </ol>
 *
 * With an empty holdout (every class has one image, or the holdout is off) the candidate is judged
 * on its weights' cross-validation on the training data ({@code AdaptiveFit}): it passes when its
 * weights are zero-shot's (it then scores exactly as zero-shot CLIP) or beat zero-shot there by
 * more than their standard error, and is rejected otherwise ({@code reason=zero_shot}).
 */
final class PromotionGate {

  /** The verdict; {@code reason} is a bounded tag value (promoted, zero_shot, tail). */
  record Decision(boolean promote, String reason, String detail) {}

  /**
   * A candidate's verdict with the evaluations it rests on, all on the same holdout.
   *
   * @param serving the serving version's evaluation; null when nothing serves
   */
  record Review(
      Decision decision,
      HoldoutEvaluation candidate,
      HoldoutEvaluation zeroShot,
      HoldoutEvaluation serving) {

    /**
     * What a promoted version records: {@code holdout.*}, {@code zero_shot.*}, {@code fit.seconds},
     * the weights and their cross-validation.
     */
    Map<String, Double> versionMetrics(AdaptiveFit.Fitted fitted) {
      Map<String, Double> metrics = new LinkedHashMap<>(candidate.asMetrics("holdout"));
      metrics.putAll(zeroShot.asMetrics("zero_shot"));
      metrics.put("fit.seconds", fitted.seconds());
      metrics.putAll(SelectionMetrics.of(fitted));
      return metrics;
    }
  }

  private static final List<FrequencyBucket> PROTECTED =
      List.of(FrequencyBucket.FEW, FrequencyBucket.MEDIUM);

  private PromotionGate() {}

  /** The verdict without a holdout: what the weights' selection measured on the training data. */
  static Decision crossValidated(AdaptiveFit.Fitted fitted) {
    ScoreWeights w = fitted.model().weights();
    if (w.isZeroShot()) {
      return new Decision(
          true,
          "promoted",
          "empty holdout: the weights are zero-shot's, the version scores as"
              + " zero-shot CLIP ("
              + fitted.prior().decision()
              + ")");
    }
    WeightSelection.Result last = w.usesHead() ? fitted.head() : fitted.prior();
    if (last != null && last.gain() > last.standardError()) {
      return new Decision(
          true,
          "promoted",
          String.format(
              java.util.Locale.ROOT,
              "empty holdout: cross-validated HM %.4f against %.4f, gain %+.4f beyond its standard error %.4f",
              last.chosen().hm(),
              last.zeroShot().hm(),
              last.gain(),
              last.standardError()));
    }
    return new Decision(
        false,
        "zero_shot",
        "empty holdout and no cross-validated evidence that the weights "
            + w
            + " beat zero-shot CLIP");
  }

  /**
   * Scores the fitted candidate, zero-shot CLIP over its classes and the serving version (when one
   * serves) on the holdout, and decides.
   */
  static Review review(
      AdaptiveFit.Fitted fitted,
      HoldoutEvaluation.Holdout holdout,
      CandleModel serving,
      double tolerance) {
    CandleModel model = fitted.model();
    HoldoutEvaluation candidate = HoldoutEvaluation.ofModel(model, holdout);
    HoldoutEvaluation zeroShot = HoldoutEvaluation.ofZeroShot(model, holdout);
    HoldoutEvaluation served = serving == null ? null : HoldoutEvaluation.ofModel(serving, holdout);
    boolean changed = serving == null || classSetChanged(serving, model);
    return new Review(
        decide(candidate, zeroShot, served, changed, tolerance, fitted),
        candidate,
        zeroShot,
        served);
  }

  /**
   * Whether two models differ in their classes or in which of them are base classes (order aside).
   */
  static boolean classSetChanged(CandleModel serving, CandleModel candidate) {
    return !Set.copyOf(serving.classNames()).equals(Set.copyOf(candidate.classNames()))
        || !Set.copyOf(baseClasses(serving)).equals(Set.copyOf(baseClasses(candidate)));
  }

  private static List<String> baseClasses(CandleModel model) {
    return model.classNames().subList(0, model.baseClasses());
  }

  static Decision decide(
      HoldoutEvaluation candidate,
      HoldoutEvaluation zeroShot,
      HoldoutEvaluation serving,
      boolean classSetChanged,
      double tolerance,
      AdaptiveFit.Fitted fitted) {
    if (candidate.isEmpty()) {
      return crossValidated(fitted);
    }
    if (candidate.balanced() < zeroShot.balanced()) {
      return new Decision(
          false,
          "zero_shot",
          String.format(
              "balanced holdout accuracy %.4f is below zero-shot's %.4f on %d images",
              candidate.balanced(), zeroShot.balanced(), candidate.images()));
    }
    if (serving != null && !classSetChanged) {
      for (FrequencyBucket b : PROTECTED) {
        Double cand = candidate.buckets().get(b);
        Double serv = serving.buckets().get(b);
        if (cand != null && serv != null && cand < serv - tolerance) {
          return new Decision(
              false,
              "tail",
              String.format(
                  "%s-bucket holdout accuracy %.4f is more than %.4f below the serving version's %.4f",
                  b.tag(), cand, tolerance, serv));
        }
      }
    }
    return new Decision(
        true,
        "promoted",
        String.format(
            "balanced %.4f (zero-shot %.4f)%s",
            candidate.balanced(),
            zeroShot.balanced(),
            serving == null
                ? ""
                : classSetChanged
                    ? ", class set changed: tail gate not applied"
                    : String.format(", serving %.4f", serving.balanced())));
  }
}
