package ai.candle.core;

import java.util.Arrays;
import java.util.Random;

/**
 * The class set S of one sampled-class step ({@link CandleFit#sampledStep}): the batch's own
 * classes, then {@code m} other classes drawn uniformly without replacement from the rest.
 *
 * <p>Inclusion probabilities: a batch class is always in S (q = 1); each of the {@code N = C − own}
 * other classes is in S with probability {@code q = m' / N}, {@code m' = min(m, N)} (a uniform draw
 * of m' of N). When {@code m ≥ N} every class is in S and q = 1 for all of them: the step is then
 * the full step up to the order of the classes.
 */
final class ClassSample {
  private final int[] classes;
  private final int own;
  private final int numClasses;
  private final double inclusion;

  private ClassSample(int[] classes, int own, int numClasses, double inclusion) {
    this.classes = classes;
    this.own = own;
    this.numClasses = numClasses;
    this.inclusion = inclusion;
  }

  /**
   * Draws S for a batch.
   *
   * @param batchLabels the batch's labels (repeats allowed), each in {@code [0, numClasses)}
   * @param numClasses C
   * @param others m, the classes to draw besides the batch's (≥ 0; fewer when fewer remain)
   * @param random the source of the draw
   */
  static ClassSample draw(int[] batchLabels, int numClasses, int others, Random random) {
    if (others < 0) {
      throw new IllegalArgumentException("others must be >= 0, got " + others);
    }
    boolean[] inBatch = new boolean[numClasses];
    int own = 0;
    for (int y : batchLabels) {
      if (y < 0 || y >= numClasses) {
        throw new IllegalArgumentException("label " + y + " is not in 0.." + (numClasses - 1));
      }
      if (!inBatch[y]) {
        inBatch[y] = true;
        own++;
      }
    }
    int rest = numClasses - own;
    int[] candidates = new int[rest];
    int[] classes = new int[own + Math.min(others, rest)];
    int k = 0;
    int r = 0;
    for (int j = 0; j < numClasses; j++) {
      if (inBatch[j]) {
        classes[k++] = j; // the batch's classes, ascending
      } else {
        candidates[r++] = j;
      }
    }
    // a partial Fisher-Yates shuffle: the first m' candidates are a uniform draw without
    // replacement
    int drawn = classes.length - own;
    for (int i = 0; i < drawn; i++) {
      int j = i + random.nextInt(rest - i);
      int t = candidates[i];
      candidates[i] = candidates[j];
      candidates[j] = t;
      classes[own + i] = candidates[i];
    }
    return new ClassSample(classes, own, numClasses, rest == 0 ? 1.0 : (double) drawn / rest);
  }

  /** S: the batch's classes ascending, then the drawn ones in the order drawn. */
  int[] classes() {
    return classes.clone();
  }

  /** |S|. */
  int size() {
    return classes.length;
  }

  /** How many of S's first classes are the batch's own. */
  int own() {
    return own;
  }

  /** C, the classes S was drawn from. */
  int numClasses() {
    return numClasses;
  }

  /** q of a drawn class: the probability that a class outside the batch is in S. */
  double inclusion() {
    return inclusion;
  }

  /** Each of S's classes' inclusion probability, in the order of {@link #classes()}. */
  double[] inclusions() {
    double[] q = new double[classes.length];
    Arrays.fill(q, 0, own, 1.0);
    Arrays.fill(q, own, q.length, inclusion);
    return q;
  }

  /**
   * What a sampled-class step adds to each of its logit matrices ({@link CandleFit#sampledStep}):
   * for loss row r and S's class j, {@code τ·log π_j − [j ≠ y_r]·log q_j}. The rows are the batch's
   * images (labels {@code imageLabels}, positions in S), then S's prototypes (row {@code B + j} has
   * label j).
   *
   * @param imageLabels the B images' labels as positions in S ({@link #positions})
   * @param logPrior log π over all C classes
   * @return (B + |S|)×|S|, row-major
   */
  float[] adjustment(int[] imageLabels, float[] logPrior, double tau) {
    int b = imageLabels.length;
    int k = classes.length;
    double[] q = inclusions();
    float[] row = new float[k];
    for (int j = 0; j < k; j++) {
      row[j] = (float) (tau * logPrior[classes[j]] - Math.log(q[j]));
    }
    float[] out = new float[(b + k) * k];
    for (int r = 0; r < b + k; r++) {
      System.arraycopy(row, 0, out, r * k, k);
      int label = r < b ? imageLabels[r] : r - b;
      // the row's own label is always in S: its term is exact, no correction
      out[r * k + label] = (float) (tau * logPrior[classes[label]]);
    }
    return out;
  }

  /**
   * The weights of a sampled-class step's loss rows: {@code 1/(B + C)} for the B images and the
   * batch's own classes' prototypes, {@code 1/(q·(B + C))} for a drawn class's prototype, so that
   * over the draws of S the weighted sum counts the rows as the full step's mean does.
   *
   * @param images B
   * @return B + |S| weights
   */
  float[] rowWeights(int images) {
    double total = images + numClasses;
    double[] q = inclusions();
    float[] out = new float[images + classes.length];
    Arrays.fill(out, 0, images, (float) (1.0 / total));
    for (int j = 0; j < classes.length; j++) {
      out[images + j] = (float) (1.0 / (q[j] * total));
    }
    return out;
  }

  /** The position in S of each label (all of which must be in S). */
  int[] positions(int[] labels) {
    int[] at = new int[numClasses];
    Arrays.fill(at, -1);
    for (int i = 0; i < classes.length; i++) {
      at[classes[i]] = i;
    }
    int[] out = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      out[i] = at[labels[i]];
      if (out[i] < 0) {
        throw new IllegalArgumentException("class " + labels[i] + " is not in the sample");
      }
    }
    return out;
  }
}
