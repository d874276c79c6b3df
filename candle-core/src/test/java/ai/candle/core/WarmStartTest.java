package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Warm-started refits (issue 20): they continue from the serving version's parameters. */
class WarmStartTest {
  static final int D = CandleFitTest.D;

  static HyperParameters hp() {
    return CandleFitTest.hp().withMode(HyperParameters.Mode.ADAPTIVE);
  }

  static CandleFit.Options cpu() {
    return CandleFit.Options.defaults().withDevice(Device.cpu());
  }

  @Test
  void givenNothingNewAWarmStartKeepsTheParametersItStartsFrom() {
    CandleFit.TrainingSet data = CandleFitTest.smallSet();
    CandleModel serving =
        CandleFit.fit(data, hp(), cpu()).withWeights(new ScoreWeights(1, 0.5, 0.5, 0));
    CandleParameters start = CandleFit.warmStart(serving, data, hp());
    assertArrayEquals(serving.params().virtualPrototypes(), start.virtualPrototypes());
    assertArrayEquals(serving.params().attnInProjWeight(), start.attnInProjWeight());

    AdaptiveFit.Fitted selected = new AdaptiveFit.Fitted(serving, null, null, "test", true, 0);
    AdaptiveFit.Fitted warm =
        AdaptiveFit.warm(data, serving, selected, new int[0], 20, hp(), cpu(), null);
    CandleParameters p = serving.params();
    CandleParameters q = warm.model().params();
    assertArrayEquals(p.projImage(), q.projImage());
    assertArrayEquals(p.projText(), q.projText());
    assertArrayEquals(p.virtualPrototypes(), q.virtualPrototypes());
    assertArrayEquals(p.attnInProjWeight(), q.attnInProjWeight());
    assertArrayEquals(p.attnOutProjWeight(), q.attnOutProjWeight());
    assertArrayEquals(p.normWeight(), q.normWeight());
    assertEquals(p.ratio(), q.ratio());
    assertEquals(serving.weights(), warm.model().weights(), "the selected weights are kept");
    assertArrayEquals(serving.visualPrototypes(), warm.model().visualPrototypes());
    assertTrue(warm.model().stats().epochLoss().isEmpty(), "no step ran");
  }

  @Test
  void aWarmStartedFitRunsAndItsModelScores() {
    CandleFit.TrainingSet data = CandleFitTest.smallSet();
    // the serving version knew the first three classes (and class 3 only as new)
    List<String> names = new ArrayList<>(data.classNames());
    CandleModel full =
        CandleFit.fit(data, hp(), cpu()).withWeights(new ScoreWeights(1, 0.5, 0.5, 0));
    CandleModel serving =
        CandleFit.extend(CandleFit.fit(without(data, 3), hp(), cpu()), List.of("late"), text(7))
            .withWeights(full.weights());
    AdaptiveFit.Fitted selected = new AdaptiveFit.Fitted(full, null, null, "test", true, 0);
    int[] fresh = rowsOf(data, 3);
    AdaptiveFit.Fitted warm =
        AdaptiveFit.warm(data, serving, selected, fresh, 4, hp(), cpu(), null);
    CandleModel m = warm.model();
    assertEquals(names, m.classNames());
    assertEquals(4, m.baseClasses());
    assertEquals(4, m.stats().epochLoss().size(), "the step budget ran");
    assertTrue(m.stats().epochLoss().stream().allMatch(Double::isFinite));
    assertFalse(
        Arrays.equals(serving.params().attnInProjWeight(), m.params().attnInProjWeight()),
        "it learnt");
    try (FastScorer scorer = FastScorer.prepare(m)) {
      float[] image = Arrays.copyOfRange(data.features(), fresh[0] * D, (fresh[0] + 1) * D);
      float[] scores = scorer.score(new float[][] {image})[0];
      assertEquals(m.numClasses(), scores.length);
      for (float s : scores) {
        assertTrue(Float.isFinite(s));
      }
    }
  }

  /** The set with base class {@code drop} listed as new (its images left out). */
  static CandleFit.TrainingSet without(CandleFit.TrainingSet data, int drop) {
    int[] keep =
        Arrays.stream(CandleFit.identity(data.size()))
            .filter(i -> data.labels()[i] != drop)
            .toArray();
    float[] f = new float[keep.length * D];
    int[] y = new int[keep.length];
    for (int k = 0; k < keep.length; k++) {
      System.arraycopy(data.features(), keep[k] * D, f, k * D, D);
      y[k] = data.labels()[keep[k]];
    }
    // drop is the last base class here, so it becomes the first new one without relabelling
    assertEquals(data.baseClasses() - 1, drop);
    float[] counts = data.classCounts().clone();
    counts[drop] = 0;
    return new CandleFit.TrainingSet(
        f, y, D, data.classNames(), data.baseClasses() - 1, data.textFeatures(), counts);
  }

  static int[] rowsOf(CandleFit.TrainingSet data, int label) {
    return Arrays.stream(CandleFit.identity(data.size()))
        .filter(i -> data.labels()[i] == label)
        .toArray();
  }

  static float[] text(long seed) {
    java.util.Random rnd = new java.util.Random(seed);
    float[] t = new float[D];
    for (int k = 0; k < D; k++) {
      t[k] = (float) rnd.nextGaussian();
    }
    return t;
  }
}
