package ai.candle.core.synthetic;

import ai.candle.core.io.FeaturesDataset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Synthetic CLIP-like features: a {@link FeaturesDataset} whose statistics imitate real CLIP
 * ViT-B/32 features of ImageNet, for tests, benchmarks and the demo's default data.
 *
 * <h2>Geometry</h2>
 *
 * Features are built on the unit sphere and then given CLIP's raw norms (Candle normalises inside).
 * With a random orthonormal basis {@code Q} of R^D, every class c belongs to one of a fixed number
 * of superclasses s(c), and has
 *
 * <pre>
 * z_c = √ρ·g_s(c) + √(1−ρ)·h_c            shared latent (what text and images both describe)
 * v_c = √ρ_v·g'_s(c) + √(1−ρ_v)·h'_c      visual-only latent (what text does not say)
 * δ_c                                       text-only misalignment
 * image class mean  m_c = a·z_c + a_v·v_c
 * text feature      t_c = n( μ_T + b·z_c + b_δ·δ_c )
 * image feature     x   = n( μ_I + m_c + σ·(√(1−κ)·ε + √κ·ν) )         one per image
 * </pre>
 *
 * where {@code n(v) = v / |v|}, the latents are Gaussian with a power-law spectrum over the axes of
 * {@code Q} (variance of axis i proportional to {@code i^−p}), ε is within-class noise with the
 * latents' spectrum and ν is nuisance noise (pose, background, light: what no text describes) with
 * a steeper spectrum in an unrelated basis. {@code μ_I} and {@code μ_T} are the mean image and mean
 * text, CLIP's modality gap. The weights follow from measured second moments of real features:
 * {@code |μ_I|², |μ_T|², μ_I·μ_T}, the variance of the image class means {@code a² + a_v²}, of the
 * texts {@code b² + b_δ²} and their covariance {@code a·b}.
 *
 * <p>The defaults were fitted (by a search over the spectra, the superclass shares and the nuisance
 * share) to the statistics of real CLIP ViT-B/32 ImageNet features that {@code docs/real-clip.md}
 * lists: at 1,000 classes with 1–4 long-tailed shots they match zero-shot accuracy,
 * nearest-prototype accuracy, image-text and image-image cosines, the norms of the mean image and
 * text and the image and text covariance spectra, each within 15% (the test {@code
 * SyntheticClipTest} holds them there). Like real CLIP, a class's text is a far better classifier
 * than one to four of its images, and prototypes win only in numbers. Deterministic given the seed:
 * class geometry and text depend only on the seed, the class count and the geometry, and training
 * and test images come from separate random streams, so benchmarks with different shot counts share
 * classes, text features and test images.
 *
 * <h2>Shots</h2>
 *
 * Base classes are the first {@code baseClasses} (half of them by default); new classes get test
 * images only. With {@link ShotProfile#LONG_TAILED} (default) base class i gets {@code n_i =
 * max(int(shots · IR^(i/(Cb−1))), 1)} training images, so {@code shots} is the head class's count
 * and the tail has single images; with {@link ShotProfile#FIXED} every base class gets exactly
 * {@code shots}. See {@link #benchmarks()} for the ready-made settings.
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
   * The geometry (see the class documentation for the formulas). Variances and norms are those of
   * unit-normalised features.
   *
   * @param superclasses how many superclasses the classes are spread over (37); siblings are what
   *     zero-shot and prototypes confuse most
   * @param superclassShare ρ, the share of a class's shared latent that its superclass gives
   * @param visualSuperclassShare ρ_v, the same for the visual-only latent
   * @param latentSpectrum p of the latents' and the within-class noise's power-law spectrum
   * @param misalignmentSpectrum p of the text misalignment's spectrum
   * @param nuisanceSpectrum p of the nuisance noise's spectrum
   * @param sharedImageWeight a, the weight of the shared latent in image class means
   * @param imageClassVariance a² + a_v², the variance of image class means
   * @param textClassVariance b² + b_δ², the variance of texts around their mean
   * @param imageTextCovariance a·b, the covariance of an image class mean and its text
   * @param withinClassVariance σ², the variance of images around their class mean
   * @param nuisanceShare κ, the share of the within-class variance that is nuisance
   * @param meanImageNorm |μ_I|
   * @param meanTextNorm |μ_T|
   * @param meanImageTextDot μ_I·μ_T
   * @param imageNorm mean raw norm of image features (10)
   * @param textNorm mean raw norm of text features (8)
   * @param normJitter relative standard deviation of the raw norms (0.05)
   */
  public record Geometry(
      int superclasses,
      double superclassShare,
      double visualSuperclassShare,
      double latentSpectrum,
      double misalignmentSpectrum,
      double nuisanceSpectrum,
      double sharedImageWeight,
      double imageClassVariance,
      double textClassVariance,
      double imageTextCovariance,
      double withinClassVariance,
      double nuisanceShare,
      double meanImageNorm,
      double meanTextNorm,
      double meanImageTextDot,
      double imageNorm,
      double textNorm,
      double normJitter) {

    /** Fitted to real CLIP ViT-B/32 features of ImageNet (class documentation). */
    public static Geometry defaults() {
      return new Geometry(
          37, 0.54, 0.945, 0.485, 1.233, 1.761, 0.25, 0.266, 0.373, 0.127, 0.213, 0.368, 0.722,
          0.792, 0.184, 10.0, 8.0, 0.05);
    }

    public Geometry {
      if (superclasses < 1) {
        throw new IllegalArgumentException("superclasses must be >= 1, got " + superclasses);
      }
      for (double share : new double[] {superclassShare, visualSuperclassShare, nuisanceShare}) {
        if (!(share >= 0 && share <= 1)) {
          throw new IllegalArgumentException("shares must be in [0, 1]: " + this);
        }
      }
      for (double v :
          new double[] {
            latentSpectrum,
            misalignmentSpectrum,
            nuisanceSpectrum,
            sharedImageWeight,
            imageClassVariance,
            textClassVariance,
            imageTextCovariance,
            withinClassVariance,
            meanImageNorm,
            meanTextNorm,
            normJitter
          }) {
        if (!(v >= 0) || Double.isInfinite(v)) {
          throw new IllegalArgumentException("geometry values must be finite and >= 0: " + this);
        }
      }
      if (!(sharedImageWeight > 0)
          || sharedImageWeight * sharedImageWeight > imageClassVariance
          || textWeight(imageTextCovariance, sharedImageWeight) > textClassVariance) {
        throw new IllegalArgumentException(
            "need a² ≤ image class variance and (cov/a)² ≤ text class variance: " + this);
      }
      if (Math.abs(meanImageTextDot) > meanImageNorm * meanTextNorm) {
        throw new IllegalArgumentException("|μ_I·μ_T| must not exceed |μ_I|·|μ_T|: " + this);
      }
      if (!(imageNorm > 0) || !(textNorm > 0) || normJitter >= 0.5) {
        throw new IllegalArgumentException("norms must be > 0 and jitter < 0.5: " + this);
      }
    }

    private static double textWeight(double covariance, double a) {
      double b = covariance / a;
      return b * b;
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
   * @param geometry the geometry
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

    /** Below this width the modality axes leave too few latent axes. */
    public static final int MIN_DIM = 8;

    public static Config defaults() {
      return new Config(
          100, 50, 512, 16, 0.01, ShotProfile.LONG_TAILED, 20, 1L, Geometry.defaults());
    }

    public Config {
      if (classes < 1 || baseClasses < 0 || baseClasses > classes) {
        throw new IllegalArgumentException(
            "need 1 <= classes and 0 <= baseClasses <= classes, got "
                + classes
                + ", "
                + baseClasses);
      }
      if (dim < MIN_DIM) {
        throw new IllegalArgumentException("dim " + dim + " must be at least " + MIN_DIM);
      }
      if (shots < 1 || testPerClass < 0) {
        throw new IllegalArgumentException("shots must be >= 1 and testPerClass >= 0");
      }
      if (!(imbalanceRatio > 0 && imbalanceRatio <= 1)) {
        throw new IllegalArgumentException(
            "imbalance ratio must be in (0, 1], got " + imbalanceRatio);
      }
    }

    /** C classes of which the first {@code base} are base classes. */
    public Config withClasses(int c, int base) {
      return new Config(c, base, dim, shots, imbalanceRatio, profile, testPerClass, seed, geometry);
    }

    public Config withDim(int v) {
      return new Config(
          classes, baseClasses, v, shots, imbalanceRatio, profile, testPerClass, seed, geometry);
    }

    public Config withShots(int v) {
      return new Config(
          classes, baseClasses, dim, v, imbalanceRatio, profile, testPerClass, seed, geometry);
    }

    public Config withImbalanceRatio(double v) {
      return new Config(classes, baseClasses, dim, shots, v, profile, testPerClass, seed, geometry);
    }

    public Config withProfile(ShotProfile v) {
      return new Config(
          classes, baseClasses, dim, shots, imbalanceRatio, v, testPerClass, seed, geometry);
    }

    public Config withTestPerClass(int v) {
      return new Config(
          classes, baseClasses, dim, shots, imbalanceRatio, profile, v, seed, geometry);
    }

    public Config withSeed(long v) {
      return new Config(
          classes, baseClasses, dim, shots, imbalanceRatio, profile, testPerClass, v, geometry);
    }

    public Config withGeometry(Geometry v) {
      return new Config(
          classes, baseClasses, dim, shots, imbalanceRatio, profile, testPerClass, seed, v);
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
   * {@code lt-4shot}, {@code lt-16shot}, {@code lt-64shot} (the default config: 100 classes, 50
   * base, D = 512, IR 0.01, 20 test images per class, long-tailed with n_max = 1, 2, 4, 16, 64),
   * then {@code imagenet-4shot}, {@code imagenet-16shot}, {@code imagenet-64shot}: 1,000 classes,
   * 500 base, IR 0.25, 2 test images per class, the shape of the real-CLIP ImageNet protocol (4
   * shots: 853 training images, 4 down to 1 per base class). The 100-class ones share classes, text
   * features and test images, and so do the 1,000-class ones.
   */
  public static Map<String, Config> benchmarks() {
    Map<String, Config> m = new LinkedHashMap<>();
    for (int shots : new int[] {1, 2, 4, 16, 64}) {
      m.put("lt-" + shots + "shot", Config.defaults().withShots(shots));
    }
    for (int shots : new int[] {4, 16, 64}) {
      m.put("imagenet-" + shots + "shot", imagenetShape(shots));
    }
    return m;
  }

  /** 1,000 classes (500 base), {@code shots} down to a quarter of it, 2 test images per class. */
  public static Config imagenetShape(int shots) {
    return Config.defaults()
        .withClasses(1000, 500)
        .withShots(shots)
        .withImbalanceRatio(0.25)
        .withTestPerClass(2);
  }

  /** Generates a dataset; the same config gives the same dataset, bit for bit. */
  public static FeaturesDataset generate(Config cfg) {
    Geometry g = cfg.geometry();
    int d = cfg.dim();
    int c = cfg.classes();
    Random geo = stream(cfg.seed(), 1);
    double[][] basis = orthonormal(geo, d, d);
    double[][] nuisanceBasis = orthonormal(geo, d, d);
    // the last two axes carry the mean image and text; the latents use the spectrum over all axes
    double[] latentSd = powerLawSd(d, g.latentSpectrum());
    double[] misalignmentSd = powerLawSd(d, g.misalignmentSpectrum());
    double[] nuisanceSd = powerLawSd(d, g.nuisanceSpectrum());
    double a = g.sharedImageWeight();
    double av = Math.sqrt(Math.max(0, g.imageClassVariance() - a * a));
    double b = g.imageTextCovariance() / a;
    double bd = Math.sqrt(Math.max(0, g.textClassVariance() - b * b));
    double cosGap = g.meanImageTextDot() / (g.meanImageNorm() * g.meanTextNorm());
    double[] meanImage = scaled(basis[d - 1], g.meanImageNorm());
    double[] meanText = new double[d];
    axpy(g.meanTextNorm() * cosGap, basis[d - 1], meanText);
    axpy(g.meanTextNorm() * Math.sqrt(Math.max(0, 1 - cosGap * cosGap)), basis[d - 2], meanText);

    int supers = g.superclasses();
    double[][] sharedSuper = new double[supers][];
    double[][] visualSuper = new double[supers][];
    for (int s = 0; s < supers; s++) {
      sharedSuper[s] = gaussian(geo, latentSd);
      visualSuper[s] = gaussian(geo, latentSd);
    }
    double[][] imageMean = new double[c][]; // m_c in latent coordinates
    double[][] textDev = new double[c][]; // b·z_c + b_δ·δ_c in latent coordinates
    double rho = g.superclassShare();
    double rhoV = g.visualSuperclassShare();
    for (int j = 0; j < c; j++) {
      int s = geo.nextInt(supers);
      double[] z = mix(rho, sharedSuper[s], gaussian(geo, latentSd));
      double[] v = mix(rhoV, visualSuper[s], gaussian(geo, latentSd));
      double[] delta = gaussian(geo, misalignmentSd);
      imageMean[j] = new double[d];
      axpy(a, z, imageMean[j]);
      axpy(av, v, imageMean[j]);
      textDev[j] = new double[d];
      axpy(b, z, textDev[j]);
      axpy(bd, delta, textDev[j]);
    }

    Random textRng = stream(cfg.seed(), 2);
    float[] text = new float[c * d];
    for (int j = 0; j < c; j++) {
      double[] t = meanText.clone();
      addInBasis(textDev[j], basis, t);
      store(t, g.textNorm() * jitter(textRng, g.normJitter()), text, j, d);
    }

    ImageNoise noise = new ImageNoise(basis, nuisanceBasis, latentSd, nuisanceSd, g);
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
        image(trainRng, meanImage, imageMean[j], basis, noise, g, train, row, d);
      }
    }

    int m = c * cfg.testPerClass();
    int[] testLabels = new int[m];
    float[] test = new float[m * d];
    Random testRng = stream(cfg.seed(), 4);
    for (int i = 0; i < m; i++) {
      testLabels[i] = i / cfg.testPerClass();
      image(testRng, meanImage, imageMean[testLabels[i]], basis, noise, g, test, i, d);
    }

    List<String> names = new ArrayList<>(c);
    int width = String.valueOf(c - 1).length();
    for (int j = 0; j < c; j++) {
      names.add(String.format("synthetic_%0" + width + "d", j));
    }
    return new FeaturesDataset(
        train, trainLabels, test, testLabels, text, cfg.baseClasses(), names);
  }

  /** The within-class noise: latent-spectrum noise in the class basis, nuisance in its own. */
  private record ImageNoise(
      double[][] basis,
      double[][] nuisanceBasis,
      double[] latentSd,
      double[] nuisanceSd,
      Geometry g) {}

  private static void image(
      Random rng,
      double[] meanImage,
      double[] classMean,
      double[][] basis,
      ImageNoise noise,
      Geometry g,
      float[] out,
      int row,
      int d) {
    double[] x = meanImage.clone();
    double[] latent = classMean.clone();
    double sigma = Math.sqrt(g.withinClassVariance());
    double kappa = g.nuisanceShare();
    double[] eps = gaussian(rng, noise.latentSd());
    axpy(sigma * Math.sqrt(1 - kappa), eps, latent);
    addInBasis(latent, basis, x);
    double[] nu = gaussian(rng, noise.nuisanceSd());
    for (int i = 0; i < d; i++) {
      nu[i] *= sigma * Math.sqrt(kappa);
    }
    addInBasis(nu, noise.nuisanceBasis(), x);
    store(x, g.imageNorm() * jitter(rng, g.normJitter()), out, row, d);
  }

  /**
   * Standard deviations of a power-law spectrum over {@code d} axes: variance i^−p, summing to 1.
   */
  static double[] powerLawSd(int d, double p) {
    double[] var = new double[d];
    double sum = 0;
    for (int i = 0; i < d; i++) {
      var[i] = Math.pow(i + 1, -p);
      sum += var[i];
    }
    double[] sd = new double[d];
    for (int i = 0; i < d; i++) {
      sd[i] = Math.sqrt(var[i] / sum);
    }
    return sd;
  }

  private static double[] gaussian(Random rng, double[] sd) {
    double[] v = new double[sd.length];
    for (int i = 0; i < sd.length; i++) {
      v[i] = sd[i] * rng.nextGaussian();
    }
    return v;
  }

  /** √share·shared + √(1−share)·own. */
  private static double[] mix(double share, double[] shared, double[] own) {
    double[] out = new double[own.length];
    axpy(Math.sqrt(share), shared, out);
    axpy(Math.sqrt(1 - share), own, out);
    return out;
  }

  /** y += Σ_i coords[i]·basis[i]. */
  private static void addInBasis(double[] coords, double[][] basis, double[] y) {
    for (int i = 0; i < coords.length; i++) {
      if (coords[i] != 0) {
        axpy(coords[i], basis[i], y);
      }
    }
  }

  /**
   * An independent, reproducible random stream per purpose (so e.g. shots do not move test images).
   */
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

  private static double[] scaled(double[] v, double f) {
    double[] out = v.clone();
    scale(out, f);
    return out;
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
