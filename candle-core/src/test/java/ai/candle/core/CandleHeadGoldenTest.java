package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.GoldenFiles.Golden;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The head against the authors' golden vectors: forward of both phases, loss, gradients, SGD. */
class CandleHeadGoldenTest {
  static final java.util.List<String> STEPS = GoldenFiles.STEPS;

  /** |a - b| ≤ rel · max(|b|, floor) elementwise; reports the worst element. */
  static void assertClose(
      String what, float[] expected, float[] actual, double rel, double absFloor) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), absFloor);
      if (err > worst || Double.isNaN(err)) {
        worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
        at = i;
      }
    }
    double w = worst;
    int a = at;
    assertTrue(
        worst <= rel,
        () ->
            what
                + ": worst relative error "
                + w
                + " at "
                + a
                + " (expected "
                + expected[a]
                + ", got "
                + actual[a]
                + ")");
  }

  private static NDArray arr(NDManager m, Golden g, String key) {
    return m.create(g.f(key), new Shape(g.shape(key)));
  }

  @ParameterizedTest
  @FieldSource("STEPS")
  void testPhaseMatchesGolden(String file) {
    Golden g = GoldenFiles.load(file);
    try (NDManager m = NDManager.newBaseManager()) {
      CandleHead head = new CandleHead(m, g.params("param."));
      CandleHead.Outputs out =
          head.forward(
              arr(m, g, "image_features"),
              arr(m, g, "text_features"),
              arr(m, g, "visual_prototypes"),
              false,
              0,
              g.scalar("scale"),
              g.scalar("logit_scale"));
      assertClose(
          file + " test.logits_vt",
          g.f("test.logits_vt"),
          out.logitsVt().toFloatArray(),
          1e-4,
          1.0);
      assertClose(
          file + " test.logits_vv",
          g.f("test.logits_vv"),
          out.logitsVv().toFloatArray(),
          1e-4,
          1.0);
      assertClose(
          file + " test.scores", g.f("test.scores"), out.scores().toFloatArray(), 1e-4, 1.0);
      assertClose(
          file + " test.logits", g.f("test.logits"), out.logits().toFloatArray(), 1e-4, 1.0);
    }
  }

  @ParameterizedTest
  @FieldSource("STEPS")
  void singleImageScoresMatchGolden(String file) {
    Golden g = GoldenFiles.load(file);
    int b = (int) g.shape("image_features")[0];
    int d = g.dim();
    int c = g.classes();
    float[] images = g.f("image_features");
    float[] got = new float[b * c];
    try (NDManager m = NDManager.newBaseManager()) {
      CandleHead head = new CandleHead(m, g.params("param."));
      NDArray text = arr(m, g, "text_features");
      NDArray visual = arr(m, g, "visual_prototypes");
      for (int i = 0; i < b; i++) {
        float[] one = java.util.Arrays.copyOfRange(images, i * d, (i + 1) * d);
        CandleHead.Outputs out =
            head.forward(
                m.create(one, new Shape(1, d)),
                text,
                visual,
                false,
                0,
                g.scalar("scale"),
                g.scalar("logit_scale"));
        System.arraycopy(out.scores().toFloatArray(), 0, got, i * c, c);
      }
    }
    assertClose(file + " single.scores", g.f("single.scores"), got, 1e-4, 1.0);
  }

  @ParameterizedTest
  @FieldSource("STEPS")
  void trainPhaseLossAndGradientsMatchGolden(String file) {
    Golden g = GoldenFiles.load(file);
    assertClose(
        file + " cla.log_prior",
        g.f("cla.log_prior"),
        CandleHead.logPrior(g.f("class_counts")),
        1e-5,
        1.0);
    try (NDManager m = NDManager.newBaseManager()) {
      CandleHead head = new CandleHead(m, g.params("param."));
      head.requireGradients();
      int c = g.classes();
      NDArray labels = trainLabels(m, g);
      assertClose(file + " train.labels", g.f("train.labels"), labels.toFloatArray(), 0, 1);
      NDArray prior = m.create(CandleHead.logPrior(g.f("class_counts")));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        CandleHead.Outputs out =
            head.forward(
                arr(m, g, "image_features"),
                arr(m, g, "text_features"),
                arr(m, g, "visual_prototypes"),
                true,
                0,
                g.scalar("scale"),
                g.scalar("logit_scale"));
        NDList loss = CandleHead.loss(out, labels.oneHot(c), prior, 1.0);
        assertClose(
            file + " train.logits", g.f("train.logits"), out.logits().toFloatArray(), 1e-4, 1.0);
        assertClose(
            file + " train.logits_vt",
            g.f("train.logits_vt"),
            out.logitsVt().toFloatArray(),
            1e-4,
            1.0);
        assertClose(
            file + " train.logits_vv",
            g.f("train.logits_vv"),
            out.logitsVv().toFloatArray(),
            1e-4,
            1.0);
        float[] terms = {loss.get(1).getFloat(), loss.get(2).getFloat(), loss.get(3).getFloat()};
        assertClose(file + " train.loss_terms", g.f("train.loss_terms"), terms, 1e-4, 1.0);
        assertClose(
            file + " train.loss",
            g.f("train.loss"),
            new float[] {loss.get(0).getFloat()},
            1e-4,
            1.0);
        gc.backward(loss.get(0));
      }
      for (Map.Entry<String, NDArray> p : head.parameters().entrySet()) {
        assertClose(
            file + " grad." + p.getKey(),
            g.f("grad." + p.getKey()),
            p.getValue().getGradient().toFloatArray(),
            1e-3,
            1e-2);
      }
    }
  }

  @ParameterizedTest
  @FieldSource("STEPS")
  void twoSgdStepsMatchGolden(String file) {
    Golden g = GoldenFiles.load(file);
    if (!g.has("after2.ratio")) {
      return; // step_clip512 has no after2.* (docs/method.md)
    }
    try (NDManager m = NDManager.newBaseManager()) {
      CandleHead head = new CandleHead(m, g.params("param."));
      head.requireGradients();
      SgdMomentum sgd = new SgdMomentum(0.9, 5e-4);
      NDArray oneHot = trainLabels(m, g).oneHot(g.classes());
      NDArray prior = m.create(CandleHead.logPrior(g.f("class_counts")));
      for (int step = 0; step < 2; step++) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          CandleHead.Outputs out =
              head.forward(
                  arr(m, g, "image_features"),
                  arr(m, g, "text_features"),
                  arr(m, g, "visual_prototypes"),
                  true,
                  0,
                  g.scalar("scale"),
                  g.scalar("logit_scale"));
          gc.backward(CandleHead.loss(out, oneHot, prior, 1.0).get(0));
        }
        sgd.step(head.parameters(), 0.01);
      }
      CandleParameters after = head.snapshot();
      for (Map.Entry<String, float[]> p : after.asMap().entrySet()) {
        assertClose(
            file + " after2." + p.getKey(), g.f("after2." + p.getKey()), p.getValue(), 1e-3, 1e-2);
      }
    }
  }

  /** The batch's labels followed by one prototype per class: [y_1..y_B, 0..C-1]. */
  private static NDArray trainLabels(NDManager m, Golden g) {
    int[] y = g.ints("labels");
    int c = g.classes();
    float[] all = new float[y.length + c];
    for (int i = 0; i < y.length; i++) {
      all[i] = y[i];
    }
    for (int j = 0; j < c; j++) {
      all[y.length + j] = j;
    }
    return m.create(all);
  }
}
