package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ADAPTIVE prior term: its formula on hand-made numbers (expected values computed
 * independently with numpy from the formula in the class documentation), its linear form, its
 * fallbacks, and what it is for on synthetic CLIP.
 */
class GaussianPriorTest {

  /** The head needs D divisible by its 8 heads: hand-made 2-wide rows are padded with zeros. */
  static final int D = 8;

  private static float[] pad(float[] rows, int width) {
    float[] out = new float[rows.length / width * D];
    for (int r = 0; r < rows.length / width; r++) {
      System.arraycopy(rows, r * width, out, r * D, width);
    }
    return out;
  }

  /**
   * Three base classes, in the first 2 of D dims: a with images (4,0) and (2,0), b with (0,2),
   * c with (−2,−2); one new class d. Texts (1,0), (0,3), (−1,−1), (3,4).
   */
  private static CandleFit.TrainingSet tinySet() {
    float[] images = pad(new float[] {4, 0, 2, 0, 0, 2, -2, -2}, 2);
    float[] text = pad(new float[] {1, 0, 0, 3, -1, -1, 3, 4}, 2);
    return new CandleFit.TrainingSet(images, new int[] {0, 0, 1, 2}, D, List.of("a", "b", "c", "d"), 3, text,
        new float[] {2, 1, 1, 0});
  }

  /** A model of a training set: its visual prototypes, initial parameters and measured scatter. */
  private static CandleModel model(CandleFit.TrainingSet set, boolean measured) {
    float[] visual = CandleFit.visualPrototypes(set);
    CandleParameters p = CandleFit.initialParameters(set, HyperParameters.adaptive(), visual);
    double w = measured ? CandleFit.imageScatter(set, visual) : 0;
    return new CandleModel(set.classNames(), set.baseClasses(), set.dim(), set.textFeatures(), visual,
        set.classCounts(), p, HyperParameters.adaptive(), FitStats.none("cpu").withImageScatter(w));
  }

  @Test
  void theFitMeasuresThePooledWithinClassScatter() {
    CandleFit.TrainingSet set = tinySet();
    // only class a has two images: |(4,0) − (3,0)|² + |(2,0) − (3,0)|² over 1 degree of freedom
    assertEquals(2.0, CandleFit.imageScatter(set, CandleFit.visualPrototypes(set)), 1e-12);
    CandleFit.TrainingSet singles = new CandleFit.TrainingSet(pad(new float[] {4, 0, 0, 2}, 2), new int[] {0, 1}, D,
        List.of("a", "b"), 2, pad(new float[] {1, 0, 0, 1}, 2), new float[] {1, 1});
    assertEquals(0.0, CandleFit.imageScatter(singles, CandleFit.visualPrototypes(singles)));
  }

  @Test
  void classMeansBlendMappedTextAndImagesByCount() {
    GaussianPrior prior = GaussianPrior.of(model(tinySet(), true), 2);
    assertFalse(prior.isZeroShot());
    // weighted fit of the prototypes (3,0), (0,2), (−2,−2) on the centred texts, weights 8n/(8+n)
    float[] centre = prior.centre();
    assertEquals(0.7227658238954295, centre[0], 1e-6);
    assertEquals(0.5239416061372888, centre[1], 1e-6);
    assertEquals(2.6711797702212783, prior.textToImage(), 1e-6);
    assertEquals(2.0, prior.scatter(), 1e-12);
    double[] means = prior.means();
    double[][] expected = {
        {2.1153749907854857, -0.6886511726487601},
        {-0.6103247144466601, 1.8896520046022127},
        {-2.511488562706029, -2.6081160838538477},
        {1.006438286367203, 1.4071152519003947}};
    for (int j = 0; j < 4; j++) {
      assertEquals(expected[j][0], means[j * D], 1e-6, "class " + j);
      assertEquals(expected[j][1], means[j * D + 1], 1e-6, "class " + j);
      for (int k = 2; k < D; k++) {
        assertEquals(0.0, means[j * D + k], 1e-12);
      }
    }
    // σ²_c = W(1 + 1/(8 + n_c)): the new class's is the widest
    double[] var = prior.variances();
    assertEquals(2.2, var[0], 1e-12);
    assertEquals(2.0 * (1 + 1.0 / 9), var[1], 1e-12);
    assertEquals(2.0 * (1 + 1.0 / 9), var[2], 1e-12);
    assertEquals(2.25, var[3], 1e-12);
    double[] term = prior.scores(pad(new float[] {1, 2.5f}, 2));
    double[] expectedTerm = {-1.4339293189163322, 0.7638100923921485, -5.535380651864113, 0.7464282214363072};
    for (int j = 0; j < 4; j++) {
      assertEquals(expectedTerm[j], term[j], 1e-6, "class " + j);
    }
  }

  @Test
  void theLinearFormEqualsTheFormula() {
    GaussianPrior prior = GaussianPrior.of(model(tinySet(), true), 2);
    float[] a = prior.weights();
    float[] sq = prior.squareWeights();
    float[] b = prior.biases();
    float[] centre = prior.centre();
    java.util.Random r = new java.util.Random(3);
    for (int trial = 0; trial < 20; trial++) {
      float[] x = new float[D];
      for (int k = 0; k < D; k++) {
        x[k] = (float) (3 * r.nextGaussian());
      }
      double[] term = prior.scores(x);
      double xx = 0;
      for (int k = 0; k < D; k++) {
        xx += (x[k] - centre[k]) * (x[k] - centre[k]);
      }
      for (int j = 0; j < 4; j++) {
        double lin = xx * sq[j] + b[j];
        for (int k = 0; k < D; k++) {
          lin += (x[k] - centre[k]) * a[j * D + k];
        }
        assertEquals(term[j], lin, 1e-4 * Math.max(1, Math.abs(term[j])), "class " + j);
      }
    }
  }

  /**
   * Six classes, four base, in D = 8: texts span 5 dimensions once centred (p = 5), the images
   * carry an offset along dimension 5, outside that span. Expected values from numpy.
   */
  private static CandleFit.TrainingSet spanSet() {
    float[] text = pad(new float[] {
        3, 1, 1, 3, 1,
        2, 2, -2, -3, -1,
        -2, 3, 3, -3, 0,
        2, -3, 2, -3, 0,
        2, -1, -1, -2, 2,
        -2, 3, 0, 0, 0}, 5);
    float[] images = pad(new float[] {
        1, 0, 0, 3, 2, 6,
        1, 1, -1, 3, 0, 2,
        2, -2, 3, 1, -3, 1,
        0, -3, -3, 0, 3, 4,
        2, 3, 2, 1, 0, 4,
        -2, 0, -1, -2, 3, 1,
        -3, -2, 3, 1, 3, 2}, 6);
    return new CandleFit.TrainingSet(images, new int[] {0, 0, 0, 1, 1, 2, 3}, D,
        List.of("a", "b", "c", "d", "e", "f"), 4, text, new float[] {3, 2, 1, 1, 0, 0});
  }

  @Test
  void theCentreIsShrunkInTheTextSpanByJamesStein() {
    CandleModel m = model(spanSet(), true);
    GaussianPrior fitted = GaussianPrior.of(m, 2, false);
    GaussianPrior shrunk = GaussianPrior.of(m, 2);
    double[] gls = {-0.33329994762654747, -0.46270397686289066, 0.376464093497848, 0.6152657628600382,
        1.3719363970385343, 2.808139534883721, 0, 0};
    double[] js = {-0.18826802066808737, -0.2613632630294792, 0.21264974759270028, 0.3475394106220792,
        0.7749528669064178, 2.808139534883721, 0, 0};
    for (int k = 0; k < D; k++) {
      assertEquals(gls[k], fitted.centre()[k], 1e-5, "weighted fit, dimension " + k);
      assertEquals(js[k], shrunk.centre()[k], 1e-5, "shrunk, dimension " + k);
    }
    assertEquals(1.0, fitted.centreShrinkage());
    assertEquals(0.564860636819049, shrunk.centreShrinkage(), 1e-6);
    assertEquals(1.7025824230389037, shrunk.textToImage(), 1e-6);
    assertEquals(26.944444444444446, shrunk.scatter(), 1e-9);
    double[] term = shrunk.scores(new float[] {1, -1, 2, 0, 1, 4, 0, 0});
    double[] expected = {-0.06131242505594984, -0.08463216742107352, -0.09602750843497487,
        -0.0020587949268471364, -0.06051995926350111, -0.18453709259119683};
    for (int j = 0; j < expected.length; j++) {
      assertEquals(expected[j], term[j], 1e-6, "class " + j);
    }
  }

  @Test
  void aSpanOfTwoDimensionsLeavesTheCentreAlone() {
    // James–Stein needs p >= 3; tinySet's centred texts span 2 dimensions
    GaussianPrior prior = GaussianPrior.of(model(tinySet(), true), 2);
    assertEquals(1.0, prior.centreShrinkage());
    assertEquals(0.7227658238954295, prior.centre()[0], 1e-6);
  }

  @Test
  void theBasisSpansTheRowsAndSkipsDependentOnes() {
    // rows (1,0,0), (1,1,0), (2,1,0) (dependent), (0,0,0), (0,0,2)
    double[] rows = {1, 0, 0, 1, 1, 0, 2, 1, 0, 0, 0, 0, 0, 0, 2};
    double[] basis = GaussianPrior.orthonormalBasis(rows, 5, 3);
    assertEquals(9, basis.length, "rank 3");
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        double dot = 0;
        for (int k = 0; k < 3; k++) {
          dot += basis[i * 3 + k] * basis[j * 3 + k];
        }
        assertEquals(i == j ? 1.0 : 0.0, dot, 1e-12);
      }
    }
    assertEquals(6, GaussianPrior.orthonormalBasis(new double[] {1, 2, 0, 2, 4, 0, 0, 0, 1}, 3, 3).length);
  }

  @Test
  void anUnmeasuredScatterIsEstimatedFromThePrototypes() {
    // E|m'_c − α t'_c|² = W/8 + W/n_c, averaged over the three base classes
    GaussianPrior prior = GaussianPrior.of(model(tinySet(), false), 2);
    assertEquals(0.13262107585674607, prior.scatter(), 1e-7);
    assertEquals(2.6711797702212783, prior.textToImage(), 1e-6);
  }

  @Test
  void aClassWithManyImagesIsItsImages() {
    CandleFit.TrainingSet set = tinySet();
    float[] counts = {10_000, 1, 1, 0};
    CandleModel m = model(new CandleFit.TrainingSet(set.features(), set.labels(), D, set.classNames(), 3,
        set.textFeatures(), counts), true);
    GaussianPrior prior = GaussianPrior.of(m, 2);
    double[] means = prior.means();
    // class a's mean (relative to the centre) is nearly its prototype (3,0): 100 images against a text worth 8
    float[] centre = prior.centre();
    assertEquals(3.0, centre[0] + means[0], 0.15);
    assertEquals(0.0, centre[1] + means[1], 0.15);
    assertEquals(2.0 * (1 + 1.0 / 108), prior.variances()[0], 1e-12, "n_c is capped at maxPerClass = 100");
  }

  @Test
  void withFewBaseClassesTheTermIsZeroShot() {
    CandleModel three = model(tinySet(), true);
    assertTrue(GaussianPrior.of(three).isZeroShot(), "3 base classes < " + GaussianPrior.MIN_BASE_CLASSES);
    assertFalse(GaussianPrior.of(three, 3).isZeroShot());
    assertTrue(GaussianPrior.of(three, 4).isZeroShot());
    double[] cos = GaussianPrior.of(three).scores(pad(new float[] {0, 3}, 2));
    assertEquals(1.0, cos[1], 1e-6, "text b is (0, 3)");
    assertEquals(0.8, cos[3], 1e-6, "text d is (3, 4)");
  }

  @Test
  void withoutBaseClassesTheTermIsZeroShot() {
    float[] text = pad(new float[] {3, 4, 0, 0, 0, 2, -1, 0, 0}, 3);
    CandleModel m = CandleFit.untrained(List.of("a", "b", "c"), D, text, HyperParameters.adaptive());
    GaussianPrior prior = GaussianPrior.of(m);
    assertTrue(prior.isZeroShot());
    float[] image = pad(new float[] {1, 2, 2}, 3);
    double[] cos = prior.scores(image);
    assertEquals(11.0 / 15, cos[0], 1e-6);
    assertEquals(2.0 / 3, cos[1], 1e-6);
    assertEquals(-1.0 / 3, cos[2], 1e-6);
  }

  /**
   * On synthetic CLIP (lt-16shot), the shrunk centre is nearer the image centre of all 100 classes
   * (the mean of their test images' means) than the weighted fit's (numpy: 0.29 against 0.59).
   */
  @Test
  void onSyntheticClipTheShrunkCentreIsNearerTheTrueOne() {
    FeaturesDataset data = SyntheticClip.generate(SyntheticClip.benchmarks().get("lt-16shot"));
    CandleFit.TrainingSet set = CandleFit.TrainingSet.of(data);
    CandleModel m = model(set, true);
    int d = set.dim();
    int c = m.numClasses();
    double[] sums = new double[c * d];
    int[] per = new int[c];
    for (int i = 0; i < data.testLabels().length; i++) {
      int y = data.testLabels()[i];
      per[y]++;
      for (int k = 0; k < d; k++) {
        sums[y * d + k] += data.testFeatures()[i * d + k];
      }
    }
    double[] truth = new double[d];
    for (int j = 0; j < c; j++) {
      for (int k = 0; k < d; k++) {
        truth[k] += sums[j * d + k] / per[j] / c;
      }
    }
    GaussianPrior shrunk = GaussianPrior.of(m);
    double f = shrunk.centreShrinkage();
    assertTrue(f > 0 && f < 0.5, "shrinkage factor " + f);
    double fitted = distance(GaussianPrior.of(m, GaussianPrior.MIN_BASE_CLASSES, false).centre(), truth);
    double js = distance(shrunk.centre(), truth);
    assertTrue(js < 0.7 * fitted, "shrunk " + js + " against fitted " + fitted);
  }

  private static double distance(float[] a, double[] b) {
    double s = 0;
    for (int k = 0; k < b.length; k++) {
      s += (a[k] - b[k]) * (a[k] - b[k]);
    }
    return Math.sqrt(s);
  }

  /**
   * On synthetic CLIP (lt-4shot), ranking all 100 classes with the term alone: new classes are
   * predicted about as often as zero-shot predicts them, and base classes gain from their images.
   */
  @Test
  void onSyntheticClipNewClassesArePredictedAndBaseClassesGain() {
    FeaturesDataset data = SyntheticClip.generate(SyntheticClip.benchmarks().get("lt-4shot"));
    CandleFit.TrainingSet set = CandleFit.TrainingSet.of(data);
    CandleModel m = model(set, true);
    GaussianPrior prior = GaussianPrior.of(m);
    int cb = set.baseClasses();
    int d = set.dim();
    int[] zs = ZeroShot.predict(data.testFeatures(), data.testLabels().length, set.textFeatures(), m.numClasses(), d);
    int[] right = new int[4]; // prior base, prior new, zero-shot base, zero-shot new
    int[] total = new int[2];
    for (int i = 0; i < data.testLabels().length; i++) {
      double[] term = prior.scores(Arrays.copyOfRange(data.testFeatures(), i * d, (i + 1) * d));
      int best = 0;
      for (int j = 1; j < term.length; j++) {
        if (term[j] > term[best]) {
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
    assertTrue(base >= zsBase + 0.03, "base " + base + " against zero-shot " + zsBase);
  }
}
