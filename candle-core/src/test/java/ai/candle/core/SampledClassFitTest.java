package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sampled-class step: its class set, its correction, and fits that use it. */
class SampledClassFitTest {
  static final int D = 32;

  @Test
  void theClassSetHoldsTheBatchClassesThenMOthersWithoutDuplicates() {
    Random rnd = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int c = 5 + rnd.nextInt(60);
      int[] labels = new int[1 + rnd.nextInt(12)];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = rnd.nextInt(c);
      }
      int m = rnd.nextInt(20);
      ClassSample s = ClassSample.draw(labels, c, m, rnd);
      int[] own = Arrays.stream(labels).distinct().sorted().toArray();
      int[] classes = s.classes();
      assertEquals(own.length, s.own());
      assertArrayEquals(own, Arrays.copyOf(classes, own.length), "the batch's classes come first");
      int rest = c - own.length;
      assertEquals(own.length + Math.min(m, rest), classes.length);
      assertEquals(classes.length, Arrays.stream(classes).distinct().count(), "no duplicates");
      for (int j = own.length; j < classes.length; j++) {
        assertTrue(classes[j] >= 0 && classes[j] < c);
        assertTrue(Arrays.binarySearch(own, classes[j]) < 0, "a drawn class is the batch's");
      }
      assertEquals(rest == 0 ? 1.0 : Math.min(m, rest) / (double) rest, s.inclusion(), 1e-12);
      int[] at = s.positions(labels);
      for (int i = 0; i < labels.length; i++) {
        assertEquals(labels[i], classes[at[i]]);
      }
    }
  }

  @Test
  void theOtherClassesAreDrawnUniformly() {
    Random rnd = new Random(4);
    int c = 20;
    int[] labels = {0, 1, 1, 2};
    int[] seen = new int[c];
    int draws = 20_000;
    for (int t = 0; t < draws; t++) {
      for (int j : ClassSample.draw(labels, c, 5, rnd).classes()) {
        seen[j]++;
      }
    }
    assertEquals(draws, seen[0]);
    assertEquals(draws, seen[2]);
    double q = 5.0 / 17;
    for (int j = 3; j < c; j++) {
      assertEquals(q, seen[j] / (double) draws, 0.015, "class " + j);
    }
  }

  @Test
  void everyLogitIsAdjustedByThePriorAndTheDrawnClassesByMinusLogQExceptTheRowsOwnLabel() {
    // C = 10, the batch has classes 2 and 5, m = 3 of the other 8 are drawn: q = 3/8
    int c = 10;
    int[] labels = {5, 2, 5};
    ClassSample s = ClassSample.draw(labels, c, 3, new Random(1));
    int[] classes = s.classes();
    assertEquals(5, classes.length);
    double q = 3.0 / 8;
    float[] counts = {9, 0, 4, 1, 0, 30, 2, 0, 7, 3};
    float[] logPrior = CandleHead.logPrior(counts);
    double tau = 0.7;
    int[] local = s.positions(labels);
    float[] adjust = s.adjustment(local, logPrior, tau);
    int b = labels.length;
    int k = classes.length;
    assertEquals((b + k) * k, adjust.length);
    for (int r = 0; r < b + k; r++) {
      int label = r < b ? local[r] : r - b;
      for (int j = 0; j < k; j++) {
        boolean drawn = j >= s.own();
        double expected = tau * logPrior[classes[j]] - (drawn && j != label ? Math.log(q) : 0.0);
        assertEquals(expected, adjust[r * k + j], 1e-6, "row " + r + ", class " + classes[j]);
      }
    }
    float[] w = s.rowWeights(b);
    assertEquals(b + k, w.length);
    for (int r = 0; r < b + k; r++) {
      boolean drawnPrototype = r >= b + s.own();
      assertEquals((drawnPrototype ? 1 / q : 1) / (b + c), w[r], 1e-7, "row " + r);
    }
    // in expectation over the draws, the rows weigh what the full loss's B + C rows do
    assertEquals(1.0, b / (double) (b + c) + 2 / (double) (b + c) + 8 * q / (q * (b + c)), 1e-12);
  }

  @Test
  void withEveryClassInTheSampleTheStepIsTheFullStep() {
    CandleFit.TrainingSet data = separable(24, 6, 3, 11);
    HyperParameters hp = HyperParameters.defaults().withDropout(0).withLearningRate(1e-2);
    int n = data.size();
    int c = data.numClasses();
    int[] order = CandleFit.identity(n);
    float[] visual = CandleFit.visualPrototypes(data);
    CandleParameters init = CandleFit.initialParameters(data, hp, visual);
    float[] logPrior = CandleHead.logPrior(data.classCounts());
    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      NDArray features = manager.create(data.features(), new Shape(n, D));
      NDArray text = manager.create(data.textFeatures(), new Shape(c, D));
      NDArray visualArr = manager.create(visual, new Shape(data.baseClasses(), D));
      CandleHead full = new CandleHead(manager, init);
      CandleHead sampled = new CandleHead(manager, init);
      full.requireGradients();
      sampled.requireGradients();
      SgdMomentum sgdFull = new SgdMomentum(hp.momentum(), hp.weightDecay());
      SgdMomentum sgdSampled = new SgdMomentum(hp.momentum(), hp.weightDecay());
      Random draw = new Random(9);
      for (int from = 0; from + 16 <= n; from += 16) {
        double a =
            CandleFit.step(
                full,
                sgdFull,
                features,
                data.labels(),
                order,
                from,
                from + 16,
                text,
                visualArr,
                manager.create(logPrior),
                manager.arange(0, c, 1, DataType.INT64),
                hp,
                hp.learningRate());
        // m = C: S holds every class, q = 1, in another order
        double b =
            CandleFit.sampledStep(
                sampled,
                sgdSampled,
                features,
                data.labels(),
                order,
                from,
                from + 16,
                text,
                visualArr,
                logPrior,
                hp.withSampledOthers(c),
                hp.learningRate(),
                draw);
        assertEquals(a, b, 1e-4 * Math.abs(a), "loss of the step from " + from);
      }
      CandleParameters pa = full.snapshot();
      CandleParameters pb = sampled.snapshot();
      pa.asMap()
          .forEach(
              (name, v) -> {
                float[] w = pb.asMap().get(name);
                for (int i = 0; i < v.length; i++) {
                  assertEquals(
                      v[i], w[i], 1e-4 * Math.max(1, Math.abs(v[i])), name + "[" + i + "]");
                }
              });
    }
  }

  @Test
  void aSampledClassFitRunsAndLearns() {
    // 60 classes (40 base, 20 new), 8 images per base class, each class a direction of its own
    CandleFit.TrainingSet data = separable(60, 20, 8, 21);
    HyperParameters hp =
        HyperParameters.defaults()
            .withEpochs(8)
            .withBatchSize(16)
            .withLearningRate(3e-2)
            .withSampledAbove(30)
            .withSampledOthers(8);
    assertTrue(hp.samplesClasses(data.numClasses()));
    CandleModel model =
        CandleFit.fit(data, hp, CandleFit.Options.defaults().withDevice(Device.cpu()));
    List<Double> loss = model.stats().epochLoss();
    assertEquals(8, loss.size());
    assertTrue(loss.stream().allMatch(Double::isFinite), loss.toString());
    assertTrue(
        loss.get(loss.size() - 1) < 0.7 * loss.get(0), "the loss did not fall: " + loss.toString());
    CandleModel initial =
        new CandleModel(
            model.classNames(),
            model.baseClasses(),
            D,
            model.textFeatures(),
            model.visualPrototypes(),
            model.classCounts(),
            CandleFit.initialParameters(data, hp, model.visualPrototypes()),
            hp,
            model.stats(),
            ScoreWeights.ZERO);
    double before = trainAccuracy(initial, data);
    double after = trainAccuracy(model, data);
    // (seen: 0.52 -> 0.73)
    assertTrue(
        after >= before + 0.1, "training accuracy " + before + " -> " + after + " after the fit");
    // the same seed gives the same sampled fit
    CandleModel again =
        CandleFit.fit(data, hp, CandleFit.Options.defaults().withDevice(Device.cpu()));
    assertEquals(model.params(), again.params());
  }

  @Test
  void upToTheThresholdTheFullStepIsUsed() {
    CandleFit.TrainingSet data = separable(12, 4, 3, 31);
    int c = data.numClasses();
    HyperParameters hp = HyperParameters.defaults().withEpochs(2).withBatchSize(8);
    CandleFit.Options cpu = CandleFit.Options.defaults().withDevice(Device.cpu());
    CandleModel byDefault = CandleFit.fit(data, hp, cpu);
    assertEquals(HyperParameters.DEFAULT_SAMPLED_ABOVE, hp.sampledAbove());
    // never sampling, or sampling only above C, is the full step: the same fit
    CandleModel never = CandleFit.fit(data, hp.withSampledAbove(0), cpu);
    CandleModel atC = CandleFit.fit(data, hp.withSampledAbove(c).withSampledOthers(1), cpu);
    assertEquals(byDefault.params(), never.params());
    assertEquals(byDefault.params(), atC.params());
    assertEquals(byDefault.stats().epochLoss(), atC.stats().epochLoss());
    // one class more than the threshold and the steps sample
    CandleModel above = CandleFit.fit(data, hp.withSampledAbove(c - 1).withSampledOthers(1), cpu);
    assertNotEquals(byDefault.params(), above.params());
  }

  @Test
  void theWarmPathSamplesAboveTheThresholdToo() {
    CandleFit.TrainingSet data = separable(40, 10, 4, 41);
    HyperParameters hp =
        HyperParameters.defaults().withBatchSize(16).withLearningRate(1e-2).withDropout(0);
    CandleFit.Options cpu = CandleFit.Options.defaults().withDevice(Device.cpu());
    CandleParameters start =
        CandleFit.initialParameters(data, hp, CandleFit.visualPrototypes(data));
    int[] fresh = {0, 1, 2, 3, 4, 5};
    CandleModel full = CandleFit.continueFit(data, start, fresh, 4, hp, cpu);
    CandleModel fullAgain =
        CandleFit.continueFit(data, start, fresh, 4, hp.withSampledAbove(data.numClasses()), cpu);
    assertEquals(full.params(), fullAgain.params());
    CandleModel sampled =
        CandleFit.continueFit(
            data, start, fresh, 4, hp.withSampledAbove(20).withSampledOthers(4), cpu);
    assertNotEquals(full.params(), sampled.params());
    assertTrue(sampled.stats().epochLoss().stream().allMatch(Double::isFinite));
    assertEquals(4, sampled.stats().epochLoss().size());
  }

  @Test
  void settingsAreValidated() {
    HyperParameters hp = HyperParameters.defaults();
    assertThrows(IllegalArgumentException.class, () -> hp.withSampledAbove(-1));
    assertThrows(IllegalArgumentException.class, () -> hp.withSampledOthers(0));
    assertTrue(hp.withSampledAbove(5).samplesClasses(6));
    assertTrue(!hp.withSampledAbove(5).samplesClasses(5));
    assertTrue(!hp.withSampledAbove(0).samplesClasses(1_000_000));
  }

  /** Top-1 accuracy of the head's test-phase scores on the training images, each alone. */
  private static double trainAccuracy(CandleModel model, CandleFit.TrainingSet data) {
    int hits = 0;
    try (FastScorer scorer = FastScorer.prepare(model)) {
      for (int i = 0; i < data.size(); i++) {
        float[] row = scorer.score(Arrays.copyOfRange(data.features(), i * D, (i + 1) * D));
        if (FastScorer.topK(row, 1)[0] == data.labels()[i]) {
          hits++;
        }
      }
    }
    return hits / (double) data.size();
  }

  /**
   * C classes, the last {@code newClasses} new, {@code perClass} images per base class: each class
   * has a random unit direction; its images are 3 times it plus noise (0.8 per axis), its text
   * twice it plus noise (0.6 per axis): at D = 32 the noise outweighs the direction.
   */
  static CandleFit.TrainingSet separable(int c, int newClasses, int perClass, long seed) {
    Random rnd = new Random(seed);
    int cb = c - newClasses;
    float[][] dir = new float[c][D];
    for (int j = 0; j < c; j++) {
      double norm = 0;
      for (int k = 0; k < D; k++) {
        dir[j][k] = (float) rnd.nextGaussian();
        norm += dir[j][k] * dir[j][k];
      }
      for (int k = 0; k < D; k++) {
        dir[j][k] /= (float) Math.sqrt(norm);
      }
    }
    int n = cb * perClass;
    float[] f = new float[n * D];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % cb;
      for (int k = 0; k < D; k++) {
        f[i * D + k] = (float) (3 * dir[y[i]][k] + 0.8 * rnd.nextGaussian());
      }
    }
    float[] text = new float[c * D];
    for (int j = 0; j < c; j++) {
      for (int k = 0; k < D; k++) {
        text[j * D + k] = (float) (2 * dir[j][k] + 0.6 * rnd.nextGaussian());
      }
    }
    float[] counts = new float[c];
    Arrays.fill(counts, 0, cb, perClass);
    List<String> names = new ArrayList<>();
    for (int j = 0; j < c; j++) {
      names.add("class" + j);
    }
    return new CandleFit.TrainingSet(f, y, D, names, cb, text, counts);
  }
}
