package ai.candle.core;

import static ai.candle.core.CandleHeadGoldenTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The ADAPTIVE configuration: initialisation, exact fast scoring with the zero-shot term, format. */
class AdaptiveModeTest {
  static final int D = CandleFitTest.D;

  static CandleModel fitAdaptive() {
    HyperParameters hp = CandleFitTest.hp().withMode(HyperParameters.Mode.ADAPTIVE, 4.0);
    return CandleFit.fit(CandleFitTest.smallSet(), hp, CandleFit.Options.defaults().withDevice(Device.cpu()));
  }

  @Test
  void defaultsStayTheReferenceAndTheServiceDefaultIsAdaptive() {
    assertEquals(HyperParameters.Mode.REFERENCE, HyperParameters.defaults().mode());
    assertEquals(HyperParameters.Mode.ADAPTIVE, HyperParameters.adaptive().mode());
    assertEquals(64.0, HyperParameters.adaptive().zeroShotWeight());
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
        assertEquals(data.textFeatures()[(cb + n) * D + k] + gap, p.virtualPrototypes()[n * D + k], 1e-5);
      }
    }
    CandleParameters ref = CandleFit.initialParameters(data, HyperParameters.defaults(), visual);
    assertEquals(Arrays.toString(Arrays.copyOfRange(data.textFeatures(), cb * D, (cb + 2) * D)),
        Arrays.toString(ref.virtualPrototypes()));
  }

  @Test
  void fastScorerEqualsTheNaiveForwardWithTheZeroShotTerm() {
    CandleModel m = fitAdaptive();
    float[][] images = new float[7][D];
    java.util.Random rnd = new java.util.Random(3);
    for (float[] img : images) {
      for (int k = 0; k < D; k++) {
        img[k] = (float) rnd.nextGaussian();
      }
    }
    assertFastEqualsNaive(m, images);
    CandleModel noZeroShot = m.withHyper(m.hyper().withMode(HyperParameters.Mode.ADAPTIVE, 0));
    assertNotEquals(new NaiveScorer(noZeroShot).score(images[0])[0], new NaiveScorer(m).score(images[0])[0],
        "the zero-shot term must change the scores");
  }

  /** The Gaussian branch of the prior term (enough base classes), fast against naive. */
  @Test
  void fastScorerEqualsTheNaiveForwardWithTheGaussianTerm() {
    SyntheticClip.Config cfg = SyntheticClip.Config.defaults().withClasses(24, 20).withDim(72).withShots(6)
        .withTestPerClass(1);
    FeaturesDataset data = SyntheticClip.generate(cfg);
    CandleFit.TrainingSet set = CandleFit.TrainingSet.of(data);
    CandleModel m = CandleFit.fit(set, CandleFitTest.hp().withMode(HyperParameters.Mode.ADAPTIVE, 64.0),
        CandleFit.Options.defaults().withDevice(Device.cpu()));
    assertTrue(m.stats().imageScatter() > 0, "the fit measures the scatter");
    GaussianPrior prior = GaussianPrior.of(m);
    assertFalse(prior.isZeroShot());
    assertEquals(m.stats().imageScatter(), prior.scatter());
    int d = data.dim();
    float[][] images = new float[data.testSize()][];
    for (int i = 0; i < images.length; i++) {
      images[i] = Arrays.copyOfRange(data.testFeatures(), i * d, (i + 1) * d);
    }
    assertFastEqualsNaive(m, images);
  }

  /** The fast scorer's scores of every image against the naive forward's. */
  private static void assertFastEqualsNaive(CandleModel m, float[][] images) {
    float[][] want = new NaiveScorer(m).score(images);
    try (FastScorer fast = FastScorer.prepare(m)) {
      float[][] got = fast.score(images);
      for (int i = 0; i < images.length; i++) {
        assertClose("image " + i, want[i], got[i], 1e-4, 1.0);
      }
    }
  }

  @Test
  void theModeTravelsWithTheModel() {
    CandleModel m = fitAdaptive();
    CandleModel back = ModelCodec.decode(ModelCodec.encode(m));
    assertEquals(HyperParameters.Mode.ADAPTIVE, back.hyper().mode());
    assertEquals(4.0, back.hyper().zeroShotWeight());
  }
}
