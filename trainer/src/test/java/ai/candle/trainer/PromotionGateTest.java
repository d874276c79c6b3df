package ai.candle.trainer;

import ai.candle.core.FrequencyBucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PromotionGateTest {
  static HoldoutEvaluation eval(double balanced, double few, double medium) {
    return new HoldoutEvaluation(balanced,
        Map.of(FrequencyBucket.FEW, few, FrequencyBucket.MEDIUM, medium, FrequencyBucket.MANY, 0.9), 100);
  }

  @Test
  void aCandidateBelowZeroShotIsRejectedEvenWhenTheClassSetChanged() {
    PromotionGate.Decision d = PromotionGate.decide(eval(0.5, 0.5, 0.5), eval(0.6, 0.6, 0.6), null, true, 0.02);
    assertFalse(d.promote());
    assertEquals("zero_shot", d.reason());
    assertTrue(d.detail().contains("0.5000") && d.detail().contains("0.6000"), d.detail());
  }

  @Test
  void aCandidateThatLosesTheTailIsRejectedOnlyWhenTheClassSetIsUnchanged() {
    HoldoutEvaluation zeroShot = eval(0.4, 0.4, 0.4);
    HoldoutEvaluation serving = eval(0.7, 0.6, 0.7);
    HoldoutEvaluation candidate = eval(0.75, 0.55, 0.8);
    PromotionGate.Decision same = PromotionGate.decide(candidate, zeroShot, serving, false, 0.02);
    assertFalse(same.promote());
    assertEquals("tail", same.reason());
    assertTrue(same.detail().contains("few"), same.detail());
    assertTrue(PromotionGate.decide(candidate, zeroShot, serving, true, 0.02).promote());
    assertTrue(PromotionGate.decide(candidate, zeroShot, serving, false, 0.06).promote(), "within tolerance");
  }

  @Test
  void aBetterCandidateOrAnEmptyHoldoutPasses() {
    assertTrue(PromotionGate.decide(eval(0.8, 0.7, 0.8), eval(0.4, 0.4, 0.4), eval(0.7, 0.6, 0.7), false, 0.02).promote());
    HoldoutEvaluation empty = new HoldoutEvaluation(Double.NaN, Map.of(), 0);
    assertTrue(PromotionGate.decide(empty, empty, null, true, 0.02).promote());
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
