package ai.candle.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Synthetic CLIP-like features: a {@link FeaturesDataset} whose geometry imitates what Candle
 * sees from a real CLIP encoder, for tests, benchmarks and the demo's default data.
 *
 * <h2>Geometry</h2>
 *
 * A random orthonormal basis of R^D gives two modality directions {@code e_I}, {@code e_T} and a
 * "semantic" subspace S of rank r (default 64), orthogonal to both. Each class c has a unit
 * direction {@code u_c} in S (random, so classes overlap a little, as related classes do) and a
 * unit text misalignment {@code z_c} in S. Then, with {@code n(v) = v / |v|}:
 *
 * <pre>
 * image feature  x = ρ_I · n( m_I·e_I + a·u_c + σ_S·ζ + σ_F·ξ )      (one per image)
 * text feature   t = ρ_T · n( m_T·e_T + b·u_c + τ·z_c )               (one per class)
 * </pre>
 *
 * where {@code ζ} is Gaussian noise in S and {@code ξ} isotropic Gaussian noise in R^D, each of
 * expected squared norm 1, and {@code ρ_I, ρ_T} are the raw feature norms (about 10 and 8, with a
 * small per-vector jitter), because CLIP's raw features are not unit-norm (Candle normalises
 * inside). The separate modality offsets {@code m_I·e_I} and {@code m_T·e_T} are CLIP's
 * modality gap: with the defaults, images of different classes are far more alike (mean
 * cosine ≈ 0.58) than an image and the text of its own class (≈ 0.14). The text misalignment
 * {@code τ·z_c} and the image noise make zero-shot classification err (≈ 52–56% accuracy over
 * 100 classes with the defaults; it falls as classes are added: ≈ 25% at 1000). The semantic
 * noise makes single images poor prototypes, so labelled images beat zero-shot only in
 * numbers, as with real CLIP: on the base classes a nearest-class-mean classifier scores about
 * 0.28, 0.62 and 0.86 with 1, 4 and 16 images per class against zero-shot's 0.65 (within the
 * base split). All of it is deterministic
 * given the seed; class geometry and text features depend only on the seed, the class count and
 * the geometry, so benchmarks with different shot counts share the same classes and test images.
 *
 * <h2>Shots</h2>
 *
 * Base classes are the first {@code baseClasses} (half of them by default); new classes get test
 * images only. With {@link ShotProfile#LONG_TAILED} (default) base class i gets {@code n_i =
 * max(int(shots · IR^(i/(Cb−1))), 1)} training images (CANDLE.md), so {@code shots} is the
 * head class's count n_max and the tail has single images; with {@link ShotProfile#FIXED} every
 * base class gets exactly {@code shots}. See {@link #benchmarks()} for the ready-made settings.
 */
public final class SyntheticClip {

  private SyntheticClip() {}

  /** How many training images each base class gets. */
  public enum ShotProfile {
    /** {@code n_i = max(int(shots · IR^(i/(Cb−1))), 1)}: class 0 has {@code shots}, the tail 1. */
    LONG_TAILED,
    /** Every base class has exactly {@code shots} images. */
    FIXED
  }

  /**
   * The geometry knobs (see the class documentation for the formulas).
   *
   * @param semanticRank r, the rank of the subspace holding the class directions and the
   *     semantic noise (64)
   * @param imageOffset m_I, weight of the image modality direction (2.7)
   * @param textOffset m_T, weight of the text modality direction (1.5)
   * @param imageSignal a, weight of the class direction in image features (1)
   * @param textSignal b, weight of the class direction in text features (1)
   * @param imageNoise σ_S, semantic (in-subspace) noise of each image (2)
   * @param imageIsotropicNoise σ_F, isotropic noise of each image (0.5)
   * @param textNoise τ, the per-class misalignment of the text feature (1)
   * @param imageNorm ρ_I, mean raw norm of image features (10)
   * @param textNorm ρ_T, mean raw norm of text features (8)
   * @param normJitter relative standard deviation of the raw norms (0.05)
   */
  public record Geometry(
      int semanticRank,
      double imageOffset,
      double textOffset,
      double imageSignal,
      double textSignal,
      double imageNoise,
      double imageIsotropicNoise,
      double textNoise,
      double imageNorm,
      double textNorm,
      double normJitter) {

    public static Geometry defaults() {
      return new Geometry(64, 2.7, 1.5, 1.0, 1.0, 2.0, 0.5, 1.0, 10.0, 8.0, 0.05);
    }

    public Geometry {
      if (semanticRank < 1) {
        throw new IllegalArgumentException("semantic rank must be >= 1, got " + semanticRank);
      }
      for (double v : new double[] {imageOffset, textOffset, imageSignal, textSignal, imageNoise,
          imageIsotropicNoise, textNoise, normJitter}) {
        if (!(v >= 0) || Double.isInfinite(v)) {
          throw new IllegalArgumentException("geometry weights must be finite and >= 0: " + this);
        }
      }
      if (!(imageNorm > 0) || !(textNorm > 0) || normJitter >= 0.5) {
        throw new IllegalArgumentException("norms must be > 0 and jitter < 0.5: " + this);
      }
    }

    public Geometry withTextNoise(double v) {
      return new Geometry(semanticRank, imageOffset, textOffset, imageSignal, textSignal, imageNoise,
          imageIsotropicNoise, v, imageNorm, textNorm, normJitter);
    }

    public Geometry withImageNoise(double v) {
      return new Geometry(semanticRank, imageOffset, textOffset, imageSignal, textSignal, v,
          imageIsotropicNoise, textNoise, imageNorm, textNorm, normJitter);
    }
  }

  /**
   * What to generate.
   *
   * @param classes C, all classes (100)
   * @param baseClasses Cb, the first classes, which get training images (C/2)
   * @param dim feature width D (512)
   * @param shots n_max of the long-tailed profile, or the count of the fixed one (16)
   * @param imbalanceRatio IR of the long-tailed profile, n_tail/n_max (0.01)
   * @param profile long-tailed (default) or fixed
   * @param testPerClass test images of every class, base and new (20)
   * @param seed seed of everything (1)
   * @param geometry the geometry knobs
   */
  public record Config(
      int classes,
      int baseClasses,
      int dim,
      int shots,
      double imbalanceRatio,
      ShotProfile profile,
      int testPerClass,
      long seed,
      Geometry geometry) {

    public static Config defaults() {
      return new Config(100, 50, 512, 16, 0.01, ShotProfile.LONG_TAILED, 20, 1L, Geometry.defaults());
    }

    public Config {
      if (classes < 1 || baseClasses < 0 || baseClasses > classes) {
        throw new IllegalArgumentException("need 1 <= classes and 0 <= baseClasses <= classes, got " + classes + ", " + baseClasses);
      }
      if (dim < geometry.semanticRank() + 2) {
        throw new IllegalArgumentException(
            "dim " + dim + " must be at least the semantic rank + 2 = " + (geometry.semanticRank() + 2));
      }
      if (shots < 1 || testPerClass < 0) {
        throw new IllegalArgumentException("shots must be >= 1 and testPerClass >= 0");
      }
      if (!(imbalanceRatio > 0 && imbalanceRatio <= 1)) {
        throw new IllegalArgumentException("imbalance ratio must be in (0, 1], got " + imbalanceRatio);
      }
    }

    /** C classes of which the first {@code base} are base classes. */
    public Config withClasses(int c, int base) {
      return new Config(c, base, dim, shots, imbalanceRatio, profile, testPerClass, seed, geometry);
    }

    public Config withDim(int v) {
      return new Config(classes, baseClasses, v, shots, imbalanceRatio, profile, testPerClass, seed, geometry);
    }

    public Config withShots(int v) {
      return new Config(classes, baseClasses, dim, v, imbalanceRatio, profile, testPerClass, seed, geometry);
    }

    public Config withImbalanceRatio(double v) {
      return new Config(classes, baseClasses, dim, shots, v, profile, testPerClass, seed, geometry);
    }

    public Config withProfile(ShotProfile v) {
      return new Config(classes, baseClasses, dim, shots, imbalanceRatio, v, testPerClass, seed, geometry);
    }

    public Config withTestPerClass(int v) {
      return new Config(classes, baseClasses, dim, shots, imbalanceRatio, profile, v, seed, geometry);
    }

    public Config withSeed(long v) {
      return new Config(classes, baseClasses, dim, shots, imbalanceRatio, profile, testPerClass, v, geometry);
    }

    public Config withGeometry(Geometry v) {
      return new Config(classes, baseClasses, dim, shots, imbalanceRatio, profile, testPerClass, seed, v);
    }

    /** Training images of each base class (length {@code baseClasses}). */
    public int[] shotCounts() {
      int[] n = new int[baseClasses];
      for (int i = 0; i < baseClasses; i++) {
        if (profile == ShotProfile.FIXED || baseClasses == 1) {
          n[i] = shots;
        } else {
          n[i] = Math.max((int) (shots * Math.pow(imbalanceRatio, i / (baseClasses - 1.0))), 1);
        }
      }
      return n;
    }
  }

  /**
   * The ready-made benchmark settings, by name, in order: {@code lt-1shot}, {@code lt-2shot},
   * {@code lt-4shot}, {@code lt-16shot}, {@code lt-64shot}. All are the default config (100
   * classes, 50 base, D=512, IR 0.01, 20 test images per class, default geometry) with the
   * long-tailed profile and n_max = 1, 2, 4, 16, 64: so the few-shot ones have "1–4 long-tailed
   * shots" (base classes with 4, 3, 2 or 1 images for {@code lt-4shot}, 2 or 1 for {@code
   * lt-2shot}, exactly 1 for {@code lt-1shot}), and the others a head of 16 or 64 images and a
   * tail of single images. They share classes, text features and test images.
   */
  public static Map<String, Config> benchmarks() {
    Map<String, Config> m = new LinkedHashMap<>();
    for (int shots : new int[] {1, 2, 4, 16, 64}) {
      m.put("lt-" + shots + "shot", Config.defaults().withShots(shots));
    }
    return m;
  }

  /** Generates a dataset; the same config gives the same dataset, bit for bit. */
  public static FeaturesDataset generate(Config cfg) {
    Geometry g = cfg.geometry();
    int d = cfg.dim();
    int r = g.semanticRank();
    int c = cfg.classes();
    Random geo = stream(cfg.seed(), 1);
    double[][] basis = orthonormal(geo, r + 2, d);
    double[] eImage = basis[0];
    double[] eText = basis[1];
    double[][] semantic = new double[r][];
    System.arraycopy(basis, 2, semantic, 0, r);
    double[][] classDir = new double[c][];
    double[][] textDir = new double[c][];
    for (int j = 0; j < c; j++) {
      classDir[j] = unitInSubspace(geo, semantic, d);
      textDir[j] = unitInSubspace(geo, semantic, d);
    }

    Random textRng = stream(cfg.seed(), 2);
    float[] text = new float[c * d];
    for (int j = 0; j < c; j++) {
      double[] v = new double[d];
      axpy(g.textOffset(), eText, v);
      axpy(g.textSignal(), classDir[j], v);
      axpy(g.textNoise(), textDir[j], v);
      store(v, g.textNorm() * jitter(textRng, g.normJitter()), text, j, d);
    }

    int[] counts = cfg.shotCounts();
    int n = 0;
    for (int k : counts) {
      n += k;
    }
    int[] trainLabels = new int[n];
    float[] train = new float[n * d];
    Random trainRng = stream(cfg.seed(), 3);
    int row = 0;
    for (int j = 0; j < counts.length; j++) {
      for (int k = 0; k < counts[j]; k++, row++) {
        trainLabels[row] = j;
        image(trainRng, g, eImage, semantic, classDir[j], train, row, d);
      }
    }

    int m = c * cfg.testPerClass();
    int[] testLabels = new int[m];
    float[] test = new float[m * d];
    Random testRng = stream(cfg.seed(), 4);
    for (int i = 0; i < m; i++) {
      testLabels[i] = i / cfg.testPerClass();
      image(testRng, g, eImage, semantic, classDir[testLabels[i]], test, i, d);
    }

    List<String> names = new ArrayList<>(c);
    int width = String.valueOf(c - 1).length();
    for (int j = 0; j < c; j++) {
      names.add(String.format("synthetic_%0" + width + "d", j));
    }
    return new FeaturesDataset(train, trainLabels, test, testLabels, text, cfg.baseClasses(), names);
  }

  private static void image(
      Random rng, Geometry g, double[] eImage, double[][] semantic, double[] classDir, float[] out, int row, int d) {
    double[] v = new double[d];
    axpy(g.imageOffset(), eImage, v);
    axpy(g.imageSignal(), classDir, v);
    double s = g.imageNoise() / Math.sqrt(semantic.length);
    for (double[] basisVector : semantic) {
      axpy(s * rng.nextGaussian(), basisVector, v);
    }
    double iso = g.imageIsotropicNoise() / Math.sqrt(d);
    for (int k = 0; k < d; k++) {
      v[k] += iso * rng.nextGaussian();
    }
    store(v, g.imageNorm() * jitter(rng, g.normJitter()), out, row, d);
  }

  /** An independent, reproducible random stream per purpose (so e.g. shots do not move test images). */
  private static Random stream(long seed, int purpose) {
    long z = seed * 0x9E3779B97F4A7C15L + purpose * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return new Random(z ^ (z >>> 31));
  }

  private static double jitter(Random rng, double sd) {
    return Math.max(0.5, 1 + sd * rng.nextGaussian());
  }

  /** k orthonormal vectors of R^d (Gram–Schmidt on Gaussian vectors, twice for stability). */
  private static double[][] orthonormal(Random rng, int k, int d) {
    double[][] q = new double[k][d];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < d; j++) {
        q[i][j] = rng.nextGaussian();
      }
      for (int pass = 0; pass < 2; pass++) {
        for (int p = 0; p < i; p++) {
          axpy(-dot(q[i], q[p]), q[p], q[i]);
        }
      }
      scale(q[i], 1 / Math.sqrt(dot(q[i], q[i])));
    }
    return q;
  }

  private static double[] unitInSubspace(Random rng, double[][] basis, int d) {
    double[] v = new double[d];
    for (double[] b : basis) {
      axpy(rng.nextGaussian(), b, v);
    }
    scale(v, 1 / Math.sqrt(dot(v, v)));
    return v;
  }

  private static void store(double[] v, double norm, float[] out, int row, int d) {
    double f = norm / Math.sqrt(dot(v, v));
    for (int k = 0; k < d; k++) {
      out[row * d + k] = (float) (v[k] * f);
    }
  }

  private static void axpy(double a, double[] x, double[] y) {
    for (int k = 0; k < y.length; k++) {
      y[k] += a * x[k];
    }
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      s += a[k] * b[k];
    }
    return s;
  }

  private static void scale(double[] a, double f) {
    for (int k = 0; k < a.length; k++) {
      a[k] *= f;
    }
  }
}
