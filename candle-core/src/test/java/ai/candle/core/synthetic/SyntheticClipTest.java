package ai.candle.core.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.ZeroShot;
import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip.Config;
import ai.candle.core.synthetic.SyntheticClip.ShotProfile;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The generator: reproducible, shaped by its config, and statistically like real CLIP ViT-B/32
 * features of ImageNet ({@code docs/real-clip.md}), each statistic within 15% of the real one and
 * zero-shot HM within 5 points, at the real protocol's shape.
 */
class SyntheticClipTest {

  /**
   * The real features' statistics (unit-normalised features): zero-shot all-class HM and
   * within-base accuracy (%), nearest 1–4-shot prototype within base (%), mean cos(image, its
   * class's text) and (image, another class's text), mean cos(image, image) of the same class and
   * of different classes, the norms of the mean image, the mean text and their difference, the
   * image covariance's top eigenvalue share, top-ten share and effective rank.
   */
  static final Map<String, Double> REAL =
      Map.ofEntries(
          Map.entry("zero_shot_hm", 65.2),
          Map.entry("zero_shot_within_base", 70.4),
          Map.entry("nearest_prototype_within_base", 38.9),
          Map.entry("cos_image_own_text", 0.312),
          Map.entry("cos_image_other_text", 0.185),
          Map.entry("cos_image_image_same", 0.787),
          Map.entry("cos_image_image_different", 0.500),
          Map.entry("norm_mean_image", 0.722),
          Map.entry("norm_mean_text", 0.792),
          Map.entry("norm_modality_gap", 0.883),
          Map.entry("image_top_eigenvalue_share", 0.083),
          Map.entry("image_top10_eigenvalue_share", 0.326),
          Map.entry("image_effective_rank", 149.0));

  /**
   * The statistics of {@link #REAL}, measured on a dataset (test images, and training images for
   * the prototypes).
   */
  static Map<String, Double> statistics(FeaturesDataset ds) {
    int d = ds.dim();
    int c = ds.numClasses();
    int cb = ds.baseClasses();
    int m = ds.testSize();
    int n = ds.trainSize();
    int[] y = ds.testLabels();
    float[] img = ZeroShot.normalizedRows(ds.testFeatures(), m, d);
    float[] txt = ZeroShot.normalizedRows(ds.textFeatures(), c, d);
    float[] train = ZeroShot.normalizedRows(ds.trainFeatures(), n, d);
    Map<String, Double> out = new java.util.HashMap<>();
    int[] all = ZeroShot.predict(img, m, txt, c, d);
    double[] hits = new double[4]; // all-class base, all-class new, within base; counts in [3]
    int bases = 0;
    double within = 0;
    for (int i = 0; i < m; i++) {
      if (y[i] < cb) {
        bases++;
        hits[0] += all[i] == y[i] ? 1 : 0;
        within +=
            ZeroShot.predictWithin(
                        Arrays.copyOfRange(img, i * d, (i + 1) * d), 1, txt, c, d, 0, cb)[0]
                    == y[i]
                ? 1
                : 0;
      } else {
        hits[1] += all[i] == y[i] ? 1 : 0;
      }
    }
    double base = hits[0] / bases;
    double novel = hits[1] / (m - bases);
    out.put("zero_shot_hm", 100 * 2 * base * novel / (base + novel));
    out.put("zero_shot_within_base", 100 * within / bases);
    // nearest prototype: the mean of a class's unit training images, by Euclidean distance
    double[] protos = new double[cb * d];
    int[] counts = ds.trainCounts();
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < d; k++) {
        protos[ds.trainLabels()[i] * d + k] += train[i * d + k] / counts[ds.trainLabels()[i]];
      }
    }
    double nearestHits = 0;
    for (int i = 0; i < m; i++) {
      if (y[i] >= cb) {
        continue;
      }
      int best = -1;
      double bestDistance = Double.POSITIVE_INFINITY;
      for (int j = 0; j < cb; j++) {
        double dist = 0;
        for (int k = 0; k < d; k++) {
          double u = img[i * d + k] - protos[j * d + k];
          dist += u * u;
        }
        if (dist < bestDistance) {
          bestDistance = dist;
          best = j;
        }
      }
      nearestHits += best == y[i] ? 1 : 0;
    }
    out.put("nearest_prototype_within_base", 100 * nearestHits / bases);
    double own = 0;
    double other = 0;
    for (int i = 0; i < m; i++) {
      double sum = 0;
      for (int j = 0; j < c; j++) {
        double v = dot(img, i, txt, j, d);
        if (j == y[i]) {
          own += v;
        } else {
          sum += v;
        }
      }
      other += sum / (c - 1);
    }
    out.put("cos_image_own_text", own / m);
    out.put("cos_image_other_text", other / m);
    double same = 0;
    double different = 0;
    long samePairs = 0;
    long differentPairs = 0;
    for (int i = 0; i < m; i++) {
      for (int j = i + 1; j < m; j++) {
        double v = dot(img, i, img, j, d);
        if (y[i] == y[j]) {
          same += v;
          samePairs++;
        } else {
          different += v;
          differentPairs++;
        }
      }
    }
    out.put("cos_image_image_same", same / samePairs);
    out.put("cos_image_image_different", different / differentPairs);
    double[] meanImage = new double[d];
    double[] meanText = new double[d];
    int rows = m + n;
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < d; k++) {
        meanImage[k] += (i < m ? img[i * d + k] : train[(i - m) * d + k]) / rows;
      }
    }
    for (int j = 0; j < c; j++) {
      for (int k = 0; k < d; k++) {
        meanText[k] += txt[j * d + k] / c;
      }
    }
    double gap = 0;
    for (int k = 0; k < d; k++) {
      gap += (meanImage[k] - meanText[k]) * (meanImage[k] - meanText[k]);
    }
    out.put("norm_mean_image", Math.sqrt(dotD(meanImage, meanImage)));
    out.put("norm_mean_text", Math.sqrt(dotD(meanText, meanText)));
    out.put("norm_modality_gap", Math.sqrt(gap));
    double[] cov = new double[d * d];
    double[] row = new double[d];
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < d; k++) {
        row[k] = (i < m ? img[i * d + k] : train[(i - m) * d + k]) - meanImage[k];
      }
      for (int a = 0; a < d; a++) {
        for (int b = a; b < d; b++) {
          cov[a * d + b] += row[a] * row[b] / rows;
        }
      }
    }
    for (int a = 0; a < d; a++) {
      for (int b = 0; b < a; b++) {
        cov[a * d + b] = cov[b * d + a];
      }
    }
    double[] eig = SymmetricEigenvalues.of(cov, d);
    Arrays.sort(eig);
    double total = 0;
    for (double e : eig) {
      total += Math.max(e, 0);
    }
    double top10 = 0;
    double entropy = 0;
    for (int i = 0; i < d; i++) {
      double p = Math.max(eig[d - 1 - i], 0) / total;
      if (i < 10) {
        top10 += p;
      }
      if (p > 0) {
        entropy -= p * Math.log(p);
      }
    }
    out.put("image_top_eigenvalue_share", Math.max(eig[d - 1], 0) / total);
    out.put("image_top10_eigenvalue_share", top10);
    out.put("image_effective_rank", Math.exp(entropy));
    return out;
  }

  private static double dot(float[] a, int i, float[] b, int j, int d) {
    double s = 0;
    for (int k = 0; k < d; k++) {
      s += a[i * d + k] * b[j * d + k];
    }
    return s;
  }

  private static double dotD(double[] a, double[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      s += a[k] * b[k];
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

  /** The real protocol's shape: 1,000 classes, 4 down to 1 shots, 2 test images per class. */
  @ParameterizedTest
  @ValueSource(longs = {1, 2})
  void looksLikeRealClipAtTheRealProtocolsShape(long seed) {
    Map<String, Double> measured =
        statistics(SyntheticClip.generate(SyntheticClip.imagenetShape(4).withSeed(seed)));
    StringBuilder report = new StringBuilder();
    List<String> off = new java.util.ArrayList<>();
    for (Map.Entry<String, Double> e : new java.util.TreeMap<>(REAL).entrySet()) {
      double got = measured.get(e.getKey());
      double want = e.getValue();
      boolean ok =
          e.getKey().equals("zero_shot_hm")
              ? Math.abs(got - want) <= 5
              : Math.abs(got / want - 1) <= 0.15;
      report.append(
          String.format(
              java.util.Locale.ROOT,
              "%n  %-32s real %8.3f synthetic %8.3f %s",
              e.getKey(),
              want,
              got,
              ok ? "" : "OFF"));
      if (!ok) {
        off.add(e.getKey());
      }
    }
    System.out.println("SyntheticClip seed " + seed + " against real CLIP ViT-B/32:" + report);
    assertTrue(off.isEmpty(), "outside ±15% (zero-shot HM ±5 points): " + off + report);
  }

  /**
   * The eigenvalue helper the statistics rest on: trace and Frobenius norm are kept, a known
   * spectrum found.
   */
  @Test
  void symmetricEigenvaluesAreRight() {
    java.util.Random r = new java.util.Random(5);
    int n = 40;
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        a[i * n + j] = a[j * n + i] = r.nextGaussian();
      }
    }
    double[] eig = SymmetricEigenvalues.of(a, n);
    double trace = 0;
    double frobenius = 0;
    for (int i = 0; i < n; i++) {
      trace += a[i * n + i];
      for (int j = 0; j < n; j++) {
        frobenius += a[i * n + j] * a[i * n + j];
      }
    }
    assertEquals(trace, Arrays.stream(eig).sum(), 1e-9);
    assertEquals(frobenius, Arrays.stream(eig).map(e -> e * e).sum(), 1e-8);
    // Q·diag(1..n)·Qᵀ for a rotation Q in the (0, 1) plane has eigenvalues 1..n
    double[] b = new double[n * n];
    for (int i = 0; i < n; i++) {
      b[i * n + i] = i + 1;
    }
    double c = Math.cos(0.3);
    double s = Math.sin(0.3);
    b[0] = c * c * 1 + s * s * 2;
    b[n + 1] = s * s * 1 + c * c * 2;
    b[1] = b[n] = c * s * (2 - 1);
    double[] got = SymmetricEigenvalues.of(b, n);
    Arrays.sort(got);
    for (int i = 0; i < n; i++) {
      assertEquals(i + 1, got[i], 1e-9);
    }
  }

  /** Like real CLIP, a class's text beats one image of it and loses to sixteen. */
  @Test
  void prototypesWinOnlyInNumbers() {
    Config fixed = SyntheticClip.imagenetShape(1).withProfile(ShotProfile.FIXED);
    Map<String, Double> one = statistics(SyntheticClip.generate(fixed));
    Map<String, Double> sixteen = statistics(SyntheticClip.generate(fixed.withShots(16)));
    System.out.printf(
        "nearest prototype within base: 1 shot %.1f, 16 shots %.1f; zero-shot %.1f%n",
        one.get("nearest_prototype_within_base"),
        sixteen.get("nearest_prototype_within_base"),
        one.get("zero_shot_within_base"));
    assertTrue(one.get("nearest_prototype_within_base") < one.get("zero_shot_within_base") - 10);
    assertTrue(
        sixteen.get("nearest_prototype_within_base") > sixteen.get("zero_shot_within_base") + 10);
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
    assertTrue(
        Arrays.stream(counts, 50, 100).allMatch(k -> k == 0),
        "new classes have no training images");

    int[] ir02 = cfg.withShots(100).withImbalanceRatio(0.02).shotCounts();
    assertEquals(100, ir02[0]);
    assertEquals(2, ir02[49]);
    assertTrue(
        Arrays.stream(cfg.withProfile(ShotProfile.FIXED).withShots(4).shotCounts())
            .allMatch(k -> k == 4));
    assertArrayEquals(new int[] {5}, cfg.withClasses(2, 1).withShots(5).shotCounts());
  }

  @Test
  void benchmarksCoverOneToSixtyFourShotsAndTheRealShape() {
    Map<String, Config> b = SyntheticClip.benchmarks();
    assertEquals(
        List.of(
            "lt-1shot",
            "lt-2shot",
            "lt-4shot",
            "lt-16shot",
            "lt-64shot",
            "imagenet-4shot",
            "imagenet-16shot",
            "imagenet-64shot"),
        List.copyOf(b.keySet()));
    int[] expectedShots = {1, 2, 4, 16, 64, 4, 16, 64};
    int i = 0;
    for (var e : b.entrySet()) {
      Config cfg = e.getValue();
      assertEquals(expectedShots[i++], cfg.shots());
      assertEquals(ShotProfile.LONG_TAILED, cfg.profile());
      int[] n = cfg.shotCounts();
      assertEquals(cfg.shots(), n[0]);
      assertEquals(e.getKey().startsWith("lt-") ? 1 : cfg.shots() / 4, n[n.length - 1], e.getKey());
    }
    assertArrayEquals(new int[] {1, 1, 1}, Arrays.copyOf(b.get("lt-1shot").shotCounts(), 3));
    assertTrue(Arrays.stream(b.get("lt-4shot").shotCounts()).allMatch(k -> k >= 1 && k <= 4));
    assertEquals(
        4,
        Arrays.stream(b.get("lt-4shot").shotCounts()).distinct().count(),
        "1-4 shots, long-tailed");
    Config real = b.get("imagenet-4shot");
    assertEquals(1000, real.classes());
    assertEquals(500, real.baseClasses());
    assertEquals(855, Arrays.stream(real.shotCounts()).sum(), "the real protocol has 853");
  }

  @Test
  void generatedDatasetSurvivesTheFileFormat(@TempDir Path dir) throws Exception {
    FeaturesDataset ds =
        SyntheticClip.generate(Config.defaults().withClasses(10, 5).withDim(96).withShots(4));
    ds.write(dir);
    assertEquals(ds, FeaturesDataset.read(dir));
  }

  @Test
  void configRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> Config.defaults().withClasses(10, 11));
    assertThrows(
        IllegalArgumentException.class, () -> Config.defaults().withDim(4)); // below Config.MIN_DIM
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
    assertThrows(
        IllegalArgumentException.class, () -> ZeroShot.predictWithin(images, 4, text, 2, 3, 1, 1));
  }
}
