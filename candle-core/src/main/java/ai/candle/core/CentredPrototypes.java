package ai.candle.core;

/**
 * The ADAPTIVE configuration's prior term: a nearest-prototype classifier in which CLIP's
 * modality gap is removed by centring each modality, and every class's prototype blends its text
 * feature with its images by how many images it has.
 *
 * <p>With {@code n(v) = v / |v|}, the base classes' mean normalised text feature {@code μ_T}, the
 * image centre {@code μ_I} (the mean of the training images: the visual prototypes weighted by
 * their class counts), a class c with {@code n_c} training images whose mean is {@code m_c}, and
 * {@link #TEXT_WEIGHT} {@code k = 4}:
 *
 * <pre>
 * q_c = n( k · n(n(t_c) − μ_T) + n_c · n(m_c − μ_I) )     (n_c = 0 for a new class)
 * term(x, c) = cos(x − μ_I, q_c)
 * </pre>
 *
 * Centring lines the two modalities up: a new class's text direction and a base class's image
 * direction become comparable, so a new class is really chosen when ranked against all classes
 * (without it CLIP's modality gap makes image prototypes win almost always). The text feature
 * counts as {@code k} images, so a class with one image leans on its text and a class with many
 * on its images; with no images at all the term is zero-shot CLIP on centred features. k = 4 was
 * chosen on the synthetic benchmark, where a class's text predicts its images about as well as
 * the mean of four of them (QUALITY.md); 3–6 gave the same results within a point.
 *
 * <p>Everything is derived from what a {@link CandleModel} already holds (text features, visual
 * prototypes, class counts), so models need no extra fields. With no base class there is no
 * image centre: the term falls back to plain zero-shot, {@code cos(x, t_c)}.
 */
public final class CentredPrototypes {

  /** How many images a class's text feature is worth in its prototype. */
  public static final double TEXT_WEIGHT = 4.0;

  private static final double EPS = 1e-12;

  private final int classes;
  private final int dim;
  private final float[] imageCentre;
  private final float[] prototypes;

  private CentredPrototypes(int classes, int dim, float[] imageCentre, float[] prototypes) {
    this.classes = classes;
    this.dim = dim;
    this.imageCentre = imageCentre;
    this.prototypes = prototypes;
  }

  /** The term of a model: its classes in model order. */
  public static CentredPrototypes of(CandleModel model) {
    int c = model.numClasses();
    int d = model.dim();
    int cb = model.baseClasses();
    double[] text = normalisedRows(model.textFeatures(), c, d);
    double[] imageCentre = new double[d];
    double[] textCentre = new double[d];
    double[] counts = new double[cb];
    if (cb > 0) {
      double total = 0;
      for (int j = 0; j < cb; j++) {
        counts[j] = Math.max(1.0, model.classCounts()[j]);
        total += counts[j];
      }
      for (int j = 0; j < cb; j++) {
        for (int k = 0; k < d; k++) {
          imageCentre[k] += counts[j] / total * model.visualPrototypes()[j * d + k];
          textCentre[k] += text[j * d + k] / cb;
        }
      }
    }
    float[] q = new float[c * d];
    double[] row = new double[d];
    double[] part = new double[d];
    for (int j = 0; j < c; j++) {
      for (int k = 0; k < d; k++) {
        part[k] = text[j * d + k] - textCentre[k];
      }
      normalise(part);
      for (int k = 0; k < d; k++) {
        row[k] = (cb > 0 ? TEXT_WEIGHT : 1.0) * part[k];
      }
      if (j < cb) {
        for (int k = 0; k < d; k++) {
          part[k] = model.visualPrototypes()[j * d + k] - imageCentre[k];
        }
        normalise(part);
        for (int k = 0; k < d; k++) {
          row[k] += counts[j] * part[k];
        }
      }
      normalise(row);
      for (int k = 0; k < d; k++) {
        q[j * d + k] = (float) row[k];
      }
    }
    float[] centre = new float[d];
    for (int k = 0; k < d; k++) {
      centre[k] = (float) imageCentre[k];
    }
    return new CentredPrototypes(c, d, centre, q);
  }

  /** μ_I, the raw-feature image centre (D values; all zero when the model has no base class). */
  public float[] imageCentre() {
    return imageCentre.clone();
  }

  /** The C×D unit prototypes q_c, row-major. */
  public float[] prototypes() {
    return prototypes.clone();
  }

  /** The C cosines {@code cos(x − μ_I, q_c)} of one raw image feature, in double precision. */
  public double[] cosines(float[] image) {
    if (image.length != dim) {
      throw new IllegalArgumentException("image feature has " + image.length + " values, expected " + dim);
    }
    double[] x = new double[dim];
    for (int k = 0; k < dim; k++) {
      x[k] = (double) image[k] - imageCentre[k];
    }
    normalise(x);
    double[] out = new double[classes];
    for (int j = 0; j < classes; j++) {
      double s = 0;
      for (int k = 0; k < dim; k++) {
        s += x[k] * prototypes[j * dim + k];
      }
      out[j] = s;
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
