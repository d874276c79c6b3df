package ai.candle.core;

import java.util.Arrays;

/**
 * The image-evidence term G̃ of the ADAPTIVE score ({@link ScoreWeights}): how much a base class's
 * images make an image more likely to be of that class than its text alone does, under an
 * empirical-Bayes Gaussian model of CLIP's image space.
 *
 * <p>Every class is an isotropic Gaussian around an unknown mean. Its text feature, mapped into the
 * image modality, is a prior guess of that mean; its images refine it. With raw features, {@code
 * n(v) = v / |v|}, base classes b with visual prototypes {@code m_b} (means of {@code n_b} images)
 * and the text weight k of the score's weights:
 *
 * <pre>
 * t'_c  = n(t_c) − mean of n(t) over all classes                      centred text
 * μ, α  = weighted least squares fit of m_b ≈ μ + α·t'_b, weights k·n_b/(k + n_b), α ≥ 0
 * μ     ← μ − (1 − f)·P_T μ,  f = max(0, 1 − (p − 2)·v/|P_T μ|²)       the centre shrunk in the text span
 * μ̃_b  = (k·α·t'_b + n_b·(m_b − μ)) / (k + n_b),   σ²_b = W·(1 + 1/(k + n_b))     with its images
 * μ⁰_b  = α·t'_b,                                   σ²_0 = W·(1 + 1/k)           text alone
 * G̃_b(x) = log N(x'; μ̃_b, σ²_b) − log N(x'; μ⁰_b, σ²_0),   x' = x − μ
 *        = |x' − μ⁰_b|²/(2σ²_0) − |x' − μ̃_b|²/(2σ²_b) − ½·ln(σ²_b/σ²_0)     (per feature dimension)
 * </pre>
 *
 * W is the within-class scatter of the training images ({@link FitStats#imageScatter()}, the mean
 * squared distance of an image to its prototype; estimated from the prototypes when no class has
 * two images). Centring each modality and mapping text by α removes CLIP's modality gap, so a
 * class's images and its text speak about the same point. The term compares the class's
 * posterior-predictive Gaussian with the text-only one, so it is zero for a class without images
 * and measures only what the images add: the text's own evidence is already in the score as
 * zero-shot CLIP's logit, which on real CLIP is far better calibrated than a Gaussian around the
 * mapped text. k is how much a class's text is trusted as an estimate of its mean; the score's
 * weights choose it by cross-validation with the term's weight.
 *
 * <p>The centre's shrinkage: T is the span of the centred texts t'_c (rank p), P_T the projection
 * on it. The fit's error in μ lies where classes differ, in T; the true centre's own component
 * there is small after centring. The positive-part James–Stein factor f pulls {@code P_T μ} towards
 * zero by how large it is against its noise v, the variance of one of its coordinates, from the
 * prototypes' residuals {@code r_b = m_b − μ − α·t'_b} projected on T (per coordinate {@code
 * s²·(1/k + 1/n_b)}; the weighted intercept's {@code s²/Σ w_b}). 1 when p < 3.
 *
 * <p>With fewer than two base classes μ and α cannot be fitted and the term is zero. {@link
 * FastScorer} evaluates the term through its linear form ({@link #weights()}, {@link
 * #squareWeights()}, {@link #biases()}); {@link #scores(float[])} evaluates the formula directly.
 */
public final class GaussianPrior {

  private static final double EPS = 1e-12;

  /**
   * A text row whose remainder off the span so far is below this fraction of its norm adds no rank.
   */
  static final double RANK_TOLERANCE = 1e-4;

  private final int baseClasses;
  private final int dim;
  private final double textWeight;
  private final boolean empty;
  private final float[] centre; // μ
  private final double[] prototypes; // Cb×D: m_b − μ
  private final double[] textMeans; // Cb×D: α·t'_b
  private final double[] counts; // n_b
  private final double scatter; // W
  private final double textToImage; // α
  private final double centreShrinkage; // f

  private GaussianPrior(
      int baseClasses,
      int dim,
      double textWeight,
      boolean empty,
      float[] centre,
      double[] prototypes,
      double[] textMeans,
      double[] counts,
      double scatter,
      double textToImage,
      double centreShrinkage) {
    this.baseClasses = baseClasses;
    this.dim = dim;
    this.textWeight = textWeight;
    this.empty = empty;
    this.centre = centre;
    this.prototypes = prototypes;
    this.textMeans = textMeans;
    this.counts = counts;
    this.scatter = scatter;
    this.textToImage = textToImage;
    this.centreShrinkage = centreShrinkage;
  }

  /** The term of a model, with the text weight of its score weights. */
  public static GaussianPrior of(CandleModel model) {
    return of(model, model.weights().textWeight());
  }

  /** The term of a model with text weight k. */
  public static GaussianPrior of(CandleModel model, double textWeight) {
    return fit(
        model.visualPrototypes(),
        imagesBehindPrototypes(model),
        model.baseClasses(),
        model.textFeatures(),
        model.numClasses(),
        model.dim(),
        model.stats().imageScatter(),
        textWeight);
  }

  /**
   * Fits the term.
   *
   * @param visual Cb×D raw visual prototypes of the base classes {@code 0..Cb-1}
   * @param n the images behind each prototype (length Cb, each ≥ 1)
   * @param text C×D raw text features of all classes (base first)
   * @param measuredScatter W as measured by the fit; ≤ 0 when unmeasured (no class had two images):
   *     then it is estimated from the prototypes
   * @param textWeight k (> 0)
   */
  public static GaussianPrior fit(
      float[] visual,
      double[] n,
      int cb,
      float[] text,
      int c,
      int d,
      double measuredScatter,
      double textWeight) {
    if (!(textWeight > 0)) {
      throw new IllegalArgumentException("text weight must be > 0, got " + textWeight);
    }
    if (cb < 2) {
      return new GaussianPrior(
          cb,
          d,
          textWeight,
          true,
          new float[d],
          new double[cb * d],
          new double[cb * d],
          n.clone(),
          1.0,
          0.0,
          1.0);
    }
    double k = textWeight;
    double[] t = centredUnitRows(text, c, d);
    double[] weight = new double[cb];
    double weightSum = 0;
    for (int j = 0; j < cb; j++) {
      weight[j] = k * n[j] / (k + n[j]);
      weightSum += weight[j];
    }
    double[] visualBar = new double[d];
    double[] textBar = new double[d];
    for (int j = 0; j < cb; j++) {
      for (int i = 0; i < d; i++) {
        visualBar[i] += weight[j] / weightSum * visual[j * d + i];
        textBar[i] += weight[j] / weightSum * t[j * d + i];
      }
    }
    double num = 0;
    double den = 0;
    for (int j = 0; j < cb; j++) {
      for (int i = 0; i < d; i++) {
        double dt = t[j * d + i] - textBar[i];
        num += weight[j] * (visual[j * d + i] - visualBar[i]) * dt;
        den += weight[j] * dt * dt;
      }
    }
    double alpha = den > 0 ? Math.max(0, num / den) : 0;
    double[] mu = new double[d];
    for (int i = 0; i < d; i++) {
      mu[i] = visualBar[i] - alpha * textBar[i];
    }
    double w =
        measuredScatter > 0
            ? measuredScatter
            : estimatedScatter(centred(visual, mu, cb, d), t, n, alpha, cb, d, k);
    double[] basis = orthonormalBasis(t, c, d);
    double shrinkage =
        centreShrinkage(basis, centred(visual, mu, cb, d), t, n, weight, alpha, cb, d, k, mu);
    int p = basis.length / d;
    for (int r = 0; r < p; r++) {
      double along = dot(basis, r * d, mu, 0, d);
      for (int i = 0; i < d; i++) {
        mu[i] -= (1 - shrinkage) * along * basis[r * d + i];
      }
    }
    double[] textMeans = new double[cb * d];
    for (int j = 0; j < cb * d; j++) {
      textMeans[j] = alpha * t[j];
    }
    float[] centre = new float[d];
    for (int i = 0; i < d; i++) {
      centre[i] = (float) mu[i];
    }
    return new GaussianPrior(
        cb,
        d,
        k,
        false,
        centre,
        centred(visual, mu, cb, d),
        textMeans,
        n.clone(),
        w,
        alpha,
        shrinkage);
  }

  /**
   * An orthonormal basis of the span of the C rows of {@code rows} (C×D), row-major p×D: modified
   * Gram–Schmidt, twice per row; a row whose remainder is below {@link #RANK_TOLERANCE} of its norm
   * adds nothing (centred rows are dependent: they sum to zero).
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
    return Arrays.copyOf(basis, p * d);
  }

  /**
   * f, the positive-part James–Stein factor of the centre's component in the text span (class
   * documentation).
   */
  private static double centreShrinkage(
      double[] basis,
      double[] m,
      double[] t,
      double[] n,
      double[] weight,
      double alpha,
      int cb,
      int d,
      double k,
      double[] mu) {
    int p = basis.length / d;
    if (p < 3) {
      return 1;
    }
    double residualSquares = 0;
    double spread = 0;
    double weightSum = 0;
    double[] r = new double[d];
    for (int j = 0; j < cb; j++) {
      for (int i = 0; i < d; i++) {
        r[i] = m[j * d + i] - alpha * t[j * d + i];
      }
      residualSquares += inSpanSquares(basis, r, d) / p;
      spread += 1 / k + 1 / n[j];
      weightSum += weight[j];
    }
    double variance = residualSquares / spread / weightSum;
    double inSpan = 0;
    for (int q = 0; q < p; q++) {
      double along = dot(basis, q * d, mu, 0, d);
      inSpan += along * along;
    }
    return inSpan > 0 ? Math.max(0, 1 - (p - 2) * variance / inSpan) : 1;
  }

  /**
   * |B r|², the squared length of r's component in the span of the orthonormal rows B (p×D). When
   * they span every direction (p = D: C > D classes, the usual case) that is |r|², at a D-th of the
   * cost of the p products (at C = 10,000 the products took about 2 s of a scorer's preparation).
   */
  static double inSpanSquares(double[] basis, double[] r, int d) {
    int p = basis.length / d;
    if (p == d) {
      return dot(r, 0, r, 0, d);
    }
    double sum = 0;
    for (int q = 0; q < p; q++) {
      double along = dot(basis, q * d, r, 0, d);
      sum += along * along;
    }
    return sum;
  }

  /** W from the prototypes alone: E|r_b|² = W/k + W/n_b, averaged over base classes. */
  private static double estimatedScatter(
      double[] m, double[] t, double[] n, double alpha, int cb, int d, double k) {
    double r2 = 0;
    double inv = 0;
    for (int j = 0; j < cb; j++) {
      for (int i = 0; i < d; i++) {
        double r = m[j * d + i] - alpha * t[j * d + i];
        r2 += r * r / cb;
      }
      inv += 1 / n[j] / cb;
    }
    return Math.max(r2 / (1 / k + inv), EPS);
  }

  /**
   * n_b: images behind each base class's prototype, its count capped as the fit capped it, at least
   * 1.
   */
  static double[] imagesBehindPrototypes(CandleModel model) {
    int cap = model.hyper().maxPerClass();
    double[] n = new double[model.baseClasses()];
    for (int j = 0; j < n.length; j++) {
      double count = model.classCounts()[j];
      n[j] = Math.max(1.0, cap > 0 ? Math.min(count, cap) : count);
    }
    return n;
  }

  /** True when the term is zero for every class (fewer than two base classes). */
  public boolean isEmpty() {
    return empty;
  }

  public int baseClasses() {
    return baseClasses;
  }

  /** μ, the image centre in raw feature units (zeros when empty). */
  public float[] centre() {
    return centre.clone();
  }

  /** W, the within-class scatter the term used (measured by the fit, or estimated). */
  public double scatter() {
    return scatter;
  }

  /** α, the fitted map from centred unit text features to centred image features. */
  public double textToImage() {
    return textToImage;
  }

  /** f, how much of the fitted centre's component in the text span was kept (1: all of it). */
  public double centreShrinkage() {
    return centreShrinkage;
  }

  /** k, the text weight. */
  public double textWeight() {
    return textWeight;
  }

  /** μ̃_b relative to μ, for a class with prototype {@code m} (centred) of {@code nb} images. */
  private void classMean(double[] m, int mOffset, int b, double nb, double[] out) {
    double k = textWeight;
    for (int i = 0; i < dim; i++) {
      out[i] = (k * textMeans[b * dim + i] + nb * m[mOffset + i]) / (k + nb);
    }
  }

  private double variance(double nb) {
    return scatter * (1 + 1 / (textWeight + nb));
  }

  /**
   * Linear form, part 1: {@code G̃_b(x) = x'·A_b + |x'|²·a_b + c_b}; this is A (Cb×D), {@code
   * μ̃_b/σ²_b − μ⁰_b/σ²_0}.
   */
  public float[] weights() {
    float[] a = new float[baseClasses * dim];
    if (empty) {
      return a;
    }
    double v0 = variance(0);
    double[] mean = new double[dim];
    for (int b = 0; b < baseClasses; b++) {
      classMean(prototypes, b * dim, b, counts[b], mean);
      double vb = variance(counts[b]);
      for (int i = 0; i < dim; i++) {
        a[b * dim + i] = (float) (mean[i] / vb - textMeans[b * dim + i] / v0);
      }
    }
    return a;
  }

  /** Linear form, part 2: a_b = 1/(2σ²_0) − 1/(2σ²_b). */
  public float[] squareWeights() {
    float[] a = new float[baseClasses];
    if (!empty) {
      double v0 = variance(0);
      for (int b = 0; b < baseClasses; b++) {
        a[b] = (float) (0.5 / v0 - 0.5 / variance(counts[b]));
      }
    }
    return a;
  }

  /** Linear form, part 3: c_b = |μ⁰_b|²/(2σ²_0) − |μ̃_b|²/(2σ²_b) − ½·ln(σ²_b/σ²_0). */
  public float[] biases() {
    float[] c = new float[baseClasses];
    if (empty) {
      return c;
    }
    double v0 = variance(0);
    double[] mean = new double[dim];
    for (int b = 0; b < baseClasses; b++) {
      classMean(prototypes, b * dim, b, counts[b], mean);
      double vb = variance(counts[b]);
      double tt = dot(textMeans, b * dim, textMeans, b * dim, dim);
      double mm = dot(mean, 0, mean, 0, dim);
      c[b] = (float) (tt / (2 * v0) - mm / (2 * vb) - 0.5 * Math.log(vb / v0));
    }
    return c;
  }

  /**
   * The Cb values {@code G̃_b(x)} of one raw image feature, from the formula, in double precision.
   */
  public double[] scores(float[] image) {
    double[] x = centredImage(image);
    double[] out = new double[baseClasses];
    if (empty) {
      return out;
    }
    double[] mean = new double[dim];
    for (int b = 0; b < baseClasses; b++) {
      classMean(prototypes, b * dim, b, counts[b], mean);
      out[b] = term(x, b, mean, counts[b]);
    }
    return out;
  }

  /**
   * {@code G̃_b(x)} as if image x (one of class b's {@code n_b ≥ 2} training images) had not been
   * among b's images: b's prototype and count without it, everything else as fitted. This is what a
   * leave-one-out cross-validation scores the image with ({@link WeightSelection}).
   *
   * @throws IllegalArgumentException if class b has fewer than two images
   */
  public double leaveOneOut(float[] image, int b) {
    double nb = counts[b];
    if (nb < 2) {
      throw new IllegalArgumentException(
          "class " + b + " has " + nb + " images: none left without this one");
    }
    double[] x = centredImage(image);
    if (empty) {
      return 0;
    }
    double[] m = new double[dim];
    for (int i = 0; i < dim; i++) {
      m[i] = (nb * prototypes[b * dim + i] - x[i]) / (nb - 1);
    }
    double[] mean = new double[dim];
    classMean(m, 0, b, nb - 1, mean);
    return term(x, b, mean, nb - 1);
  }

  private double term(double[] x, int b, double[] mean, double nb) {
    double dText = 0;
    double dImages = 0;
    for (int i = 0; i < dim; i++) {
      double u = x[i] - textMeans[b * dim + i];
      double v = x[i] - mean[i];
      dText += u * u;
      dImages += v * v;
    }
    double v0 = variance(0);
    double vb = variance(nb);
    return dText / (2 * v0) - dImages / (2 * vb) - 0.5 * Math.log(vb / v0);
  }

  private double[] centredImage(float[] image) {
    if (image.length != dim) {
      throw new IllegalArgumentException(
          "image feature has " + image.length + " values, expected " + dim);
    }
    double[] x = new double[dim];
    for (int i = 0; i < dim; i++) {
      x[i] = (double) image[i] - centre[i];
    }
    return x;
  }

  /** Unit-normalised rows, centred on their mean over all rows. */
  static double[] centredUnitRows(float[] v, int rows, int d) {
    double[] out = new double[rows * d];
    double[] mean = new double[d];
    for (int j = 0; j < rows; j++) {
      double s = 0;
      for (int i = 0; i < d; i++) {
        s += (double) v[j * d + i] * v[j * d + i];
      }
      double norm = Math.max(Math.sqrt(s), EPS);
      for (int i = 0; i < d; i++) {
        out[j * d + i] = v[j * d + i] / norm;
        mean[i] += out[j * d + i] / rows;
      }
    }
    for (int j = 0; j < rows; j++) {
      for (int i = 0; i < d; i++) {
        out[j * d + i] -= mean[i];
      }
    }
    return out;
  }

  /** The first {@code rows} rows of {@code v} (rows×D) minus {@code centre}. */
  private static double[] centred(float[] v, double[] centre, int rows, int d) {
    double[] out = new double[rows * d];
    for (int j = 0; j < rows; j++) {
      for (int i = 0; i < d; i++) {
        out[j * d + i] = v[j * d + i] - centre[i];
      }
    }
    return out;
  }

  private static double dot(double[] a, int ai, double[] b, int bi, int d) {
    double s = 0;
    for (int k = 0; k < d; k++) {
      s += a[ai + k] * b[bi + k];
    }
    return s;
  }
}
