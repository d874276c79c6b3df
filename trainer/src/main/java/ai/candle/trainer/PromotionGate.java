package ai.candle.trainer;

import ai.candle.core.FrequencyBucket;

import java.util.List;

/**
 * Decides whether a fitted candidate replaces the serving version.
 *
 * <ol>
 *   <li><b>Never below zero-shot.</b> A candidate whose balanced holdout accuracy is below
 *       zero-shot CLIP's on the same holdout and classes is rejected, class set changed or not.
 *   <li><b>Tail protection.</b> When the class set is unchanged, the candidate's few and medium
 *       bucket accuracies must each be within {@code tolerance} of the serving version's,
 *       measured on the same (current) holdout.
 * </ol>
 *
 * With an empty holdout nothing can be measured and the candidate passes (recorded in its
 * metrics as {@code holdout.images = 0}).
 */
final class PromotionGate {

  /** The verdict; {@code reason} is a bounded tag value (promoted, zero_shot, tail). */
  record Decision(boolean promote, String reason, String detail) {}

  private static final List<FrequencyBucket> PROTECTED = List.of(FrequencyBucket.FEW, FrequencyBucket.MEDIUM);

  private PromotionGate() {}

  static Decision decide(HoldoutEvaluation candidate, HoldoutEvaluation zeroShot,
      HoldoutEvaluation serving, boolean classSetChanged, double tolerance) {
    if (candidate.isEmpty()) {
      return new Decision(true, "promoted", "empty holdout: nothing to compare");
    }
    if (candidate.balanced() < zeroShot.balanced()) {
      return new Decision(false, "zero_shot", String.format(
          "balanced holdout accuracy %.4f is below zero-shot's %.4f on %d images",
          candidate.balanced(), zeroShot.balanced(), candidate.images()));
    }
    if (serving != null && !classSetChanged) {
      for (FrequencyBucket b : PROTECTED) {
        Double cand = candidate.buckets().get(b);
        Double serv = serving.buckets().get(b);
        if (cand != null && serv != null && cand < serv - tolerance) {
          return new Decision(false, "tail", String.format(
              "%s-bucket holdout accuracy %.4f is more than %.4f below the serving version's %.4f",
              b.tag(), cand, tolerance, serv));
        }
      }
    }
    return new Decision(true, "promoted", String.format(
        "balanced %.4f (zero-shot %.4f)%s", candidate.balanced(), zeroShot.balanced(),
        serving == null ? "" : classSetChanged ? ", class set changed: tail gate not applied"
            : String.format(", serving %.4f", serving.balanced())));
  }
}
