package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.SyntheticClip.Config;
import ai.candle.core.SyntheticClip.ShotProfile;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SyntheticClipTest {

  /** What the tests measure on a generated dataset. */
  record Measures(double zeroShot, double zeroShotBase, double prototypesBase, double crossImage, double matchingImageText) {
    double gap() {
      return crossImage - matchingImageText;
    }
  }

  static Measures measure(FeaturesDataset ds) {
    int d = ds.dim();
    int c = ds.numClasses();
    int cb = ds.baseClasses();
    int m = ds.testSize();
    double zs = ZeroShot.accuracy(ZeroShot.predict(ds.testFeatures(), m, ds.textFeatures(), c, d), ds.testLabels());
    // base-class test images, ranked among base classes only
    int mb = (int) Arrays.stream(ds.testLabels()).filter(y -> y < cb).count();
    float[] baseImages = new float[mb * d];
    int[] baseLabels = new int[mb];
    for (int i = 0, k = 0; i < m; i++) {
      if (ds.testLabels()[i] < cb) {
        System.arraycopy(ds.testFeatures(), i * d, baseImages, k * d, d);
        baseLabels[k++] = ds.testLabels()[i];
      }
    }
    double zsBase = ZeroShot.accuracy(ZeroShot.predictWithin(baseImages, mb, ds.textFeatures(), c, d, 0, cb), baseLabels);
    // nearest class mean: the visual prototypes of the training images
    float[] prototypes = new float[cb * d];
    int[] counts = ds.trainCounts();
    for (int i = 0; i < ds.trainSize(); i++) {
      int y = ds.trainLabels()[i];
      for (int k = 0; k < d; k++) {
        prototypes[y * d + k] += ds.trainFeatures()[i * d + k] / counts[y];
      }
    }
    double ncm = ZeroShot.accuracy(ZeroShot.predict(baseImages, mb, prototypes, cb, d), baseLabels);
    float[] img = ZeroShot.normalizedRows(ds.testFeatures(), m, d);
    float[] txt = ZeroShot.normalizedRows(ds.textFeatures(), c, d);
    double cross = 0;
    long pairs = 0;
    for (int i = 0; i < m; i += 3) {
      for (int j = i + 1; j < m; j += 7) {
        if (ds.testLabels()[i] != ds.testLabels()[j]) {
          cross += dot(img, i, img, j, d);
          pairs++;
        }
      }
    }
    double matching = 0;
    for (int i = 0; i < m; i++) {
      matching += dot(img, i, txt, ds.testLabels()[i], d);
    }
    return new Measures(zs, zsBase, ncm, cross / pairs, matching / m);
  }

  private static double dot(float[] a, int i, float[] b, int j, int d) {
    double s = 0;
    for (int k = 0; k < d; k++) {
      s += a[i * d + k] * b[j * d + k];
    }
    return s;
  }

  private static double meanNorm(float[] a, int rows, int d) {
    double sum = 0;
    for (int i = 0; i < rows; i++) {
      sum += Math.sqrt(dot(a, i, a, i, d));
    }
    return sum / rows;
  }

  @Test
  void sameSeedSameDatasetOtherSeedOtherDataset() {
    Config cfg = Config.defaults().withClasses(20, 10).withDim(128).withSeed(7);
    FeaturesDataset a = SyntheticClip.generate(cfg);
    assertEquals(a, SyntheticClip.generate(cfg));
    FeaturesDataset b = SyntheticClip.generate(cfg.withSeed(8));
    assertFalse(Arrays.equals(a.textFeatures(), b.textFeatures()));
    assertFalse(Arrays.equals(a.testFeatures(), b.testFeatures()));
    // more shots: same classes, text and test images, other training set
    FeaturesDataset more = SyntheticClip.generate(cfg.withShots(64));
    assertArrayEquals(a.textFeatures(), more.textFeatures());
    assertArrayEquals(a.testFeatures(), more.testFeatures());
    assertNotEquals(a.trainSize(), more.trainSize());
  }

  @Test
  void shapesFollowTheConfig() {
    FeaturesDataset ds = SyntheticClip.generate(Config.defaults());
    assertEquals(100, ds.numClasses());
    assertEquals(50, ds.baseClasses());
    assertEquals(512, ds.dim());
    int n = Arrays.stream(Config.defaults().shotCounts()).sum();
    assertEquals(n, ds.trainSize());
    assertEquals(n * 512, ds.trainFeatures().length);
    assertEquals(100 * 20, ds.testSize());
    assertEquals(100 * 512, ds.textFeatures().length);
    assertTrue(Arrays.stream(ds.trainLabels()).allMatch(y -> y >= 0 && y < 50));
    for (int j = 0; j < 100; j++) {
      final int cls = j;
      assertEquals(20, Arrays.stream(ds.testLabels()).filter(y -> y == cls).count());
    }
    assertEquals("synthetic_00", ds.classNames().get(0));
    assertEquals("synthetic_99", ds.classNames().get(99));
    // raw, CLIP-like norms: Candle has to normalise
    assertEquals(10, meanNorm(ds.testFeatures(), ds.testSize(), 512), 0.3);
    assertEquals(8, meanNorm(ds.textFeatures(), 100, 512), 0.3);
  }

  @Test
  void longTailedShotsFollowTheProfile() {
    Config cfg = Config.defaults(); // 50 base classes, n_max 16, IR 0.01
    int[] n = cfg.shotCounts();
    assertEquals(50, n.length);
    for (int i = 0; i < 50; i++) {
      assertEquals(Math.max((int) (16 * Math.pow(0.01, i / 49.0)), 1), n[i], "class " + i);
      if (i > 0) {
        assertTrue(n[i] <= n[i - 1], "not long-tailed at " + i);
      }
    }
    assertEquals(16, n[0]);
    assertEquals(6, n[10]); // 16 · 0.01^(10/49) = 6.26
    assertEquals(1, n[49]);
    int[] counts = SyntheticClip.generate(cfg.withTestPerClass(1)).trainCounts();
    assertArrayEquals(n, Arrays.copyOf(counts, 50));
    assertTrue(Arrays.stream(counts, 50, 100).allMatch(k -> k == 0), "new classes have no training images");

    int[] ir02 = cfg.withShots(100).withImbalanceRatio(0.02).shotCounts();
    assertEquals(100, ir02[0]);
    assertEquals(2, ir02[49]);
    assertTrue(Arrays.stream(cfg.withProfile(ShotProfile.FIXED).withShots(4).shotCounts()).allMatch(k -> k == 4));
    assertArrayEquals(new int[] {5}, cfg.withClasses(2, 1).withShots(5).shotCounts());
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void zeroShotAccuracyIsMiddling(long seed) {
    Measures m = measure(SyntheticClip.generate(Config.defaults().withSeed(seed)));
    System.out.printf("synthetic default seed %d: zero-shot %.3f, cross-class image cos %.3f, matching image-text cos %.3f, gap %.3f%n",
        seed, m.zeroShot(), m.crossImage(), m.matchingImageText(), m.gap());
    assertTrue(m.zeroShot() >= 0.40 && m.zeroShot() <= 0.70, "zero-shot accuracy " + m.zeroShot() + " at seed " + seed);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void modalityGapSeparatesImagesFromTexts(long seed) {
    Measures m = measure(SyntheticClip.generate(Config.defaults().withSeed(seed)));
    assertTrue(m.gap() > 0.2, "image-image cos " + m.crossImage() + " vs image-text " + m.matchingImageText());
    assertTrue(m.matchingImageText() > 0.05, "matching image and text must still be related: " + m.matchingImageText());
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void sixteenShotPrototypesBeatZeroShotOnBaseClasses(long seed) {
    Config sixteen = Config.defaults().withShots(16).withProfile(ShotProfile.FIXED).withSeed(seed);
    Measures m = measure(SyntheticClip.generate(sixteen));
    assertTrue(m.prototypesBase() > m.zeroShotBase() + 0.1,
        "nearest class mean " + m.prototypesBase() + " vs zero-shot " + m.zeroShotBase() + " on base classes");
    // and the signal needs numbers: one image per class is a worse prototype than the text
    Measures one = measure(SyntheticClip.generate(sixteen.withShots(1)));
    System.out.printf("seed %d: nearest class mean on base, 1 shot %.3f, 16 shots %.3f; zero-shot within base %.3f%n",
        seed, one.prototypesBase(), m.prototypesBase(), m.zeroShotBase());
    assertTrue(one.prototypesBase() < one.zeroShotBase(), "1-shot prototypes " + one.prototypesBase());
  }

  @Test
  void benchmarksCoverOneToSixtyFourShots() {
    Map<String, Config> b = SyntheticClip.benchmarks();
    assertEquals(List.of("lt-1shot", "lt-2shot", "lt-4shot", "lt-16shot", "lt-64shot"), List.copyOf(b.keySet()));
    int[] expectedShots = {1, 2, 4, 16, 64};
    int i = 0;
    for (var e : b.entrySet()) {
      Config cfg = e.getValue();
      assertEquals(expectedShots[i++], cfg.shots());
      assertEquals(ShotProfile.LONG_TAILED, cfg.profile());
      int[] n = cfg.shotCounts();
      assertEquals(cfg.shots(), n[0]);
      assertEquals(1, n[n.length - 1]);
      FeaturesDataset ds = SyntheticClip.generate(cfg);
      Measures m = measure(ds);
      System.out.printf("benchmark %-9s: %4d train images (%d..%d per base class), zero-shot %.3f (base within split %.3f),"
              + " prototypes on base %.3f, cross-class image cos %.3f, matching image-text cos %.3f, gap %.3f%n",
          e.getKey(), ds.trainSize(), n[n.length - 1], n[0], m.zeroShot(), m.zeroShotBase(), m.prototypesBase(),
          m.crossImage(), m.matchingImageText(), m.gap());
      assertTrue(m.zeroShot() >= 0.40 && m.zeroShot() <= 0.70, e.getKey() + " zero-shot " + m.zeroShot());
      assertTrue(m.gap() > 0.2, e.getKey() + " gap " + m.gap());
    }
    assertArrayEquals(new int[] {1, 1, 1}, Arrays.copyOf(b.get("lt-1shot").shotCounts(), 3));
    assertTrue(Arrays.stream(b.get("lt-4shot").shotCounts()).allMatch(k -> k >= 1 && k <= 4));
    assertTrue(Arrays.stream(b.get("lt-4shot").shotCounts()).distinct().count() == 4, "1-4 shots, long-tailed");
  }

  @Test
  void generatedDatasetSurvivesTheFileFormat(@TempDir Path dir) throws Exception {
    FeaturesDataset ds = SyntheticClip.generate(Config.defaults().withClasses(10, 5).withDim(96).withShots(4));
    ds.write(dir);
    assertEquals(ds, FeaturesDataset.read(dir));
  }

  @Test
  void configRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> Config.defaults().withClasses(10, 11));
    assertThrows(IllegalArgumentException.class, () -> Config.defaults().withDim(32)); // below rank 64 + 2
    assertThrows(IllegalArgumentException.class, () -> Config.defaults().withShots(0));
    assertThrows(IllegalArgumentException.class, () -> Config.defaults().withImbalanceRatio(0));
  }

  // ---------------------------------------------------------------- ZeroShot

  @Test
  void zeroShotIsArgmaxCosine() {
    // two classes along x and y; text norms differ, which cosine must ignore
    float[] text = {10, 0, 0, 0, 1, 0};
    float[] images = {
      1, 2, 0, // closer to y
      3, 1, 5, // closer to x
      -1, -1, 0, // equal cosines (-0.707): tie goes to class 0
      0, 0, 0 // zero vector: all cosines 0, class 0
    };
    assertArrayEquals(new int[] {1, 0, 0, 0}, ZeroShot.predict(images, 4, text, 2, 3));
    assertArrayEquals(new int[] {1, 1, 1, 1}, ZeroShot.predictWithin(images, 4, text, 2, 3, 1, 2));
    assertEquals(0.5, ZeroShot.accuracy(new int[] {1, 0, 0, 0}, new int[] {1, 1, 0, 1}));
    assertThrows(IllegalArgumentException.class, () -> ZeroShot.predict(images, 3, text, 2, 3));
    assertThrows(IllegalArgumentException.class, () -> ZeroShot.predictWithin(images, 4, text, 2, 3, 1, 1));
  }
}
