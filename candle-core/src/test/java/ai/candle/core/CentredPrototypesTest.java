package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The ADAPTIVE prior term: its formula on hand-made numbers, and what it is for on synthetic CLIP. */
class CentredPrototypesTest {

  /** The head needs D divisible by its 8 heads: hand-made 2- and 3-wide rows are padded with zeros. */
  static final int D = 8;

  private static float[] pad(float[] rows, int width) {
    float[] out = new float[rows.length / width * D];
    for (int r = 0; r < rows.length / width; r++) {
      System.arraycopy(rows, r * width, out, r * D, width);
    }
    return out;
  }

  /** Two base classes (one image each, counts 1 and 3) and one new class, in the first 2 of D dims. */
  private static CandleModel tiny() {
    float[] text = pad(new float[] {1, 0, 0, 2, 3, 4}, 2); // normalised: (1,0), (0,1), (0.6,0.8)
    return model(new CandleFit.TrainingSet(pad(new float[] {4, 0, 0, 2}, 2), new int[] {0, 1}, D,
        List.of("a", "b", "c"), 2, text, new float[] {1, 3, 0}));
  }

  /** A model of a training set with its visual prototypes and initial parameters: all the term reads. */
  private static CandleModel model(CandleFit.TrainingSet set) {
    float[] visual = CandleFit.visualPrototypes(set);
    CandleParameters p = CandleFit.initialParameters(set, HyperParameters.adaptive(), visual);
    return new CandleModel(set.classNames(), set.baseClasses(), set.dim(), set.textFeatures(), visual,
        set.classCounts(), p, HyperParameters.adaptive(), FitStats.none("cpu"));
  }

  @Test
  void prototypesBlendCentredTextAndCentredImagesByCount() {
    CentredPrototypes prior = CentredPrototypes.of(tiny());
    // μ_I = (1·(4,0) + 3·(0,2)) / 4 = (1, 1.5); μ_T = ((1,0) + (0,1)) / 2 = (0.5, 0.5)
    float[] centre = prior.imageCentre();
    assertEquals(1.0, centre[0], 1e-6);
    assertEquals(1.5, centre[1], 1e-6);
    float[] q = prior.prototypes();
    // class a: 4·n((0.5,−0.5)) + 1·n((3,−1.5))
    double ax = 4 * Math.sqrt(0.5) + 3 / Math.sqrt(11.25);
    double ay = -4 * Math.sqrt(0.5) - 1.5 / Math.sqrt(11.25);
    double an = Math.hypot(ax, ay);
    assertEquals(ax / an, q[0], 1e-6);
    assertEquals(ay / an, q[1], 1e-6);
    // class b: 4·n((−0.5,0.5)) + 3·n((−1,0.5))
    double bx = -4 * Math.sqrt(0.5) - 3 / Math.sqrt(1.25);
    double by = 4 * Math.sqrt(0.5) + 1.5 / Math.sqrt(1.25);
    double bn = Math.hypot(bx, by);
    assertEquals(bx / bn, q[D], 1e-6);
    assertEquals(by / bn, q[D + 1], 1e-6);
    // class c (new, no images): n((0.6,0.8) − (0.5,0.5)) = n((0.1,0.3))
    assertEquals(0.1 / Math.hypot(0.1, 0.3), q[2 * D], 1e-6);
    assertEquals(0.3 / Math.hypot(0.1, 0.3), q[2 * D + 1], 1e-6);
    double[] cos = prior.cosines(pad(new float[] {1, 2.5f}, 2)); // x − μ_I = (0, 1)
    assertEquals(q[1], cos[0], 1e-6);
    assertEquals(q[D + 1], cos[1], 1e-6);
    assertEquals(q[2 * D + 1], cos[2], 1e-6);
  }

  private static float[] counts(int[] n) {
    float[] out = new float[n.length];
    for (int i = 0; i < n.length; i++) {
      out[i] = n[i];
    }
    return out;
  }

  @Test
  void withoutBaseClassesTheTermIsZeroShot() {
    float[] text = pad(new float[] {3, 4, 0, 0, 0, 2, -1, 0, 0}, 3);
    CandleModel m = CandleFit.untrained(List.of("a", "b", "c"), D, text, HyperParameters.adaptive());
    CentredPrototypes prior = CentredPrototypes.of(m);
    float[] image = pad(new float[] {1, 2, 2}, 3);
    double[] cos = prior.cosines(image);
    assertEquals(11.0 / 15, cos[0], 1e-6);
    assertEquals(2.0 / 3, cos[1], 1e-6);
    assertEquals(-1.0 / 3, cos[2], 1e-6);
  }

  /**
   * On synthetic CLIP (lt-4shot), ranking all 100 classes with the term alone: new classes are
   * predicted about as often as zero-shot predicts them, and base classes gain from their images.
   */
  @Test
  void onSyntheticClipNewClassesArePredictedAndBaseClassesGain() {
    FeaturesDataset data = SyntheticClip.generate(SyntheticClip.benchmarks().get("lt-4shot"));
    CandleFit.TrainingSet set = new CandleFit.TrainingSet(data.trainFeatures(), data.trainLabels(), data.dim(),
        data.classNames(), data.baseClasses(), data.textFeatures(), counts(data.trainCounts()));
    CandleModel m = model(set);
    CentredPrototypes prior = CentredPrototypes.of(m);
    int cb = set.baseClasses();
    int d = set.dim();
    int[] zs = ZeroShot.predict(data.testFeatures(), data.testLabels().length, set.textFeatures(), m.numClasses(), d);
    int[] right = new int[4]; // prior base, prior new, zero-shot base, zero-shot new
    int[] total = new int[2];
    for (int i = 0; i < data.testLabels().length; i++) {
      float[] x = java.util.Arrays.copyOfRange(data.testFeatures(), i * d, (i + 1) * d);
      double[] cos = prior.cosines(x);
      int best = 0;
      for (int j = 1; j < cos.length; j++) {
        if (cos[j] > cos[best]) {
          best = j;
        }
      }
      int y = data.testLabels()[i];
      int split = y < cb ? 0 : 1;
      total[split]++;
      right[split] += best == y ? 1 : 0;
      right[2 + split] += zs[i] == y ? 1 : 0;
    }
    double base = right[0] / (double) total[0];
    double fresh = right[1] / (double) total[1];
    double zsBase = right[2] / (double) total[0];
    double zsNew = right[3] / (double) total[1];
    assertTrue(fresh >= 0.9 * zsNew, "new " + fresh + " against zero-shot " + zsNew);
    assertTrue(base >= zsBase + 0.02, "base " + base + " against zero-shot " + zsBase);
  }
}
