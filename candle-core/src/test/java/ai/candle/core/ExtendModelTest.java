package ai.candle.core;

import static ai.candle.core.CandleHeadGoldenTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.io.ModelCodec;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Models made without a fit: before any image ({@code untrained}) and on announcement ({@code
 * extend}).
 */
class ExtendModelTest {
  static final int D = CandleFitTest.D;

  @Test
  void anUntrainedModelScoresEveryClassAsNewAndExactly() {
    CandleFit.TrainingSet data = CandleFitTest.smallSet();
    CandleModel m =
        CandleFit.untrained(data.classNames(), D, data.textFeatures(), HyperParameters.adaptive());
    assertEquals(0, m.baseClasses());
    assertEquals(data.numClasses(), m.newClasses());
    assertArrayEquals(data.textFeatures(), m.params().virtualPrototypes());
    float[][] images = randomImages(5, 11);
    try (FastScorer fast = FastScorer.prepare(m)) {
      float[][] got = fast.score(images);
      NaiveScorer naive = new NaiveScorer(m);
      for (int i = 0; i < images.length; i++) {
        assertClose("image " + i, toFloat(naive.score(images[i])), got[i], 1e-4, 1.0);
      }
    }
    CandleModel back = ModelCodec.decode(ModelCodec.encode(m));
    assertEquals(m.classNames(), back.classNames());
  }

  @Test
  void extendingKeepsEveryLearntArrayAndAppendsShiftedVirtualPrototypes() {
    CandleModel m = AdaptiveModeTest.fitAdaptive();
    float[] text = randomImages(2, 5)[0];
    float[] twoTexts = new float[2 * D];
    System.arraycopy(text, 0, twoTexts, 0, D);
    System.arraycopy(randomImages(1, 6)[0], 0, twoTexts, D, D);
    CandleModel e = CandleFit.extend(m, List.of("zebra", "yak"), twoTexts);
    assertEquals(m.numClasses() + 2, e.numClasses());
    assertEquals(List.of("zebra", "yak"), e.classNames().subList(m.numClasses(), e.numClasses()));
    assertEquals(m.baseClasses(), e.baseClasses());
    assertArrayEquals(m.params().projImage(), e.params().projImage());
    assertArrayEquals(m.params().attnInProjWeight(), e.params().attnInProjWeight());
    assertArrayEquals(m.visualPrototypes(), e.visualPrototypes());
    assertArrayEquals(
        m.params().virtualPrototypes(),
        Arrays.copyOf(e.params().virtualPrototypes(), m.params().virtualPrototypes().length));
    assertEquals(0f, e.classCounts()[m.numClasses()]);
    int cb = m.baseClasses();
    int k = 3;
    double gap = 0;
    for (int j = 0; j < cb; j++) {
      gap += ((double) m.visualPrototypes()[j * D + k] - m.textFeatures()[j * D + k]) / cb;
    }
    float[] virtual = e.params().virtualPrototypes();
    assertEquals(twoTexts[k] + gap, virtual[(m.newClasses()) * D + k], 1e-5);
    try (FastScorer fast = FastScorer.prepare(e)) {
      float[][] images = randomImages(4, 12);
      NaiveScorer naive = new NaiveScorer(e);
      for (int i = 0; i < images.length; i++) {
        assertClose(
            "image " + i, toFloat(naive.score(images[i])), fast.score(images[i]), 1e-4, 1.0);
      }
    }
  }

  @Test
  void anExtendedClassIsPredictedForImagesOfIt() {
    CandleModel m = AdaptiveModeTest.fitAdaptive();
    Random rnd = new Random(9);
    float[] direction = new float[D];
    for (int k = 0; k < D; k++) {
      direction[k] = (float) rnd.nextGaussian();
    }
    CandleModel e = CandleFit.extend(m, List.of("zebra"), direction);
    int hits = 0;
    try (FastScorer fast = FastScorer.prepare(e)) {
      for (int i = 0; i < 20; i++) {
        float[] img = new float[D];
        for (int k = 0; k < D; k++) {
          img[k] = 2f * direction[k] + (float) rnd.nextGaussian();
        }
        float[] s = fast.score(img);
        if (FastScorer.topK(s, 1)[0] == e.numClasses() - 1) {
          hits++;
        }
      }
    }
    assertTrue(
        hits >= 18,
        "images near the new class's direction should mostly be predicted as it, got "
            + hits
            + "/20");
  }

  @Test
  void extendingRefusesAClassTheModelHasAndAWrongWidth() {
    CandleModel m = AdaptiveModeTest.fitAdaptive();
    String existing = m.classNames().get(0);
    assertThrows(
        IllegalArgumentException.class, () -> CandleFit.extend(m, List.of(existing), new float[D]));
    assertThrows(
        IllegalArgumentException.class, () -> CandleFit.extend(m, List.of("x"), new float[D + 1]));
  }

  static float[] toFloat(double[] a) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = (float) a[i];
    }
    return out;
  }

  static float[][] randomImages(int n, long seed) {
    Random rnd = new Random(seed);
    float[][] out = new float[n][D];
    for (float[] img : out) {
      for (int k = 0; k < D; k++) {
        img[k] = (float) rnd.nextGaussian();
      }
    }
    return out;
  }
}
