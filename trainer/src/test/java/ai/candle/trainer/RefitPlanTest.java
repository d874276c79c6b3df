package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.AdaptiveFit;
import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.HyperParameters;
import ai.candle.core.ScoreWeights;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** When a refit is full and when it is warm-started. */
class RefitPlanTest {
  static final ScoreWeights W = new ScoreWeights(1, 0.5, 0, 0.1);
  static final CandleModel MODEL =
      CandleFit.untrained(List.of("a", "b"), 8, new float[16], HyperParameters.adaptive())
          .withWeights(W);
  static final AdaptiveFit.Fitted FULL =
      new AdaptiveFit.Fitted(MODEL, null, null, "test", false, 1);
  static final Set<String> BASE =
      Set.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");

  static Optional<String> plan(
      AdaptiveFit.Fitted full, int warmSince, CandleModel serving, Set<String> base, int every) {
    return RefitPlan.fullBecause(full, BASE, warmSince, W, serving, base, every, 0.1);
  }

  @Test
  void warmWhenAFullRefitServesAndLittleChanged() {
    assertEquals(Optional.empty(), plan(FULL, 3, MODEL, BASE, 10));
    Set<String> oneMore = new java.util.HashSet<>(BASE);
    oneMore.add("c10");
    assertEquals(
        Optional.empty(), plan(FULL, 0, MODEL, oneMore, 10), "one class of ten is within 0.1");
  }

  @Test
  void fullWithoutAFullRefitOnTheScheduleOrWhenTheClassesMoved() {
    assertTrue(plan(null, 0, MODEL, BASE, 10).orElseThrow().contains("no full refit"));
    assertTrue(plan(FULL, 0, MODEL, BASE, 0).orElseThrow().contains("off"));
    assertTrue(plan(FULL, 10, MODEL, BASE, 10).orElseThrow().contains("schedule"));
    assertTrue(
        plan(FULL, 0, MODEL.withWeights(ScoreWeights.ZERO), BASE, 10)
            .orElseThrow()
            .contains("weights"),
        "a rolled-back version with other weights");
    assertTrue(plan(FULL, 0, null, BASE, 10).isPresent());
    Set<String> moved = Set.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "x8", "x9");
    assertTrue(plan(FULL, 0, MODEL, moved, 10).orElseThrow().contains("class set changed"));
  }
}
