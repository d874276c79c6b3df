package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The image-evidence term: its formula on hand-made numbers (expected values computed independently
 * with numpy from the formula in the class documentation), its leave-one-out form, its linear form
 * and its edge cases.
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
   * Three base classes, in the first 2 of D dims: a with images (4,0) and (2,0), b with (0,2), c
   * with (−2,−2); one new class d. Texts (1,0), (0,3), (−1,−1), (3,4).
   */
  private static CandleFit.TrainingSet tinySet() {
    float[] images = pad(new float[] {4, 0, 2, 0, 0, 2, -2, -2}, 2);
    float[] text = pad(new float[] {1, 0, 0, 3, -1, -1, 3, 4}, 2);
    return new CandleFit.TrainingSet(
        images,
        new int[] {0, 0, 1, 2},
        D,
        List.of("a", "b", "c", "d"),
        3,
        text,
        new float[] {2, 1, 1, 0});
  }

  /** A model of a training set: its visual prototypes, initial parameters and measured scatter. */
  private static CandleModel model(CandleFit.TrainingSet set, boolean measured) {
    float[] visual = CandleFit.visualPrototypes(set);
    CandleParameters p = CandleFit.initialParameters(set, HyperParameters.adaptive(), visual);
    double w = measured ? CandleFit.imageScatter(set, visual) : 0;
    return new CandleModel(
        set.classNames(),
        set.baseClasses(),
        set.dim(),
        set.textFeatures(),
        visual,
        set.classCounts(),
        p,
        HyperParameters.adaptive(),
        FitStats.none("cpu").withImageScatter(w),
        ScoreWeights.ZERO);
  }

  @Test
  void theFitMeasuresThePooledWithinClassScatter() {
    CandleFit.TrainingSet set = tinySet();
    // only class a has two images: |(4,0) − (3,0)|² + |(2,0) − (3,0)|² over 1 degree of freedom
    assertEquals(2.0, CandleFit.imageScatter(set, CandleFit.visualPrototypes(set)), 1e-12);
    CandleFit.TrainingSet singles =
        new CandleFit.TrainingSet(
            pad(new float[] {4, 0, 0, 2}, 2),
            new int[] {0, 1},
            D,
            List.of("a", "b"),
            2,
            pad(new float[] {1, 0, 0, 1}, 2),
            new float[] {1, 1});
    assertEquals(0.0, CandleFit.imageScatter(singles, CandleFit.visualPrototypes(singles)));
  }

  /**
   * Expected values from an independent numpy implementation of the class documentation's formulas.
   */
  @Test
  void theTermIsWhatTheImagesAddToTheTextOnHandMadeNumbers() {
    GaussianPrior prior = GaussianPrior.of(model(tinySet(), true), 8);
    assertFalse(prior.isEmpty());
    assertEquals(3, prior.baseClasses());
    // weighted fit of the prototypes (3,0), (0,2), (−2,−2) on the centred texts, weights 8n/(8+n)
    float[] centre = prior.centre();
    assertEquals(0.7227658238954295, centre[0], 1e-6);
    assertEquals(0.5239416061372888, centre[1], 1e-6);
    assertEquals(2.6711797702212783, prior.textToImage(), 1e-6);
    assertEquals(2.0, prior.scatter(), 1e-12);
    float[] x = pad(new float[] {1, 2.5f}, 2);
    assertScores(
        new double[] {-0.02524012613630271, -0.0028895823298229458, -0.08488162910446204},
        prior.scores(x));
    // a lighter text weight lets the images speak louder
    GaussianPrior light = GaussianPrior.of(model(tinySet(), true), 2);
    assertEquals(0.7054658219787021, light.centre()[0], 1e-6);
    assertEquals(2.658503901046646, light.textToImage(), 1e-6);
    assertScores(
        new double[] {-0.22562245335738312, 0.022235787715878128, -0.5647937505777004},
        light.scores(x));
  }

  @Test
  void leaveOneOutScoresAnImageWithoutItselfInItsClass() {
    float[] image = pad(new float[] {4, 0}, 2); // class a's first image; its other is (2, 0)
    assertEquals(
        -0.04564098741929393,
        GaussianPrior.of(model(tinySet(), true), 8).leaveOneOut(image, 0),
        1e-6);
    assertEquals(
        -0.09926255352513245,
        GaussianPrior.of(model(tinySet(), true), 2).leaveOneOut(image, 0),
        1e-6);
    GaussianPrior prior = GaussianPrior.of(model(tinySet(), true), 8);
    assertTrue(
        prior.leaveOneOut(image, 0) < prior.scores(image)[0], "an image speaks for its own class");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> prior.leaveOneOut(pad(new float[] {0, 2}, 2), 1));
    assertTrue(e.getMessage().contains("none left"), e.getMessage());
  }

  private static void assertScores(double[] expected, double[] actual) {
    assertEquals(expected.length, actual.length);
    for (int j = 0; j < expected.length; j++) {
      assertEquals(expected[j], actual[j], 1e-6, "class " + j);
    }
  }

  @Test
  void theLinearFormEqualsTheFormula() {
    GaussianPrior prior = GaussianPrior.of(model(spanSet(), true), 2);
    float[] a = prior.weights();
    float[] sq = prior.squareWeights();
    float[] b = prior.biases();
    float[] centre = prior.centre();
    int cb = prior.baseClasses();
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
      for (int j = 0; j < cb; j++) {
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
    float[] text =
        pad(
            new float[] {
              3, 1, 1, 3, 1,
              2, 2, -2, -3, -1,
              -2, 3, 3, -3, 0,
              2, -3, 2, -3, 0,
              2, -1, -1, -2, 2,
              -2, 3, 0, 0, 0
            },
            5);
    float[] images =
        pad(
            new float[] {
              1, 0, 0, 3, 2, 6,
              1, 1, -1, 3, 0, 2,
              2, -2, 3, 1, -3, 1,
              0, -3, -3, 0, 3, 4,
              2, 3, 2, 1, 0, 4,
              -2, 0, -1, -2, 3, 1,
              -3, -2, 3, 1, 3, 2
            },
            6);
    return new CandleFit.TrainingSet(
        images,
        new int[] {0, 0, 0, 1, 1, 2, 3},
        D,
        List.of("a", "b", "c", "d", "e", "f"),
        4,
        text,
        new float[] {3, 2, 1, 1, 0, 0});
  }

  @Test
  void theCentreIsShrunkInTheTextSpanByJamesStein() {
    GaussianPrior shrunk = GaussianPrior.of(model(spanSet(), true), 8);
    // the weighted fit's centre is (−0.333, −0.463, 0.376, 0.615, 1.372, 2.808, 0, 0); its part in
    // the 5-dimensional text span is kept at f, the part outside (dimension 5) whole
    double[] js = {
      -0.18826802066808737,
      -0.2613632630294792,
      0.21264974759270028,
      0.3475394106220792,
      0.7749528669064178,
      2.808139534883721,
      0,
      0
    };
    for (int k = 0; k < D; k++) {
      assertEquals(js[k], shrunk.centre()[k], 1e-5, "shrunk, dimension " + k);
    }
    assertEquals(0.564860636819049, shrunk.centreShrinkage(), 1e-6);
    assertEquals(1.7025824230389037, shrunk.textToImage(), 1e-6);
    assertEquals(26.944444444444446, shrunk.scatter(), 1e-9);
    assertScores(
        new double[] {
          0.009139537692398851, 0.029148413089703992, -0.017354912665809543, 0.000946836470506046
        },
        shrunk.scores(new float[] {1, -1, 2, 0, 1, 4, 0, 0}));
  }

  @Test
  void aSpanOfTwoDimensionsLeavesTheCentreAlone() {
    // James–Stein needs p >= 3; tinySet's centred texts span 2 dimensions
    GaussianPrior prior = GaussianPrior.of(model(tinySet(), true), 8);
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
    assertEquals(
        6, GaussianPrior.orthonormalBasis(new double[] {1, 2, 0, 2, 4, 0, 0, 0, 1}, 3, 3).length);
  }

  @Test
  void anUnmeasuredScatterIsEstimatedFromThePrototypes() {
    // E|m'_c − α t'_c|² = W/k + W/n_c, averaged over the three base classes
    GaussianPrior prior = GaussianPrior.of(model(tinySet(), false), 8);
    assertEquals(0.13262107585674607, prior.scatter(), 1e-7);
    assertEquals(2.6711797702212783, prior.textToImage(), 1e-6);
  }

  @Test
  void aClassWithManyImagesIsItsImages() {
    CandleFit.TrainingSet set = tinySet();
    float[] counts = {10_000, 1, 1, 0};
    CandleModel m =
        model(
            new CandleFit.TrainingSet(
                set.features(), set.labels(), D, set.classNames(), 3, set.textFeatures(), counts),
            true);
    GaussianPrior prior = GaussianPrior.of(m, 8);
    // n_a is capped at maxPerClass = 100: the term near class a's prototype (3,0) is its images'
    // Gaussian
    // against the text's, and grows as the image moves from the mapped text to the prototype
    float[] centre = prior.centre();
    double[] atPrototype = prior.scores(pad(new float[] {3, 0}, 2));
    double[] atText =
        prior.scores(
            pad(new float[] {centre[0] + (float) (prior.textToImage() * 0.5), centre[1]}, 2));
    assertTrue(atPrototype[0] > atText[0], atPrototype[0] + " vs " + atText[0]);
  }

  @Test
  void withFewerThanTwoBaseClassesTheTermIsZero() {
    float[] text = pad(new float[] {3, 4, 0, 0, 0, 2, -1, 0, 0}, 3);
    CandleModel none =
        CandleFit.untrained(List.of("a", "b", "c"), D, text, HyperParameters.adaptive());
    GaussianPrior prior = GaussianPrior.of(none, 8);
    assertTrue(prior.isEmpty());
    assertEquals(0, prior.scores(pad(new float[] {1, 2, 2}, 3)).length);
    CandleFit.TrainingSet one =
        new CandleFit.TrainingSet(
            pad(new float[] {1, 2, 2, 2, 1, 2}, 3),
            new int[] {0, 0},
            D,
            List.of("a", "b", "c"),
            1,
            text,
            new float[] {2, 0, 0});
    GaussianPrior single = GaussianPrior.of(model(one, true), 8);
    assertTrue(single.isEmpty());
    assertArrayEquals(new double[] {0}, single.scores(pad(new float[] {1, 2, 2}, 3)));
  }

  @Test
  void theInSpanShortcutOfAFullBasisEqualsTheProducts() {
    java.util.Random rnd = new java.util.Random(11);
    int d = 8;
    double[] rows = new double[20 * d];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = rnd.nextGaussian();
    }
    double[] full = GaussianPrior.orthonormalBasis(rows, 20, d);
    assertEquals(d * d, full.length, "20 random rows span all 8 directions");
    double[] partial = GaussianPrior.orthonormalBasis(rows, 5, d);
    double[] r = new double[d];
    for (int i = 0; i < d; i++) {
      r[i] = rnd.nextGaussian();
    }
    double products = 0;
    for (int q = 0; q < d; q++) {
      double along = 0;
      for (int i = 0; i < d; i++) {
        along += full[q * d + i] * r[i];
      }
      products += along * along;
    }
    assertEquals(products, GaussianPrior.inSpanSquares(full, r, d), 1e-9);
    double inFive = GaussianPrior.inSpanSquares(partial, r, d);
    assertTrue(inFive < products, "a 5-dimensional span holds less of r: " + inFive);
  }
}
