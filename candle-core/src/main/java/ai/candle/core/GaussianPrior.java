package ai.candle.core;

/**
 * The ADAPTIVE configuration's prior term: an empirical-Bayes Gaussian classifier in CLIP's
 * image space, whose class means blend each class's text feature with its images by how many
 * images it has.
 *
 * <p>Every class is modelled as an isotropic Gaussian around an unknown mean. Its text feature,
 * mapped into the image modality, is a prior guess of that mean; its training images refine it.
 * With raw features, {@code n(v) = v / |v|}, base classes {@code 0..Cb-1} with visual prototypes
 * {@code m_c} (means of {@code n_c} training images), and {@link #TEXT_WEIGHT} {@code k = 8}:
 *
 * <pre>
 * t'_c  = n(t_c) − mean of n(t_b) over all classes b                  centred text
 * μ, α  = weighted least squares fit of m_c ≈ μ + α·t'_c over the base classes,
 *         weights w_c = k·n_c / (k + n_c), α ≥ 0                       text → image map and image centre
 * μ     ← μ − (1 − f)·P_T μ                                          the centre shrunk in the text span T
 *         f = max(0, 1 − (p − 2)·v / |P_T μ|²)                         (James–Stein; p = rank of T)
 * m'_c  = m_c − μ                                                      centred prototype
 * μ̃_c  = (k·α·t'_c + n_c·m'_c) / (k + n_c)                            class mean (n_c = 0: α·t'_c)
 * σ²_c  = W · (1 + 1/(k + n_c))                                        predictive variance
 * term(x, c) = |x'|²/(2W) − |x' − μ̃_c|²/(2σ²_c) − ½·ln(σ²_c / W)     x' = x − μ
 * </pre>
 *
 * W is the within-class scatter of the training images ({@link FitStats#imageScatter()}: mean
 * squared distance of an image to its class's prototype). The term is the log-likelihood of x
 * under class c's posterior-predictive Gaussian, per feature dimension and up to a constant
 * shared by all classes ({@code |x'|²/(2W)} only keeps its values small).
 *
 * <p>Why this shape: centring each modality and mapping text into the image modality by
 * {@code α} removes CLIP's modality gap, so a new class's text competes with base classes'
 * images on equal terms (without it base classes win almost always). {@code k} is how many
 * images a class's text is worth as an estimate of its mean: a class with one image leans on its
 * text, a class with many on its images. A class with few images has a wider predictive
 * Gaussian ({@code σ²_c}), so its uncertain mean does not claim images too eagerly. The image
 * centre μ is the image point of the text centre: a prototype's expected squared deviation from
 * its text's prediction is {@code W/k + W/n_c} (the text's misalignment plus the noise of a mean
 * of n_c images), so the fit weighs each base class by the inverse; the plain mean of the
 * prototypes let single-image classes' noise move the centre, which cost every text-only class
 * (on lt-16shot, the true centre is worth a point of HM: QUALITY.md). k = 8 was
 * chosen on the synthetic benchmark, where it is the ratio of within-class scatter to the text's
 * misalignment (QUALITY.md); k estimated per fit from the data was as good on average and
 * fragile where few classes have two images.
 *
 * <p>The fitted centre is then shrunk where its error lies. T is the span of the centred text
 * features t'_c (rank p) and P_T the projection on it. The fit's error in μ comes from the
 * prototypes' noise and the texts' misalignment, both of which live where classes differ, in T;
 * the true centre's own component in T is the average of what all classes' images share beyond
 * their texts, which the centring makes small. The positive-part James–Stein factor f pulls
 * {@code P_T μ} towards zero by how large it is against its noise, v being the variance of one of
 * its coordinates: the residuals {@code r_c = m'_c − α·t'_c} projected on T have per-coordinate
 * variance {@code s²·(1/k + 1/n_c)}, which gives s², and the weighted fit's intercept has {@code v
 * = s² / Σ w_c}. For p ≥ 3 such a shrinkage lowers the expected squared error of a Gaussian
 * estimate whatever the true value; where {@code P_T μ} is large against its noise f is near 1
 * and nothing moves (where the texts span the whole feature space, as real CLIP's can with more
 * classes than dimensions, T holds the modality offset too, which keeps f at about 1). Finding T
 * (Gram–Schmidt on the C text rows) takes 0.1–0.2 s at C = 1,000, once per model. On synthetic CLIP lt-16shot it moves the centre from 0.59 to 0.29 of the true one
 * (f = 0.21), and the term alone gained 0.1 to 1.2 HM on every benchmark and seed tried; it is
 * also what lets a model with a handful of base classes beat zero-shot (QUALITY.md).
 *
 * <p>When W was not measured (no base class with two images, or a model from before this
 * field) it is estimated from the prototypes: the residuals {@code r_c = m'_c − α t'_c} have
 * expected squared norm {@code W/k + W/n_c}.
 *
 * <p>With fewer than {@link #MIN_BASE_CLASSES} base classes the term is plain zero-shot CLIP,
 * {@code cos(x, t_c)}: the image centre and the text-to-image map come from the base classes,
 * and with few of them their errors become a different bias for every class known only by its
 * text. On synthetic CLIP (generator seeds 5–8, 100 classes, base classes drawn at random from
 * the 50 of lt-16shot or lt-64shot, 8 draws each) the term's all-class accuracy against
 * zero-shot's was −1.2 to +1.7 points with 4 base classes, 0.0 to +2.1 with 6, +0.6 to +2.6 with
 * 8 and +1.8 to +4.6 with 16; without the centre's shrinkage it was −3.3 to +1.7 with 8 and
 * −0.6 to +3.9 with 16 (QUALITY.md). The early versions of a stream are such models.
 *
 * <p>Everything is derived from what a {@link CandleModel} holds. {@link FastScorer} evaluates
 * the term through its linear form ({@link #weights()}, {@link #squareWeights()}, {@link
 * #biases()}); {@link #scores(float[])} evaluates the formula above directly.
 */
public final class GaussianPrior {

  /** k: how many of a class's images its text feature is worth, as an estimate of its mean. */
  public static final double TEXT_WEIGHT = 8.0;

  /** Fewer base classes than this and the term is zero-shot CLIP. */
  public static final int MIN_BASE_CLASSES = 8;

  private static final double EPS = 1e-12;

  /** A text row whose remainder off the span so far is below this fraction of its norm adds no rank. */
  static final double RANK_TOLERANCE = 1e-4;

  private final int classes;
  private final int dim;
  private final boolean zeroShot;
  private final float[] centre;
  private final double[] means; // C×D: μ̃_c, or n(t_c) for zero-shot
  private final double[] variances; // C: σ²_c (1 for zero-shot)
  private final double scatter; // W (1 for zero-shot)
  private final double textToImage; // α
  private final double centreShrinkage; // f

  private GaussianPrior(int classes, int dim, boolean zeroShot, float[] centre, double[] means,
      double[] variances, double scatter, double textToImage, double centreShrinkage) {
    this.classes = classes;
    this.dim = dim;
    this.zeroShot = zeroShot;
    this.centre = centre;
    this.means = means;
    this.variances = variances;
    this.scatter = scatter;
    this.textToImage = textToImage;
    this.centreShrinkage = centreShrinkage;
  }

  /** The term of a model: its classes in model order. */
  public static GaussianPrior of(CandleModel model) {
    return of(model, MIN_BASE_CLASSES);
  }

  /** The term with another threshold of base classes (at least 2; tests use small models). */
  static GaussianPrior of(CandleModel model, int minBaseClasses) {
    return of(model, minBaseClasses, true);
  }

  /** The term, with or without the shrinkage of the centre (tests compare the two). */
  static GaussianPrior of(CandleModel model, int minBaseClasses, boolean shrinkCentre) {
    int c = model.numClasses();
    int d = model.dim();
    int cb = model.baseClasses();
    double[] text = normalisedRows(model.textFeatures(), c, d);
    if (cb < Math.max(2, minBaseClasses)) {
      double[] ones = new double[c];
      java.util.Arrays.fill(ones, 1.0);
      return new GaussianPrior(c, d, true, new float[d], text, ones, 1.0, 0.0, 1.0);
    }
    float[] visual = model.visualPrototypes();
    double[] n = imagesBehindPrototypes(model);
    double textWeight = TEXT_WEIGHT;
    // t'_c: unit text features centred on the mean over all classes
    double[] textCentre = new double[d];
    for (int j = 0; j < c; j++) {
      for (int k = 0; k < d; k++) {
        textCentre[k] += text[j * d + k] / c;
      }
    }
    double[] t = new double[c * d];
    for (int j = 0; j < c; j++) {
      for (int k = 0; k < d; k++) {
        t[j * d + k] = text[j * d + k] - textCentre[k];
      }
    }
    // weighted least squares m_c ≈ μ + α·t'_c, weights w_c = k·n_c / (k + n_c)
    double[] weight = new double[cb];
    double weightSum = 0;
    double[] visualBar = new double[d];
    double[] textBar = new double[d];
    for (int j = 0; j < cb; j++) {
      weight[j] = textWeight * n[j] / (textWeight + n[j]);
      weightSum += weight[j];
    }
    for (int j = 0; j < cb; j++) {
      for (int k = 0; k < d; k++) {
        visualBar[k] += weight[j] / weightSum * visual[j * d + k];
        textBar[k] += weight[j] / weightSum * t[j * d + k];
      }
    }
    double num = 0;
    double den = 0;
    for (int j = 0; j < cb; j++) {
      for (int k = 0; k < d; k++) {
        double dt = t[j * d + k] - textBar[k];
        num += weight[j] * (visual[j * d + k] - visualBar[k]) * dt;
        den += weight[j] * dt * dt;
      }
    }
    double alpha = den > 0 ? Math.max(0, num / den) : 0;
    double[] mu = new double[d];
    for (int k = 0; k < d; k++) {
      mu[k] = visualBar[k] - alpha * textBar[k];
    }
    double[] m = centred(visual, mu, cb, d); // m'_c
    double w = model.stats().imageScatter();
    if (!(w > 0)) {
      w = estimatedScatter(m, t, n, alpha, cb, d);
    }
    double shrinkage = 1;
    if (shrinkCentre) {
      double[] basis = orthonormalBasis(t, c, d);
      shrinkage = centreShrinkage(basis, mu, m, t, n, weight, alpha, cb, d);
      // μ ← μ − (1 − f)·P_T μ, and the prototypes re-centred on it
      int p = basis.length / d;
      for (int i = 0; i < p; i++) {
        double along = dot(basis, i * d, mu, 0, d);
        for (int k = 0; k < d; k++) {
          mu[k] -= (1 - shrinkage) * along * basis[i * d + k];
        }
      }
      m = centred(visual, mu, cb, d);
    }
    double[] mean = new double[c * d];
    double[] var = new double[c];
    for (int j = 0; j < c; j++) {
      double nj = j < cb ? n[j] : 0;
      for (int k = 0; k < d; k++) {
        double fromImages = j < cb ? nj * m[j * d + k] : 0;
        mean[j * d + k] = (textWeight * alpha * t[j * d + k] + fromImages) / (textWeight + nj);
      }
      var[j] = w * (1 + 1 / (textWeight + nj));
    }
    float[] centre = new float[d];
    for (int k = 0; k < d; k++) {
      centre[k] = (float) mu[k];
    }
    return new GaussianPrior(c, d, false, centre, mean, var, w, alpha, shrinkage);
  }

  /**
   * An orthonormal basis of the span of the C rows of {@code rows} (C×D), row-major p×D: modified
   * Gram–Schmidt, twice per row; a row whose remainder is below {@link #RANK_TOLERANCE} of its
   * norm adds nothing (centred rows are dependent: they sum to zero).
   */
  static double[] orthonormalBasis(double[] rows, int c, int d) {
    double[] basis = new double[Math.min(c, d) * d];
    int p = 0;
    double[] v = new double[d];
    for (int j = 0; j < c && p < d; j++) {
      System.arraycopy(rows, j * d, v, 0, d);
      double norm = Math.sqrt(dot(v, 0, v, 0, d));
      if (!(norm > EPS)) {
        continue;
      }
      for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < p; i++) {
          double along = dot(basis, i * d, v, 0, d);
          for (int k = 0; k < d; k++) {
            v[k] -= along * basis[i * d + k];
          }
        }
      }
      double rest = Math.sqrt(dot(v, 0, v, 0, d));
      if (rest > RANK_TOLERANCE * norm) {
        for (int k = 0; k < d; k++) {
          basis[p * d + k] = v[k] / rest;
        }
        p++;
      }
    }
    return java.util.Arrays.copyOf(basis, p * d);
  }

  /**
   * f, the positive-part James–Stein factor of the centre's component in the text span: {@code
   * max(0, 1 − (p − 2)·v / |P_T μ|²)}, with p the span's rank and v the variance of one coordinate
   * of μ there. v comes from the residuals {@code r_c = m'_c − α·t'_c} projected on the span: each
   * coordinate has variance {@code s²·(1/k + 1/n_c)}, and the weighted fit's intercept {@code
   * s² / Σ w_c}. 1 (no shrinkage) when p < 3.
   */
  private static double centreShrinkage(double[] basis, double[] mu, double[] m, double[] t, double[] n,
      double[] weight, double alpha, int cb, int d) {
    int p = basis.length / d;
    if (p < 3) {
      return 1;
    }
    double residualSquares = 0;
    double spread = 0;
    double weightSum = 0;
    double[] r = new double[d];
    for (int j = 0; j < cb; j++) {
      for (int k = 0; k < d; k++) {
        r[k] = m[j * d + k] - alpha * t[j * d + k];
      }
      for (int i = 0; i < p; i++) {
        double along = dot(basis, i * d, r, 0, d);
        residualSquares += along * along / p;
      }
      spread += 1 / TEXT_WEIGHT + 1 / n[j];
      weightSum += weight[j];
    }
    double variance = residualSquares / spread / weightSum;
    double inSpan = 0;
    for (int i = 0; i < p; i++) {
      double along = dot(basis, i * d, mu, 0, d);
      inSpan += along * along;
    }
    return inSpan > 0 ? Math.max(0, 1 - (p - 2) * variance / inSpan) : 1;
  }

  private static double dot(double[] a, int ai, double[] b, int bi, int d) {
    double s = 0;
    for (int k = 0; k < d; k++) {
      s += a[ai + k] * b[bi + k];
    }
    return s;
  }

  /** The first {@code rows} rows of {@code v} (rows×D) minus {@code centre}. */
  private static double[] centred(float[] v, double[] centre, int rows, int d) {
    double[] out = new double[rows * d];
    for (int j = 0; j < rows; j++) {
      for (int k = 0; k < d; k++) {
        out[j * d + k] = v[j * d + k] - centre[k];
      }
    }
    return out;
  }

  /** n_c: images behind each base class's prototype, its count capped as the fit capped it, at least 1. */
  private static double[] imagesBehindPrototypes(CandleModel model) {
    int cap = model.hyper().maxPerClass();
    double[] n = new double[model.baseClasses()];
    for (int j = 0; j < n.length; j++) {
      double count = model.classCounts()[j];
      n[j] = Math.max(1.0, cap > 0 ? Math.min(count, cap) : count);
    }
    return n;
  }

  /** W from the prototypes alone: E|r_c|² = W/k + W/n_c, averaged over base classes. */
  private static double estimatedScatter(double[] m, double[] t, double[] n, double alpha, int cb, int d) {
    double r2 = 0;
    double inv = 0;
    for (int j = 0; j < cb; j++) {
      for (int k = 0; k < d; k++) {
        double r = m[j * d + k] - alpha * t[j * d + k];
        r2 += r * r / cb;
      }
      inv += 1 / n[j] / cb;
    }
    return Math.max(r2 / (1 / TEXT_WEIGHT + inv), EPS);
  }

  /** True when the model has too few base classes and the term is zero-shot CLIP. */
  public boolean isZeroShot() {
    return zeroShot;
  }

  /** μ, the image centre in raw feature units (zeros for zero-shot). */
  public float[] centre() {
    return centre.clone();
  }

  /** The C×D class means μ̃_c relative to μ, row-major (unit text features for zero-shot). */
  public double[] means() {
    return means.clone();
  }

  /** The C predictive variances σ²_c. */
  public double[] variances() {
    return variances.clone();
  }

  /** W, the within-class scatter the term used (measured by the fit, or estimated). */
  public double scatter() {
    return scatter;
  }

  /**
   * f, how much of the fitted centre's component in the span of the centred text features was kept
   * (1: all of it; 1 for zero-shot).
   */
  public double centreShrinkage() {
    return centreShrinkage;
  }

  /** α, the fitted map from centred unit text features to centred image features. */
  public double textToImage() {
    return textToImage;
  }

  /**
   * Linear form, part 1: {@code term(x, c) = x'·A_c + |x'|²·a_c + b_c}; this is A (C×D),
   * {@code μ̃_c / σ²_c}. For zero-shot, x' is the unit image and A_c the unit text feature.
   */
  public float[] weights() {
    float[] a = new float[classes * dim];
    for (int j = 0; j < classes; j++) {
      for (int k = 0; k < dim; k++) {
        a[j * dim + k] = (float) (means[j * dim + k] / variances[j]);
      }
    }
    return a;
  }

  /** Linear form, part 2: a_c = 1/(2W) − 1/(2σ²_c) (zeros for zero-shot). */
  public float[] squareWeights() {
    float[] a = new float[classes];
    if (!zeroShot) {
      for (int j = 0; j < classes; j++) {
        a[j] = (float) (0.5 / scatter - 0.5 / variances[j]);
      }
    }
    return a;
  }

  /** Linear form, part 3: b_c = −|μ̃_c|²/(2σ²_c) − ½·ln(σ²_c/W) (zeros for zero-shot). */
  public float[] biases() {
    float[] b = new float[classes];
    if (!zeroShot) {
      for (int j = 0; j < classes; j++) {
        double sq = 0;
        for (int k = 0; k < dim; k++) {
          sq += means[j * dim + k] * means[j * dim + k];
        }
        b[j] = (float) (-sq / (2 * variances[j]) - 0.5 * Math.log(variances[j] / scatter));
      }
    }
    return b;
  }

  /** The C values {@code term(x, c)} of one raw image feature, from the formula, in double precision. */
  public double[] scores(float[] image) {
    if (image.length != dim) {
      throw new IllegalArgumentException("image feature has " + image.length + " values, expected " + dim);
    }
    double[] x = new double[dim];
    for (int k = 0; k < dim; k++) {
      x[k] = (double) image[k] - centre[k];
    }
    double[] out = new double[classes];
    if (zeroShot) {
      normalise(x);
      for (int j = 0; j < classes; j++) {
        double s = 0;
        for (int k = 0; k < dim; k++) {
          s += x[k] * means[j * dim + k];
        }
        out[j] = s;
      }
      return out;
    }
    double xx = 0;
    for (double v : x) {
      xx += v * v;
    }
    for (int j = 0; j < classes; j++) {
      double d2 = 0;
      for (int k = 0; k < dim; k++) {
        double diff = x[k] - means[j * dim + k];
        d2 += diff * diff;
      }
      out[j] = xx / (2 * scatter) - d2 / (2 * variances[j]) - 0.5 * Math.log(variances[j] / scatter);
    }
    return out;
  }

  private static double[] normalisedRows(float[] v, int rows, int d) {
    double[] out = new double[rows * d];
    double[] row = new double[d];
    for (int j = 0; j < rows; j++) {
      for (int k = 0; k < d; k++) {
        row[k] = v[j * d + k];
      }
      normalise(row);
      System.arraycopy(row, 0, out, j * d, d);
    }
    return out;
  }

  private static void normalise(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x * x;
    }
    double norm = Math.max(Math.sqrt(s), EPS);
    for (int k = 0; k < v.length; k++) {
      v[k] /= norm;
    }
  }
}
