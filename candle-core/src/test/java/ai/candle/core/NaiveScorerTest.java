package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NaiveScorerTest {
  /** Relative tolerance of forward outputs (docs/method.md): |a − b| ≤ 1e-4 · max(1, |b|). */
  static final double TOLERANCE = 1e-4;

  /** A golden file as a model, the images to score and the expected per-image scores. */
  record GoldenCase(CandleModel model, float[][] images, float[][] expected) {}

  /**
   * The step files' {@code param.*} with {@code image_features}; the trajectory's {@code final.*}
   * with {@code test_features}. Both against {@code single.scores} (each image alone).
   */
  static GoldenCase goldenCase(String name) {
    GoldenFiles.Golden g = GoldenFiles.load(name);
    boolean trajectory = name.equals("trajectory");
    CandleParameters params = g.params(trajectory ? "final." : "param.");
    int c = g.classes();
    int d = g.dim();
    List<String> names = new ArrayList<>();
    for (int j = 0; j < c; j++) {
      names.add("c" + j);
    }
    if (g.has("logit_scale")) {
      assertEquals(100.0, g.scalar("logit_scale"), 1e-6, "golden logit scale");
    }
    CandleModel model =
        new CandleModel(
            names,
            g.baseClasses(),
            d,
            g.f("text_features"),
            g.f("visual_prototypes"),
            g.f("class_counts"),
            params,
            HyperParameters.defaults().withScale(g.scalar("scale")),
            FitStats.none("cpu()"),
            ScoreWeights.ZERO);
    String imagesKey = trajectory ? "test_features" : "image_features";
    return new GoldenCase(model, rows(g.f(imagesKey), d), rows(g.f("single.scores"), c));
  }

  static float[][] rows(float[] flat, int width) {
    float[][] out = new float[flat.length / width][width];
    for (int i = 0; i < out.length; i++) {
      System.arraycopy(flat, i * width, out[i], 0, width);
    }
    return out;
  }

  /** Asserts |actual − expected| ≤ TOLERANCE · max(1, |expected|) element by element. */
  static void assertScores(float[][] expected, float[][] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": rows");
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i].length, actual[i].length, what + ": columns of row " + i);
      for (int j = 0; j < expected[i].length; j++) {
        double err =
            Math.abs(actual[i][j] - expected[i][j]) / Math.max(1, Math.abs(expected[i][j]));
        worst = Math.max(worst, err);
        assertTrue(
            err <= TOLERANCE,
            what
                + ": score ["
                + i
                + "]["
                + j
                + "] = "
                + actual[i][j]
                + ", expected "
                + expected[i][j]
                + " (relative error "
                + err
                + ")");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"step_tiny", "step_identity", "step_clip512", "trajectory"})
  void matchesGoldenSingleImageScores(String name) {
    GoldenCase gc = goldenCase(name);
    float[][] images = gc.images();
    if (name.equals("trajectory")) {
      images = java.util.Arrays.copyOf(images, 60); // D = 64: 60 of the 240 test images suffice
    }
    float[][] actual = new NaiveScorer(gc.model()).score(images);
    assertScores(java.util.Arrays.copyOf(gc.expected(), images.length), actual, name);
  }

  @Test
  void newClassTextSideIsTheVirtualPrototype() {
    // step_tiny's virtual prototypes differ from the new classes' text features; with the text
    // features on the text side the scores would be off by up to 0.17 (see NaiveScorer).
    GoldenCase gc = goldenCase("step_tiny");
    CandleModel m = gc.model();
    float[] side = m.textSide();
    int d = m.dim();
    int cb = m.baseClasses();
    for (int i = 0; i < cb * d; i++) {
      assertEquals(m.textFeatures()[i], side[i]);
    }
    for (int i = 0; i < m.newClasses() * d; i++) {
      assertEquals(m.params().virtualPrototypes()[i], side[cb * d + i]);
    }
  }

  @Test
  void rejectsImagesOfTheWrongWidth() {
    NaiveScorer scorer = new NaiveScorer(goldenCase("step_tiny").model());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> scorer.score(new float[15]));
    assertTrue(e.getMessage().contains("expects 16"), e.getMessage());
  }
}
