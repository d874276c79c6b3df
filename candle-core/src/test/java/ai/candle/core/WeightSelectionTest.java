package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip;
import ai.djl.Device;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Choosing the score weights on the training data: the leave-one-out estimates, the rule, the
 * head's split.
 */
class WeightSelectionTest {
  private static final double S = 100;

  private static CandleFit.TrainingSet training(FeaturesDataset data) {
    return data.trainingSet();
  }

  private static WeightSelection.Result select(
      CandleFit.TrainingSet set, WeightSelection.Settings settings) {
    double w = CandleFit.imageScatter(set, CandleFit.visualPrototypes(set));
    return WeightSelection.selectPrior(set, S, w, settings);
  }

  /** All-class HM (%) of a model on a dataset's test images. */
  static double testHm(CandleModel m, FeaturesDataset data) {
    float[][] scores;
    try (FastScorer scorer = FastScorer.prepare(m)) {
      scores = scorer.score(AdaptiveModeTest.testImages(data));
    }
    double[] hits = new double[2];
    double[] total = new double[2];
    for (int i = 0; i < scores.length; i++) {
      int y = data.testLabels()[i];
      int kind = y < data.baseClasses() ? 0 : 1;
      total[kind]++;
      hits[kind] += FastScorer.topK(scores[i], 1)[0] == y ? 1 : 0;
    }
    double base = hits[0] / total[0];
    double novel = hits[1] / total[1];
    return 100 * 2 * base * novel / (base + novel);
  }

  /**
   * The fast leave-one-out grid against a direct computation, image by image, for one candidate.
   */
  @Test
  void theGridScoresEveryImageAsTheDeployedModelWouldWithoutIt() {
    FeaturesDataset data =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(30, 20)
                .withDim(64)
                .withShots(5)
                .withImbalanceRatio(0.3)
                .withTestPerClass(1));
    CandleFit.TrainingSet set = training(data);
    WeightSelection.Settings settings = WeightSelection.Settings.defaults();
    WeightSelection.HeldOut held = WeightSelection.HeldOut.of(set, settings);
    double w = CandleFit.imageScatter(set, CandleFit.visualPrototypes(set));
    double[] n = new double[set.baseClasses()];
    for (int y : set.labels()) {
      n[y]++;
    }
    GaussianPrior prior =
        GaussianPrior.fit(
            CandleFit.visualPrototypes(set),
            n,
            set.baseClasses(),
            set.textFeatures(),
            set.numClasses(),
            set.dim(),
            w,
            2);
    WeightSelection.Grid grid = new WeightSelection.Grid(held, 50, 1);
    WeightSelection.Rows zs = WeightSelection.zeroShotRows(set, held, S);
    WeightSelection.Rows term = WeightSelection.termRows(prior, set, held);
    double lambda = 0.1;
    double beta = -1;
    WeightSelection.Candidate c = grid.score(zs, term, 2, lambda * S, lambda, beta);
    // direct: zero-shot logits + λ·s·G̃ + β on base classes; own class left out (base-like) or text
    // only (new-like)
    int cb = set.baseClasses();
    int d = set.dim();
    double[] baseHits = new double[cb];
    double[] newHits = new double[cb];
    CandleModel textOnly =
        CandleFit.untrained(set.classNames(), d, set.textFeatures(), HyperParameters.adaptive());
    for (int i = 0; i < held.size(); i++) {
      float[] x = Arrays.copyOfRange(set.features(), held.rows()[i] * d, (held.rows()[i] + 1) * d);
      int y = held.labels()[i];
      double[] zero = AdaptiveModeTest.zeroShot(textOnly, x);
      double[] g = prior.scores(x);
      double[] scores = new double[zero.length];
      for (int j = 0; j < zero.length; j++) {
        scores[j] = zero[j] + (j < cb ? lambda * S * g[j] + beta : 0);
      }
      double[] asNew = scores.clone();
      asNew[y] = zero[y];
      newHits[y] += argmax(asNew) == y ? 1 : 0;
      if (held.baseLike()[i]) {
        double[] asBase = scores.clone();
        asBase[y] = zero[y] + lambda * S * prior.leaveOneOut(x, y) + beta;
        baseHits[y] += argmax(asBase) == y ? 1 : 0;
      }
    }
    assertEquals(Arrays.toString(newHits), Arrays.toString(c.newHits()));
    assertEquals(Arrays.toString(baseHits), Arrays.toString(c.baseHits()));
    assertTrue(Arrays.stream(baseHits).sum() > 0 && Arrays.stream(newHits).sum() > 0);
  }

  private static int argmax(double[] a) {
    int best = 0;
    for (int j = 1; j < a.length; j++) {
      if (a[j] > a[best]) {
        best = j;
      }
    }
    return best;
  }

  /**
   * At the real protocol's shape (1,000 classes, 1–4 shots) the chosen weights do not lose to
   * zero-shot.
   */
  @Test
  void theChosenWeightsDoNotLoseToZeroShotOnTheTestImages() {
    FeaturesDataset data = SyntheticClip.generate(SyntheticClip.imagenetShape(4));
    CandleFit.TrainingSet set = training(data);
    WeightSelection.Result r = select(set, WeightSelection.Settings.defaults());
    CandleModel model = CandleFit.prototypesOnly(set, HyperParameters.adaptive(), Device.cpu());
    double zeroShot = testHm(model, data);
    double chosen = testHm(model.withWeights(r.weights()), data);
    System.out.printf(
        "imagenet-4shot: %s, test HM %.2f against zero-shot %.2f; %s%n",
        r.weights(), chosen, zeroShot, r.decision());
    assertEquals(250, r.baseLikeClasses());
    assertEquals(500, r.newLikeClasses());
    assertTrue(chosen >= zeroShot - 0.3, chosen + " vs " + zeroShot);
  }

  /**
   * Images that say nothing about their class (labels shuffled): no correction beats its noise,
   * zero-shot stays.
   */
  @Test
  void uninformativeImagesKeepZeroShot() {
    FeaturesDataset data =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(200, 100)
                .withDim(128)
                .withShots(8)
                .withImbalanceRatio(0.25)
                .withTestPerClass(2));
    CandleFit.TrainingSet set = training(data);
    int[] shuffled = set.labels().clone();
    Random r = new Random(3);
    for (int i = shuffled.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = shuffled[i];
      shuffled[i] = shuffled[j];
      shuffled[j] = t;
    }
    CandleFit.TrainingSet noise =
        new CandleFit.TrainingSet(
            set.features(),
            shuffled,
            set.dim(),
            set.classNames(),
            set.baseClasses(),
            set.textFeatures(),
            set.classCounts());
    WeightSelection.Result result = select(noise, WeightSelection.Settings.defaults());
    assertEquals(ScoreWeights.ZERO, result.weights(), result.decision());
    assertTrue(result.decision().startsWith("kept the reference"), result.decision());
    // the same images with their true labels earn a correction
    WeightSelection.Result informative = select(set, WeightSelection.Settings.defaults());
    assertNotEquals(ScoreWeights.ZERO, informative.weights(), informative.decision());
    assertTrue(informative.gain() > informative.standardError());
  }

  @Test
  void tooFewClassesToCrossValidateMeansZeroShot() {
    FeaturesDataset data =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(6, 3)
                .withDim(32)
                .withShots(1)
                .withTestPerClass(1));
    WeightSelection.Result r = select(training(data), WeightSelection.Settings.defaults());
    assertEquals(ScoreWeights.ZERO, r.weights());
    assertEquals(0, r.baseLikeClasses());
    assertTrue(r.decision().contains("too few classes"), r.decision());
    assertTrue(Double.isNaN(r.chosen().hm()));
  }

  @Test
  void theStandardErrorOfACandidateAgainstItselfIsZeroAndOtherwisePositive() {
    FeaturesDataset data =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(60, 40)
                .withDim(64)
                .withShots(6)
                .withImbalanceRatio(0.3)
                .withTestPerClass(1));
    CandleFit.TrainingSet set = training(data);
    WeightSelection.HeldOut held =
        WeightSelection.HeldOut.of(set, WeightSelection.Settings.defaults());
    WeightSelection.Grid grid = new WeightSelection.Grid(held, 100, 7);
    WeightSelection.Rows zs = WeightSelection.zeroShotRows(set, held, S);
    WeightSelection.Candidate zero = grid.score(zs, null, 0, 0, 0, 0);
    WeightSelection.Candidate offset = grid.score(zs, null, 1, 0, 0, -5);
    assertEquals(0, grid.standardError(zero, zero));
    assertTrue(grid.standardError(offset, zero) > 0);
    assertEquals(grid.standardError(offset, zero), grid.standardError(offset, zero), "seeded");
  }

  @Test
  void settingsRejectNonsense() {
    WeightSelection.Settings d = WeightSelection.Settings.defaults();
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new WeightSelection.Settings(
                new double[] {0},
                d.priorWeights(),
                d.headWeights(),
                d.baseOffsets(),
                20,
                200,
                0.25,
                1));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new WeightSelection.Settings(
                d.textWeights(),
                d.priorWeights(),
                d.headWeights(),
                new double[] {-1, 0},
                20,
                200,
                0.25,
                1));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new WeightSelection.Settings(
                d.textWeights(),
                d.priorWeights(),
                d.headWeights(),
                d.baseOffsets(),
                20,
                200,
                1.0,
                1));
    assertEquals(0, d.withoutHead().headWeights().length);
  }

  // ---------------------------------------------------------------- AdaptiveFit

  @Test
  void theHeadsSplitHoldsOutWholeClassesAndHalfOfTheOthers() {
    FeaturesDataset data =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(30, 20)
                .withDim(64)
                .withShots(6)
                .withImbalanceRatio(0.3)
                .withTestPerClass(1));
    CandleFit.TrainingSet set = training(data);
    AdaptiveFit.Split split = AdaptiveFit.Split.of(set, WeightSelection.Settings.defaults());
    CandleFit.TrainingSet fit = split.training();
    assertEquals(5, split.pseudoNew(), "a quarter of 20 base classes");
    assertEquals(15, fit.baseClasses());
    assertEquals(30, fit.numClasses());
    int[] heldPerClass = new int[20];
    for (int i = 0; i < split.held().size(); i++) {
      int y = split.held().labels()[i];
      heldPerClass[y]++;
      // the image's class in the split model is the class of the same name
      assertEquals(set.classNames().get(y), fit.classNames().get(split.modelLabels()[i]));
      assertEquals(
          split.modelLabels()[i] >= fit.baseClasses(),
          split.held().newLike()[i],
          "pseudo-new are new-like");
    }
    int[] counts = data.trainCounts();
    int[] kept = fit.size() == 0 ? new int[0] : new int[fit.numClasses()];
    for (int y : fit.labels()) {
      kept[y]++;
    }
    for (int j = 0; j < 20; j++) {
      int inModel = fit.classNames().indexOf(set.classNames().get(j));
      if (inModel >= fit.baseClasses()) {
        assertEquals(counts[j], heldPerClass[j], "pseudo-new class " + j + " is held out whole");
      } else {
        assertEquals(counts[j] / 2, heldPerClass[j], "class " + j + " holds out half");
        assertEquals(counts[j] - counts[j] / 2, kept[inModel]);
      }
    }
  }

  @Test
  void anAdaptiveFitFitsTheHeadOnlyWhenItEarnsAWeight() {
    FeaturesDataset data = AdaptiveModeTest.synthetic();
    HyperParameters hp = CandleFitTest.hp().withMode(HyperParameters.Mode.ADAPTIVE);
    CandleFit.Options cpu = CandleFit.Options.defaults().withDevice(Device.cpu());
    AdaptiveFit.Fitted f = AdaptiveFit.fit(training(data), hp, cpu);
    assertEquals(f.headFitted(), f.model().weights().usesHead());
    assertEquals(
        f.headFitted(),
        !f.model().stats().epochLoss().isEmpty(),
        "the head is fitted on all data iff used");
    assertTrue(f.head() != null || f.headNote() != null);
    assertTrue(
        f.model().stats().imageScatter() > 0, "the Gaussian term's scatter is measured either way");
    AdaptiveFit.Fitted noHead =
        AdaptiveFit.fit(training(data), hp, cpu, WeightSelection.Settings.defaults().withoutHead());
    assertFalse(noHead.headFitted());
    assertEquals("no head weights to try", noHead.headNote());
    assertEquals(
        f.prior().weights(), noHead.prior().weights(), "step 1 does not depend on the head");
    assertThrows(
        IllegalArgumentException.class,
        () -> AdaptiveFit.fit(training(data), CandleFitTest.hp(), cpu));
  }

  @Test
  void aHeadThatHelpsOnTheSplitIsKept() {
    // η's rule on made-up split scores: the head's scores point at the right class, so η > 0 wins
    FeaturesDataset data =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(30, 20)
                .withDim(64)
                .withShots(6)
                .withImbalanceRatio(0.3)
                .withTestPerClass(1));
    AdaptiveFit.Split split =
        AdaptiveFit.Split.of(training(data), WeightSelection.Settings.defaults());
    WeightSelection.Grid grid = new WeightSelection.Grid(split.held(), 100, 1);
    int m = split.held().size();
    int c = split.training().numClasses();
    int cb = split.training().baseClasses();
    float[] scores = new float[m * c];
    float[] head = new float[m * cb];
    Random r = new Random(1);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < c; j++) {
        scores[i * c + j] = (float) r.nextGaussian();
      }
      int y = split.modelLabels()[i];
      if (y < cb) {
        head[i * cb + y] = 10;
      }
    }
    WeightSelection.Candidate without =
        grid.scoreModel(scores, head, c, cb, split.modelLabels(), ScoreWeights.ZERO);
    WeightSelection.Candidate with =
        grid.scoreModel(scores, head, c, cb, split.modelLabels(), new ScoreWeights(1, 0, 1, 0));
    assertEquals(1.0, with.estimate().base(), 1e-12, "the head finds every base-like image");
    assertTrue(with.estimate().base() > without.estimate().base());
    assertEquals(
        List.of(without.estimate().novel()),
        List.of(with.estimate().novel()),
        "new-like images' own classes are text only: the head cannot help them here");
    // base-like and new-like classes are disjoint in the split: the bootstrap draws from both
    double se = grid.standardError(with, without);
    assertTrue(se > 0 && Double.isFinite(se), "standard error " + se);
  }
}
