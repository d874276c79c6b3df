package ai.candle.trainer;

import ai.candle.core.AdaptiveFit;
import ai.candle.core.CandleModel;
import ai.candle.core.ScoreWeights;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a refit is full (weights chosen anew, the head fitted from scratch) or warm-started from
 * the serving version ({@link AdaptiveFit#warm}). Warm is the rule; full when there is nothing to
 * continue from, on the schedule ({@code refit.full.every} warm refits since the last full one), or
 * when the base classes moved too far from the last full refit's ({@code refit.full.class.change}).
 * Both go through the same promotion gate. Decides only; holds no state.
 */
final class RefitPlan {
  private RefitPlan() {}

  /**
   * Why this refit must be full, or empty when it may be warm-started.
   *
   * @param lastFull the last promoted full refit of this trainer, or null
   * @param lastFullBase its base classes
   * @param warmSinceFull warm refits since it
   * @param lastPromoted the weights of the last version this trainer promoted (full or warm), or
   *     null
   * @param serving the serving model, or null
   * @param base the base classes of the snapshot to fit
   */
  static Optional<String> fullBecause(
      AdaptiveFit.Fitted lastFull,
      Set<String> lastFullBase,
      int warmSinceFull,
      ScoreWeights lastPromoted,
      CandleModel serving,
      Set<String> base,
      int fullEvery,
      double classChange) {
    if (fullEvery == 0) {
      return Optional.of("warm starts off (refit.full.every = 0)");
    }
    if (lastFull == null) {
      return Optional.of("no full refit by this trainer yet");
    }
    if (serving == null || !serving.weights().equals(lastPromoted)) {
      // e.g. an operator rolled back to another version: it is not what this trainer's fits led to
      return Optional.of("the serving version's weights are not the last promoted fit's");
    }
    if (warmSinceFull >= fullEvery) {
      return Optional.of("schedule: " + warmSinceFull + " warm refits since the last full one");
    }
    Set<String> changed = new HashSet<>(base);
    changed.removeAll(lastFullBase);
    Set<String> gone = new HashSet<>(lastFullBase);
    gone.removeAll(base);
    int moved = changed.size() + gone.size();
    if (moved > classChange * Math.max(1, lastFullBase.size())) {
      return Optional.of(
          "class set changed: "
              + moved
              + " base classes differ from the last full refit's "
              + lastFullBase.size());
    }
    return Optional.empty();
  }
}
