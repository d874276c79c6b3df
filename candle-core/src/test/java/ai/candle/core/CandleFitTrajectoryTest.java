package ai.candle.core;

import static ai.candle.core.CandleHeadGoldenTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.candle.core.GoldenFiles.Golden;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A whole fit against the golden trajectory: fixed batch order and per-epoch learning rates. */
class CandleFitTrajectoryTest {
  static Golden g;
  static CandleModel model;

  @BeforeAll
  static void fitTrajectory() {
    g = GoldenFiles.load("trajectory");
    int n = (int) g.shape("train_labels")[0];
    int epochs = (int) g.shape("epoch_order")[0];
    int[] flatOrder = g.ints("epoch_order");
    int[][] order = new int[epochs][n];
    for (int e = 0; e < epochs; e++) {
      System.arraycopy(flatOrder, e * n, order[e], 0, n);
    }
    List<String> names = new ArrayList<>();
    for (int j = 0; j < g.classes(); j++) {
      names.add("class" + j);
    }
    double lr = g.f("epoch_lr")[1] / (0.5 * (1 + Math.cos(Math.PI / epochs)));
    HyperParameters hp =
        HyperParameters.defaults()
            .withEpochs(epochs)
            .withBatchSize((int) g.scalar("batch_size"))
            .withLearningRate(lr)
            .withScale(g.scalar("scale"))
            .withDropout(0)
            .withMaxPerClass(0);
    CandleFit.TrainingSet data =
        new CandleFit.TrainingSet(
            g.f("train_features"),
            g.ints("train_labels"),
            g.dim(),
            names,
            g.baseClasses(),
            g.f("text_features"),
            g.f("class_counts"));
    model =
        CandleFit.fit(
            data,
            hp,
            CandleFit.Options.defaults()
                .withDevice(Device.cpu())
                .withInitial(g.params("init."))
                .withEpochOrder(order));
  }

  @Test
  void scheduleMatchesEpochLearningRates() {
    float[] expected = g.f("epoch_lr");
    double lr = expected[1] / (0.5 * (1 + Math.cos(Math.PI / expected.length)));
    HyperParameters hp =
        HyperParameters.defaults().withEpochs(expected.length).withLearningRate(lr);
    float[] got = new float[expected.length];
    for (int e = 0; e < got.length; e++) {
      got[e] = (float) hp.learningRateAt(e);
    }
    assertClose("epoch_lr", expected, got, 1e-6, 1e-9);
    assertEquals(1e-2, lr, 1e-9, "the trajectory's peak learning rate");
  }

  @Test
  void visualPrototypesAreClassMeans() {
    assertClose(
        "visual_prototypes", g.f("visual_prototypes"), model.visualPrototypes(), 1e-5, 1e-2);
  }

  @Test
  void epochLossesMatch() {
    int n = (int) g.shape("train_labels")[0];
    int batches = (n + 15) / 16;
    float[] got = new float[model.stats().epochLoss().size()];
    for (int e = 0; e < got.length; e++) {
      got[e] = (float) (model.stats().epochLoss().get(e) * batches);
    }
    assertClose("epoch_loss_sum", g.f("epoch_loss_sum"), got, 1e-2, 1e-2);
  }

  @Test
  void testScoresOfTheFittedModelMatch() {
    int d = g.dim();
    int c = g.classes();
    float[] test = g.f("test_features");
    int n = test.length / d;
    float[] got = new float[n * c];
    int correct = 0;
    int[] labels = g.ints("test_labels");
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      CandleHead head = new CandleHead(m, model.params());
      NDArray text = m.create(model.textFeatures(), new Shape(c, d));
      NDArray visual = m.create(model.visualPrototypes(), new Shape(model.baseClasses(), d));
      for (int i = 0; i < n; i++) {
        NDArray one =
            m.create(java.util.Arrays.copyOfRange(test, i * d, (i + 1) * d), new Shape(1, d));
        float[] s =
            head.forward(
                    one, text, visual, false, 0, model.hyper().scale(), model.hyper().logitScale())
                .scores()
                .toFloatArray();
        System.arraycopy(s, 0, got, i * c, c);
        int best = 0;
        for (int j = 1; j < c; j++) {
          best = s[j] > s[best] ? j : best;
        }
        correct += best == labels[i] ? 1 : 0;
      }
    }
    assertClose("single.scores", g.f("single.scores"), got, 1e-2, 1.0);
    assertEquals(
        g.scalar("test.accuracy"), correct / (double) n, 0.01, "test accuracy of the fitted model");
  }

  @Test
  void finalParametersMatch() {
    for (Map.Entry<String, float[]> p : model.params().asMap().entrySet()) {
      assertClose("final." + p.getKey(), g.f("final." + p.getKey()), p.getValue(), 1e-2, 1e-2);
    }
  }
}
