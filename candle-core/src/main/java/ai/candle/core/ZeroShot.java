package ai.candle.core;

/**
 * Zero-shot CLIP: each image gets the class whose text feature has the highest cosine similarity
 * with it. Features are raw (any norm); both sides are L2-normalised here. Ties go to the lower
 * class index; an all-zero vector has cosine 0 with everything.
 */
public final class ZeroShot {

  private ZeroShot() {}

  /**
   * Predicts among all classes.
   *
   * @param images n×dim image features, row-major
   * @param n number of images
   * @param text c×dim text features, row-major
   * @param c number of classes
   * @param dim feature width
   * @return the predicted class index of each image
   */
  public static int[] predict(float[] images, int n, float[] text, int c, int dim) {
    return predictWithin(images, n, text, c, dim, 0, c);
  }

  /**
   * Predicts among the classes {@code from..to-1} only (e.g. within the base or the new split); the
   * returned indices are class indices of the full list.
   */
  public static int[] predictWithin(
      float[] images, int n, float[] text, int c, int dim, int from, int to) {
    if (images.length != (long) n * dim || text.length != (long) c * dim) {
      throw new IllegalArgumentException(
          "expected "
              + n
              + "×"
              + dim
              + " image and "
              + c
              + "×"
              + dim
              + " text values, got "
              + images.length
              + " and "
              + text.length);
    }
    if (from < 0 || to > c || from >= to) {
      throw new IllegalArgumentException(
          "class range " + from + ".." + to + " is empty or outside 0.." + c);
    }
    float[] t = normalizedRows(text, c, dim);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int best = from;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int j = from; j < to; j++) {
        double s = 0;
        for (int k = 0; k < dim; k++) {
          s += images[i * dim + k] * t[j * dim + k];
        }
        if (s > bestScore) {
          bestScore = s;
          best = j;
        }
      }
      out[i] = best;
    }
    return out;
  }

  /** The fraction of predictions equal to the labels (NaN for no images). */
  public static double accuracy(int[] predicted, int[] labels) {
    if (predicted.length != labels.length) {
      throw new IllegalArgumentException(
          predicted.length + " predictions for " + labels.length + " labels");
    }
    int hits = 0;
    for (int i = 0; i < labels.length; i++) {
      if (predicted[i] == labels[i]) {
        hits++;
      }
    }
    return labels.length == 0 ? Double.NaN : (double) hits / labels.length;
  }

  /** Row-wise L2-normalised copy; all-zero rows stay zero. */
  public static float[] normalizedRows(float[] a, int rows, int dim) {
    float[] out = new float[a.length];
    for (int i = 0; i < rows; i++) {
      double ss = 0;
      for (int k = 0; k < dim; k++) {
        ss += (double) a[i * dim + k] * a[i * dim + k];
      }
      double inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      for (int k = 0; k < dim; k++) {
        out[i * dim + k] = (float) (a[i * dim + k] * inv);
      }
    }
    return out;
  }
}
