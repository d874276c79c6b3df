package ai.candle.core;

import static ai.candle.core.NaiveScorerTest.assertScores;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fast scorer against the golden {@code single.scores} and against the naive full-attention
 * forward on random models. Tolerance: |fast − reference| ≤ 1e-4 · max(1, |reference|) per score.
 */
class FastScorerTest {

  @ParameterizedTest
  @ValueSource(strings = {"step_tiny", "step_identity", "step_clip512", "trajectory"})
  void matchesGoldenSingleImageScores(String name) {
    NaiveScorerTest.GoldenCase gc = NaiveScorerTest.goldenCase(name);
    try (FastScorer scorer = FastScorer.prepare(gc.model())) {
      assertScores(gc.expected(), scorer.score(gc.images()), name);
    }
  }

  /**
   * Random models against the naive forward. {@code sharpness} scales the query and key weights: at
   * 4 the attention is peaked, so the image key takes most of the weight of some class tokens and
   * the per-image correction terms matter far beyond the tolerance.
   */
  @ParameterizedTest
  @CsvSource({
    "1, 16, 4, 3",
    "3, 16, 1, 6",
    "3, 16, 4, 6",
    "17, 64, 1, 5",
    "17, 64, 4, 5",
    "50, 128, 4, 4",
    "200, 512, 4, 2",
    "600, 16, 4, 2", // 1200 class tokens: several preparation blocks and class slices
  })
  void matchesNaiveForwardOnRandomModels(int classes, int dim, double sharpness, int images) {
    CandleModel model = RandomModels.randomModel(classes, dim, sharpness, 1000L * classes + dim);
    float[][] x = RandomModels.randomImages(model, images, 11);
    float[][] naive = new NaiveScorer(model).score(x);
    try (FastScorer scorer = FastScorer.prepare(model)) {
      assertScores(
          naive, scorer.score(x), "C=" + classes + " D=" + dim + " sharpness=" + sharpness);
    }
  }

  @Test
  void scoresDoNotDependOnBatchComposition() {
    CandleModel model = RandomModels.randomModel(40, 64, 2, 4064);
    float[][] x = RandomModels.randomImages(model, 150, 3);
    try (FastScorer scorer = FastScorer.prepare(model, null, 64)) {
      float[][] all = scorer.score(x); // chunks of 64, 64, 22
      for (int i : new int[] {0, 63, 64, 100, 149}) {
        float[] alone = scorer.score(x[i]);
        float[][] shuffled = {x[(i + 7) % 150], x[i], x[(i + 31) % 150]};
        float[] inOthers = scorer.score(shuffled)[1];
        assertScores(
            new float[][] {alone}, new float[][] {all[i]}, "image " + i + " in the full batch");
        assertScores(
            new float[][] {alone}, new float[][] {inOthers}, "image " + i + " among others");
      }
    }
  }

  @Test
  void concurrentCallsAgreeWithSerialOnes() throws Exception {
    CandleModel model = RandomModels.randomModel(30, 64, 2, 3064);
    float[][] x = RandomModels.randomImages(model, 20, 5);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (FastScorer scorer = FastScorer.prepare(model)) {
      float[][] serial = scorer.score(x);
      int before = scorer.managedArrays();
      Future<?>[] runs = new Future<?>[8];
      for (int t = 0; t < runs.length; t++) {
        runs[t] =
            pool.submit(
                () -> {
                  for (int r = 0; r < 5; r++) {
                    float[][] again = scorer.score(x);
                    for (int i = 0; i < x.length; i++) {
                      assertArrayEquals(serial[i], again[i], 1e-5f * 100);
                    }
                  }
                });
      }
      for (Future<?> f : runs) {
        f.get();
      }
      assertEquals(before, scorer.managedArrays(), "arrays leaked into the scorer's manager");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void freesPerCallArrays() {
    CandleModel model = RandomModels.randomModel(10, 32, 1, 1032);
    try (FastScorer scorer = FastScorer.prepare(model, null, 4)) {
      int before = scorer.managedArrays();
      scorer.score(RandomModels.randomImages(model, 9, 1));
      assertEquals(before, scorer.managedArrays(), "arrays leaked into the scorer's manager");
    }
  }

  @Test
  void rejectsBadInputAndUseAfterClose() {
    NaiveScorerTest.GoldenCase gc = NaiveScorerTest.goldenCase("step_tiny");
    FastScorer scorer = FastScorer.prepare(gc.model());
    IllegalArgumentException wide =
        assertThrows(
            IllegalArgumentException.class,
            () -> scorer.score(new float[][] {new float[16], new float[17]}));
    assertTrue(wide.getMessage().contains("image 1 has 17 values"), wide.getMessage());
    float[] nan = new float[16];
    nan[3] = Float.NaN;
    assertThrows(IllegalArgumentException.class, () -> scorer.score(nan));
    assertEquals(0, scorer.score(new float[0][]).length);
    scorer.close();
    scorer.close(); // idempotent
    IllegalStateException closed =
        assertThrows(IllegalStateException.class, () -> scorer.score(gc.images()));
    assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
  }

  @Test
  void topKMatchesAStableSortByDescendingScore() {
    java.util.Random rng = new java.util.Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int c = 1 + rng.nextInt(30);
      float[] scores = new float[c];
      for (int j = 0; j < c; j++) {
        scores[j] = rng.nextInt(8); // many ties
      }
      Integer[] order = new Integer[c];
      for (int j = 0; j < c; j++) {
        order[j] = j;
      }
      Arrays.sort(
          order, (a, b) -> Float.compare(scores[b], scores[a])); // stable: lower index first
      int k = rng.nextInt(c + 3);
      int[] expected = Arrays.stream(order).limit(k).mapToInt(Integer::intValue).toArray();
      assertArrayEquals(
          expected, FastScorer.topK(scores, k), "scores " + Arrays.toString(scores) + ", k " + k);
    }
    assertThrows(IllegalArgumentException.class, () -> FastScorer.topK(new float[3], -1));
  }
}
