package ai.candle.core;

import static ai.candle.core.CandleHeadGoldenTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.io.ModelCodec;
import ai.candle.core.synthetic.SyntheticClip;
import ai.djl.Device;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ADAPTIVE score: zero-shot CLIP's logits plus weighted corrections on the base classes ({@link
 * ScoreWeights}). With every weight zero, and for every class without images, it is zero-shot CLIP
 * exactly, in the fast scorer as in the naive forward.
 */
class AdaptiveModeTest {
  static final int D = CandleFitTest.D;

  static CandleModel fitAdaptive() {
    HyperParameters hp = CandleFitTest.hp().withMode(HyperParameters.Mode.ADAPTIVE);
    return CandleFit.fit(
        CandleFitTest.smallSet(), hp, CandleFit.Options.defaults().withDevice(Device.cpu()));
  }

  /** A synthetic set with enough base classes for every term, its model fitted in ADAPTIVE mode. */
  static FeaturesDataset synthetic() {
    return SyntheticClip.generate(
        SyntheticClip.Config.defaults()
            .withClasses(24, 20)
            .withDim(72)
            .withShots(6)
            .withTestPerClass(1));
  }

  static CandleModel fitSynthetic(FeaturesDataset data) {
    return CandleFit.fit(
        data.trainingSet(),
        CandleFitTest.hp().withMode(HyperParameters.Mode.ADAPTIVE),
        CandleFit.Options.defaults().withDevice(Device.cpu()));
  }

  static float[][] testImages(FeaturesDataset data) {
    int d = data.dim();
    float[][] images = new float[data.testSize()][];
    for (int i = 0; i < images.length; i++) {
      images[i] = Arrays.copyOfRange(data.testFeatures(), i * d, (i + 1) * d);
    }
    return images;
  }

  /** s·cos(x, t_c), computed here from the definition. */
  static double[] zeroShot(CandleModel m, float[] x) {
    int d = m.dim();
    double[] out = new double[m.numClasses()];
    double xx = 0;
    for (float v : x) {
      xx += (double) v * v;
    }
    for (int j = 0; j < out.length; j++) {
      double dot = 0;
      double tt = 0;
      for (int k = 0; k < d; k++) {
        double t = m.textFeatures()[j * d + k];
        dot += x[k] * t;
        tt += t * t;
      }
      out[j] = m.hyper().logitScale() * dot / Math.sqrt(xx * tt);
    }
    return out;
  }

  @Test
  void defaultsStayTheReferenceAndTheServiceDefaultIsAdaptive() {
    assertEquals(HyperParameters.Mode.REFERENCE, HyperParameters.defaults().mode());
    assertEquals(HyperParameters.Mode.ADAPTIVE, HyperParameters.adaptive().mode());
    assertEquals(
        ScoreWeights.ZERO, fitAdaptive().weights(), "a plain fit chooses no weights: zero-shot");
  }

  @Test
  void virtualPrototypesStartShiftedByTheMeanImageTextGap() {
    CandleFit.TrainingSet data = CandleFitTest.smallSet();
    float[] visual = CandleFit.visualPrototypes(data);
    CandleParameters p = CandleFit.initialParameters(data, HyperParameters.adaptive(), visual);
    int cb = data.baseClasses();
    for (int k = 0; k < D; k++) {
      double gap = 0;
      for (int j = 0; j < cb; j++) {
        gap += (visual[j * D + k] - data.textFeatures()[j * D + k]) / (double) cb;
      }
      for (int n = 0; n < p.newClasses(); n++) {
        assertEquals(
            data.textFeatures()[(cb + n) * D + k] + gap, p.virtualPrototypes()[n * D + k], 1e-5);
      }
    }
    CandleParameters ref = CandleFit.initialParameters(data, HyperParameters.defaults(), visual);
    assertEquals(
        Arrays.toString(Arrays.copyOfRange(data.textFeatures(), cb * D, (cb + 2) * D)),
        Arrays.toString(ref.virtualPrototypes()));
  }

  @Test
  void zeroWeightsScoreExactlyAsZeroShotClip() {
    FeaturesDataset data = synthetic();
    CandleModel m = fitSynthetic(data).withWeights(ScoreWeights.ZERO);
    float[][] images = testImages(data);
    float[][] naive = new NaiveScorer(m).score(images);
    try (FastScorer fast = FastScorer.prepare(m)) {
      float[][] got = fast.score(images);
      for (int i = 0; i < images.length; i++) {
        double[] want = zeroShot(m, images[i]);
        assertClose("fast, image " + i, toFloat(want), got[i], 1e-5, 1.0);
        assertClose("naive, image " + i, toFloat(want), naive[i], 1e-5, 1.0);
      }
    }
  }

  @Test
  void everyCorrectionOnTheFastScorerEqualsTheNaiveForward() {
    FeaturesDataset data = synthetic();
    CandleModel fitted = fitSynthetic(data);
    float[][] images = testImages(data);
    for (ScoreWeights w :
        List.of(
            new ScoreWeights(2, 0.1, 0, 0),
            new ScoreWeights(1, 0, 0.5, 0),
            new ScoreWeights(1, 0, 0, -1.5),
            new ScoreWeights(0.5, 0.2, 0.3, -2))) {
      CandleModel m = fitted.withWeights(w);
      float[][] want = new NaiveScorer(m).score(images);
      try (FastScorer fast = FastScorer.prepare(m)) {
        float[][] got = fast.score(images);
        for (int i = 0; i < images.length; i++) {
          assertClose(w + ", image " + i, want[i], got[i], 1e-4, 1.0);
        }
      }
    }
  }

  /** Each weight moves the base classes' scores and leaves the new classes at zero-shot CLIP's. */
  @Test
  void eachWeightCorrectsTheBaseClassesOnly() {
    FeaturesDataset data = synthetic();
    CandleModel fitted = fitSynthetic(data);
    float[] x = testImages(data)[0];
    double[] zs = zeroShot(fitted, x);
    int cb = fitted.baseClasses();
    for (ScoreWeights w :
        List.of(
            new ScoreWeights(2, 0.1, 0, 0),
            new ScoreWeights(1, 0, 0.5, 0),
            new ScoreWeights(1, 0, 0, -1.5))) {
      double[] s = new NaiveScorer(fitted.withWeights(w)).score(x);
      for (int j = cb; j < s.length; j++) {
        assertEquals(zs[j], s[j], 1e-6, w + ": new class " + j + " is zero-shot");
      }
      assertNotEquals(zs[0], s[0], 1e-3, w + " must change a base class's score");
    }
    double[] offset = new NaiveScorer(fitted.withWeights(new ScoreWeights(1, 0, 0, -1.5))).score(x);
    for (int j = 0; j < cb; j++) {
      assertEquals(zs[j] - 1.5, offset[j], 1e-6, "β is added to base class " + j);
    }
  }

  @Test
  void versionsWithoutAFitScoreAsZeroShot() {
    FeaturesDataset data = synthetic();
    float[][] images = testImages(data);
    // INITIAL: every class text only
    CandleModel initial =
        CandleFit.untrained(
            data.classNames(), data.dim(), data.textFeatures(), HyperParameters.adaptive());
    assertFastAndNaiveAreZeroShot(initial, images, 0, initial.numClasses());
    // EXTEND: the classes appended without a fit score as zero-shot, whatever the serving weights
    CandleModel fitted = fitSynthetic(data).withWeights(new ScoreWeights(1, 0.2, 0.5, -1));
    float[] text = Arrays.copyOfRange(data.textFeatures(), 0, 2 * data.dim());
    for (int k = 0; k < text.length; k++) {
      text[k] = -text[k] + 0.5f;
    }
    CandleModel extended = CandleFit.extend(fitted, List.of("added_0", "added_1"), text);
    assertEquals(fitted.weights(), extended.weights());
    assertFastAndNaiveAreZeroShot(extended, images, fitted.numClasses(), extended.numClasses());
  }

  private static void assertFastAndNaiveAreZeroShot(
      CandleModel m, float[][] images, int from, int to) {
    float[][] naive = new NaiveScorer(m).score(images);
    try (FastScorer fast = FastScorer.prepare(m)) {
      float[][] got = fast.score(images);
      for (int i = 0; i < images.length; i++) {
        double[] want = zeroShot(m, images[i]);
        float[] wantPart = toFloat(Arrays.copyOfRange(want, from, to));
        assertClose("fast, image " + i, wantPart, Arrays.copyOfRange(got[i], from, to), 1e-5, 1.0);
        assertClose(
            "naive, image " + i, wantPart, Arrays.copyOfRange(naive[i], from, to), 1e-5, 1.0);
      }
    }
  }

  @Test
  void theWeightsTravelWithTheModel() {
    CandleModel m = fitAdaptive().withWeights(new ScoreWeights(0.5, 0.05, 0.2, -0.5));
    CandleModel back = ModelCodec.decode(ModelCodec.encode(m));
    assertEquals(HyperParameters.Mode.ADAPTIVE, back.hyper().mode());
    assertEquals(m.weights(), back.weights());
  }

  @Test
  void weightsRejectNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new ScoreWeights(0, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new ScoreWeights(1, -0.1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new ScoreWeights(1, 0, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> new ScoreWeights(1, 0, 0, Double.NaN));
    assertArrayEquals(
        new boolean[] {true, false},
        new boolean[] {
          ScoreWeights.ZERO.isZeroShot(), new ScoreWeights(1, 0, 0, 0.5).isZeroShot()
        });
  }

  static float[] toFloat(double[] a) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = (float) a[i];
    }
    return out;
  }
}
