package ai.candle.core;

/**
 * The test-phase forward pass of docs/method.md, written out in plain Java with double-precision
 * accumulation: every image is scored alone, and the whole {@code 1 + 2C}-token sequence {@code [I;
 * P'; T]} is rebuilt, layer-normalised and run through the full attention for it.
 *
 * <p>This is the oracle the tests hold {@link FastScorer} to and the "naive cost per image" the
 * benchmarks compare against; it is far too slow to serve (about {@code 2·(2C)²·D} multiply-adds
 * per image, several G at C = 1000). As in the authors' code (and the golden vectors), the text
 * side of a new class is its virtual prototype, not its text feature.
 *
 * <p>Immutable after construction and safe for concurrent use.
 */
public final class NaiveScorer {
  private static final double LAYER_NORM_EPS = 1e-5;
  private static final double NORM_EPS = 1e-12;

  private final int dim;
  private final int classes;
  private final int heads;
  private final double ratio;
  private final double logitScale;
  private final double scale;
  private final double[] projImage;
  private final double[] projText;

  /** C×D raw prototypes {@code [visual; virtual]}. */
  private final double[] prototypes;

  /** C×D raw text side: base classes' text features, then the virtual prototypes. */
  private final double[] textSide;

  /** D×3D: the transpose of {@code attn_in_proj_weight}. */
  private final double[] inProjT;

  private final double[] inBias;

  /** D×D: the transpose of {@code attn_out_proj_weight}. */
  private final double[] outProjT;

  private final double[] outBias;
  private final double[] normWeight;
  private final double[] normBias;
  private final int baseClasses;

  /** ADAPTIVE: zero-shot CLIP plus the weighted corrections on the base classes (ScoreWeights). */
  private final boolean adaptive;

  private final ScoreWeights weights;

  /** C×D unit text features (zero-shot CLIP's classifier). */
  private final double[] unitText;

  /** The Gaussian term; null unless ADAPTIVE with λ > 0. */
  private final GaussianPrior prior;

  public NaiveScorer(CandleModel model) {
    CandleParameters p = model.params();
    this.dim = model.dim();
    this.classes = model.numClasses();
    this.heads = CandleHead.HEADS;
    if (classes == 0) {
      throw new IllegalArgumentException("the model has no classes to score against");
    }
    this.ratio = p.ratio();
    this.logitScale = model.hyper().logitScale();
    this.scale = model.hyper().scale();
    this.projImage = toDouble(p.projImage());
    this.projText = toDouble(p.projText());
    this.prototypes = toDouble(model.prototypes());
    this.textSide = toDouble(model.textSide());
    this.baseClasses = model.baseClasses();
    this.adaptive = model.hyper().isAdaptive();
    this.weights = model.weights();
    this.unitText = toDouble(ZeroShot.normalizedRows(model.textFeatures(), classes, dim));
    this.prior = adaptive && weights.priorWeight() > 0 ? GaussianPrior.of(model) : null;
    this.inProjT = transpose(toDouble(p.attnInProjWeight()), 3 * dim, dim);
    this.inBias = toDouble(p.attnInProjBias());
    this.outProjT = transpose(toDouble(p.attnOutProjWeight()), dim, dim);
    this.outBias = toDouble(p.attnOutProjBias());
    this.normWeight = toDouble(p.normWeight());
    this.normBias = toDouble(p.normBias());
  }

  public int dim() {
    return dim;
  }

  public int numClasses() {
    return classes;
  }

  /** Scores every image alone: B×D raw image features in, B×C scores out. */
  public float[][] score(float[][] images) {
    float[][] out = new float[images.length][];
    for (int i = 0; i < images.length; i++) {
      double[] s = score(images[i]);
      out[i] = new float[classes];
      for (int j = 0; j < classes; j++) {
        out[i][j] = (float) s[j];
      }
    }
    return out;
  }

  /**
   * The C scores of one raw image feature, in double precision: REFERENCE, the head's test-phase
   * scores {@code Lvt + Lvv}; ADAPTIVE, zero-shot CLIP's logits plus the weighted corrections on
   * the base classes ({@link ScoreWeights}).
   */
  public double[] score(float[] image) {
    if (image == null || image.length != dim) {
      throw new IllegalArgumentException(
          "image feature has "
              + (image == null ? "no" : image.length)
              + " values, the model expects "
              + dim);
    }
    if (!adaptive) {
      return headScores(image);
    }
    double[] scores = new double[classes];
    double norm = 0;
    for (int k = 0; k < dim; k++) {
      norm += (double) image[k] * image[k];
    }
    norm = Math.max(Math.sqrt(norm), NORM_EPS);
    for (int j = 0; j < classes; j++) {
      double dot = 0;
      for (int k = 0; k < dim; k++) {
        dot += image[k] * unitText[j * dim + k];
      }
      scores[j] = logitScale * dot / norm;
    }
    if (baseClasses == 0) {
      return scores;
    }
    double[] term = prior == null ? new double[baseClasses] : prior.scores(image);
    double[] head = new double[baseClasses];
    if (weights.usesHead()) {
      double[] h = headScores(image);
      double mean = 0;
      for (int j = 0; j < baseClasses; j++) {
        mean += h[j] / baseClasses;
      }
      for (int j = 0; j < baseClasses; j++) {
        head[j] = h[j] - mean;
      }
    }
    for (int j = 0; j < baseClasses; j++) {
      scores[j] +=
          weights.priorWeight() * logitScale * term[j]
              + weights.headWeight() * head[j]
              + weights.baseOffset();
    }
    return scores;
  }

  /**
   * The C test-phase scores {@code Lvt + Lvv} of the head, the whole sequence rebuilt for this
   * image.
   */
  double[] headScores(float[] image) {
    int c = classes;
    int len = 1 + 2 * c;
    int d = dim;
    // X = [x·proj_image; P·proj_image; text·proj_text], rebuilt for this image.
    double[] x = new double[len * d];
    double[] img = matMul(toDouble(image), 1, d, projImage, d);
    System.arraycopy(img, 0, x, 0, d);
    System.arraycopy(matMul(prototypes, c, d, projImage, d), 0, x, d, c * d);
    System.arraycopy(matMul(textSide, c, d, projText, d), 0, x, (1 + c) * d, c * d);
    double[] y = layerNorm(x, len);
    double[] qkv = matMul(y, len, d, inProjT, 3 * d);
    for (int t = 0; t < len; t++) {
      for (int k = 0; k < 3 * d; k++) {
        qkv[t * 3 * d + k] += inBias[k];
      }
    }
    double[] concat = attention(qkv, len);
    double[] a = matMul(concat, len, d, outProjT, d);
    double[] z = new double[len * d];
    for (int t = 0; t < len; t++) {
      for (int k = 0; k < d; k++) {
        z[t * d + k] = ratio * (a[t * d + k] + outBias[k]) + y[t * d + k];
      }
    }
    double imageNorm = Math.max(norm(z, 0, d), NORM_EPS);
    double[] scores = new double[c];
    for (int j = 0; j < c; j++) {
      double cosVv =
          dot(z, 0, z, (1 + j) * d, d) / (imageNorm * Math.max(norm(z, (1 + j) * d, d), NORM_EPS));
      int tt = (1 + c + j) * d;
      double cosVt = dot(z, 0, z, tt, d) / (imageNorm * Math.max(norm(z, tt, d), NORM_EPS));
      scores[j] = logitScale * cosVt + logitScale * scale * cosVv;
    }
    return scores;
  }

  /** Multi-head self-attention over {@code len} tokens; returns the concatenated heads (len×D). */
  private double[] attention(double[] qkv, int len) {
    int d = dim;
    int dh = d / heads;
    double inv = 1.0 / Math.sqrt(dh);
    double[] out = new double[len * d];
    double[] keysT = new double[dh * len];
    double[] row = new double[len];
    for (int h = 0; h < heads; h++) {
      int qOff = h * dh;
      int kOff = d + h * dh;
      int vOff = 2 * d + h * dh;
      for (int t = 0; t < len; t++) {
        for (int e = 0; e < dh; e++) {
          keysT[e * len + t] = qkv[t * 3 * d + kOff + e];
        }
      }
      for (int i = 0; i < len; i++) {
        java.util.Arrays.fill(row, 0);
        for (int e = 0; e < dh; e++) {
          double q = qkv[i * 3 * d + qOff + e] * inv;
          int base = e * len;
          for (int t = 0; t < len; t++) {
            row[t] += q * keysT[base + t];
          }
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < len; t++) {
          max = Math.max(max, row[t]);
        }
        double sum = 0;
        for (int t = 0; t < len; t++) {
          row[t] = Math.exp(row[t] - max);
          sum += row[t];
        }
        int o = i * d + h * dh;
        for (int t = 0; t < len; t++) {
          double w = row[t] / sum;
          int vBase = t * 3 * d + vOff;
          for (int e = 0; e < dh; e++) {
            out[o + e] += w * qkv[vBase + e];
          }
        }
      }
    }
    return out;
  }

  private double[] layerNorm(double[] x, int rows) {
    int d = dim;
    double[] y = new double[x.length];
    for (int r = 0; r < rows; r++) {
      int o = r * d;
      double mean = 0;
      for (int k = 0; k < d; k++) {
        mean += x[o + k];
      }
      mean /= d;
      double var = 0;
      for (int k = 0; k < d; k++) {
        double u = x[o + k] - mean;
        var += u * u;
      }
      double inv = 1.0 / Math.sqrt(var / d + LAYER_NORM_EPS);
      for (int k = 0; k < d; k++) {
        y[o + k] = (x[o + k] - mean) * inv * normWeight[k] + normBias[k];
      }
    }
    return y;
  }

  /** a (n×k) · b (k×m), row-major, in the i-k-j order the JIT vectorises. */
  static double[] matMul(double[] a, int n, int k, double[] b, int m) {
    double[] c = new double[n * m];
    for (int i = 0; i < n; i++) {
      int co = i * m;
      for (int t = 0; t < k; t++) {
        double av = a[i * k + t];
        if (av == 0) {
          continue;
        }
        int bo = t * m;
        for (int j = 0; j < m; j++) {
          c[co + j] += av * b[bo + j];
        }
      }
    }
    return c;
  }

  static double[] transpose(double[] a, int rows, int cols) {
    double[] t = new double[a.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = a[r * cols + c];
      }
    }
    return t;
  }

  static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  private static double dot(double[] a, int ao, double[] b, int bo, int n) {
    double s = 0;
    for (int k = 0; k < n; k++) {
      s += a[ao + k] * b[bo + k];
    }
    return s;
  }

  private static double norm(double[] a, int o, int n) {
    return Math.sqrt(dot(a, o, a, o, n));
  }
}
