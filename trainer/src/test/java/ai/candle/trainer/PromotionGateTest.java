package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.AdaptiveFit;
import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.FrequencyBucket;
import ai.candle.core.HyperParameters;
import ai.candle.core.ScoreWeights;
import ai.candle.core.WeightSelection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromotionGateTest {
  static HoldoutEvaluation eval(double balanced, double few, double medium) {
    return new HoldoutEvaluation(
        balanced,
        Map.of(FrequencyBucket.FEW, few, FrequencyBucket.MEDIUM, medium, FrequencyBucket.MANY, 0.9),
        100);
  }

  @Test
  void aCandidateBelowZeroShotIsRejectedEvenWhenTheClassSetChanged() {
    PromotionGate.Decision d =
        PromotionGate.decide(eval(0.5, 0.5, 0.5), eval(0.6, 0.6, 0.6), null, true, 0.02, ZERO_SHOT);
    assertFalse(d.promote());
    assertEquals("zero_shot", d.reason());
    assertTrue(d.detail().contains("0.5000") && d.detail().contains("0.6000"), d.detail());
  }

  @Test
  void aCandidateThatLosesTheTailIsRejectedOnlyWhenTheClassSetIsUnchanged() {
    HoldoutEvaluation zeroShot = eval(0.4, 0.4, 0.4);
    HoldoutEvaluation serving = eval(0.7, 0.6, 0.7);
    HoldoutEvaluation candidate = eval(0.75, 0.55, 0.8);
    PromotionGate.Decision same =
        PromotionGate.decide(candidate, zeroShot, serving, false, 0.02, ZERO_SHOT);
    assertFalse(same.promote());
    assertEquals("tail", same.reason());
    assertTrue(same.detail().contains("few"), same.detail());
    assertTrue(PromotionGate.decide(candidate, zeroShot, serving, true, 0.02, ZERO_SHOT).promote());
    assertTrue(
        PromotionGate.decide(candidate, zeroShot, serving, false, 0.06, ZERO_SHOT).promote(),
        "within tolerance");
  }

  /**
   * A fit whose weights and leave-one-out selection are given (the model itself does not matter to
   * the gate).
   */
  static AdaptiveFit.Fitted fitted(ScoreWeights w, double gain, double se) {
    CandleModel m =
        CandleFit.untrained(List.of("a", "b"), 8, new float[16], HyperParameters.adaptive())
            .withWeights(w);
    WeightSelection.Estimate est = new WeightSelection.Estimate(0.6, 0.6, 0.6);
    WeightSelection.Result prior =
        new WeightSelection.Result(w, est, est, gain, se, 10, 5, 5, 20, "test");
    return new AdaptiveFit.Fitted(m, prior, null, "test", false, 0.1);
  }

  static final AdaptiveFit.Fitted ZERO_SHOT = fitted(ScoreWeights.ZERO, 0, 0);

  @Test
  void aBetterCandidatePasses() {
    assertTrue(
        PromotionGate.decide(
                eval(0.8, 0.7, 0.8),
                eval(0.4, 0.4, 0.4),
                eval(0.7, 0.6, 0.7),
                false,
                0.02,
                ZERO_SHOT)
            .promote());
  }

  /** An empty holdout is no longer a pass by default: the weights' cross-validation decides. */
  @Test
  void withAnEmptyHoldoutTheCrossValidationDecides() {
    HoldoutEvaluation empty = new HoldoutEvaluation(Double.NaN, Map.of(), 0);
    PromotionGate.Decision zero = PromotionGate.decide(empty, empty, null, true, 0.02, ZERO_SHOT);
    assertTrue(zero.promote());
    assertTrue(zero.detail().contains("scores as zero-shot CLIP"), zero.detail());
    ScoreWeights corrected = new ScoreWeights(0.5, 0.1, 0, -1);
    PromotionGate.Decision evidence =
        PromotionGate.decide(empty, empty, null, true, 0.02, fitted(corrected, 0.02, 0.005));
    assertTrue(evidence.promote());
    assertTrue(evidence.detail().contains("cross-validated"), evidence.detail());
    PromotionGate.Decision none =
        PromotionGate.decide(empty, empty, null, true, 0.02, fitted(corrected, 0.002, 0.005));
    assertFalse(none.promote());
    assertEquals("zero_shot", none.reason());
  }

  @Test
  void theClassSetChangesWithTheClassesNotTheirOrder() {
    float[] text = new float[3 * 8];
    CandleModel ab =
        CandleFit.untrained(List.of("a", "b"), 8, new float[16], HyperParameters.adaptive());
    CandleModel ba =
        CandleFit.untrained(List.of("b", "a"), 8, new float[16], HyperParameters.adaptive());
    CandleModel abc =
        CandleFit.untrained(List.of("a", "b", "c"), 8, text, HyperParameters.adaptive());
    assertFalse(PromotionGate.classSetChanged(ab, ba));
    assertTrue(PromotionGate.classSetChanged(ab, abc));
  }

  @Test
  void bucketsFollowTheDashboards() {
    assertEquals(FrequencyBucket.NEW, FrequencyBucket.of(0));
    assertEquals(FrequencyBucket.FEW, FrequencyBucket.of(19));
    assertEquals(FrequencyBucket.MEDIUM, FrequencyBucket.of(20));
    assertEquals(FrequencyBucket.MEDIUM, FrequencyBucket.of(100));
    assertEquals(FrequencyBucket.MANY, FrequencyBucket.of(101));
  }
}
