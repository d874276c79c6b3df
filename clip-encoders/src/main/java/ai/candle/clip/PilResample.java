package ai.candle.clip;

/**
 * PIL's resampling of 8-bit planes (Pillow's {@code libImaging/Resample.c} and, for palette images,
 * {@code Geometry.c}), reimplemented from its description so that CLIP's preprocessing gives the
 * same bytes in Java as in Python.
 *
 * <p>Bicubic (a = -0.5) is a convolution whose support widens with the downscaling factor
 * (antialiasing). Coefficients are computed in double precision, normalised to sum to one, then
 * rounded to 22-bit fixed point; the horizontal pass runs first and rounds to 8 bits, then the
 * vertical pass. A pass is skipped when its size does not change. Each output pixel depends only on
 * its own row and column of coefficients, so only a window of the output (the centre crop) is
 * computed, from the window's coefficients alone; the values are those of the whole image's resize,
 * and memory follows the window, however long the resized side.
 *
 * <p>Palette images are resized with nearest neighbour, as PIL does for mode P whatever the filter
 * asked for, using PIL's accumulated source positions.
 */
final class PilResample {

  static final int PRECISION_BITS = 32 - 8 - 2;
  private static final double SUPPORT = 2.0;
  private static final double A = -0.5;

  private PilResample() {}

  /**
   * One axis's fixed-point coefficients for the outputs {@code [from, from + firsts.length)}:
   * output {@code i} reads {@link #count count(i)} inputs from {@link #first first(i)}, with the
   * weights from {@link #weightAt weightAt(i)}.
   */
  record Taps(int from, int kernelSize, int[] firsts, int[] counts, int[] weights) {

    int first(int out) {
      return firsts[out - from];
    }

    int count(int out) {
      return counts[out - from];
    }

    /** The index in {@link #weights} of output {@code out}'s first weight. */
    int weightAt(int out) {
      return (out - from) * kernelSize;
    }
  }

  static double bicubic(double x) {
    double t = Math.abs(x);
    if (t < 1.0) {
      return ((A + 2.0) * t - (A + 3.0)) * t * t + 1;
    }
    if (t < 2.0) {
      return (((t - 5) * t + 8) * t - 4) * A;
    }
    return 0.0;
  }

  /** {@link #taps(int, int, int, int)} for the whole axis. */
  static Taps taps(int inSize, int outSize) {
    return taps(inSize, outSize, 0, outSize);
  }

  /**
   * Pillow's {@code precompute_coeffs} then {@code normalize_coeffs_8bpc}, for the outputs {@code
   * [from, from + length)} only: each output's coefficients depend on its own position alone, so
   * they are those of the whole axis, and memory follows the window, not the resized size (which
   * for a thin image is far larger than the image).
   */
  static Taps taps(int inSize, int outSize, int from, int length) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = SUPPORT * filterScale;
    int kernelSize = (int) Math.ceil(support) * 2 + 1;
    int[] first = new int[length];
    int[] count = new int[length];
    int[] weights = new int[Math.multiplyExact(length, kernelSize)];
    double[] k = new double[kernelSize];
    for (int i = 0; i < length; i++) {
      int xx = from + i;
      double center = (xx + 0.5) * scale;
      double ss = 1.0 / filterScale;
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
      double ww = 0.0;
      for (int x = 0; x < xmax; x++) {
        double w = bicubic((x + xmin - center + 0.5) * ss);
        k[x] = w;
        ww += w;
      }
      for (int x = 0; x < xmax; x++) {
        double normalised = ww != 0.0 ? k[x] / ww : k[x];
        weights[i * kernelSize + x] =
            normalised < 0
                ? (int) (-0.5 + normalised * (1 << PRECISION_BITS))
                : (int) (0.5 + normalised * (1 << PRECISION_BITS));
      }
      first[i] = xmin;
      count[i] = xmax;
    }
    return new Taps(from, kernelSize, first, count, weights);
  }

  static int clip8(int in) {
    if (in >= (1 << PRECISION_BITS << 8)) {
      return 255;
    }
    if (in <= 0) {
      return 0;
    }
    return in >> PRECISION_BITS;
  }

  /**
   * Resizes one plane from {@code inW × inH} to {@code outW × outH} and returns the window {@code
   * [left, left + cropW) × [top, top + cropH)} of the result, row by row.
   */
  static byte[] bicubicWindow(
      byte[] plane, int inW, int inH, int outW, int outH, int left, int top, int cropW, int cropH) {
    // rows of the input that the window's vertical taps read (all of them when no vertical pass)
    Taps vertical = outH != inH ? taps(inH, outH, top, cropH) : null;
    int rowFrom = vertical == null ? top : vertical.first(top);
    int rowTo =
        vertical == null
            ? top + cropH
            : vertical.first(top + cropH - 1) + vertical.count(top + cropH - 1);
    byte[] rows =
        outW != inW
            ? horizontal(
                plane, inW, rowFrom, rowTo - rowFrom, taps(inW, outW, left, cropW), left, cropW)
            : copyWindow(plane, inW, rowFrom, rowTo - rowFrom, left, cropW);
    return vertical == null ? rows : vertical(rows, cropW, rowFrom, vertical, top, cropH);
  }

  /**
   * Output columns {@code [colFrom, colFrom + cols)} of input rows {@code [rowFrom, rowFrom +
   * rows)}.
   */
  private static byte[] horizontal(
      byte[] in, int inW, int rowFrom, int rows, Taps t, int colFrom, int cols) {
    byte[] out = new byte[rows * cols];
    for (int y = 0; y < rows; y++) {
      int rowStart = (rowFrom + y) * inW;
      for (int c = 0; c < cols; c++) {
        int xx = colFrom + c;
        int k = t.weightAt(xx);
        int src = rowStart + t.first(xx);
        int ss = 1 << (PRECISION_BITS - 1);
        for (int x = 0; x < t.count(xx); x++) {
          ss += (in[src + x] & 0xff) * t.weights()[k + x];
        }
        out[y * cols + c] = (byte) clip8(ss);
      }
    }
    return out;
  }

  /**
   * Output rows {@code [rowOutFrom, rowOutFrom + rowsOut)}; {@code in} starts at input row {@code
   * inRowFrom}.
   */
  private static byte[] vertical(
      byte[] in, int w, int inRowFrom, Taps t, int rowOutFrom, int rowsOut) {
    byte[] out = new byte[rowsOut * w];
    for (int r = 0; r < rowsOut; r++) {
      int yy = rowOutFrom + r;
      int k = t.weightAt(yy);
      int first = t.first(yy) - inRowFrom;
      for (int x = 0; x < w; x++) {
        int ss = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < t.count(yy); y++) {
          ss += (in[(first + y) * w + x] & 0xff) * t.weights()[k + y];
        }
        out[r * w + x] = (byte) clip8(ss);
      }
    }
    return out;
  }

  private static byte[] copyWindow(
      byte[] in, int inW, int rowFrom, int rows, int colFrom, int cols) {
    byte[] out = new byte[rows * cols];
    for (int y = 0; y < rows; y++) {
      System.arraycopy(in, (rowFrom + y) * inW + colFrom, out, y * cols, cols);
    }
    return out;
  }

  /** {@link #nearest(int, int, int, int)} for the whole axis. */
  static int[] nearest(int inSize, int outSize) {
    return nearest(inSize, outSize, 0, outSize);
  }

  /**
   * PIL's nearest-neighbour source positions along one axis ({@code ImagingScaleAffine}) of the
   * outputs {@code [from, from + length)}: the position starts at half a step and is accumulated
   * step by step, then truncated. The accumulation runs from the axis's start, so that the
   * positions are PIL's to the last bit, but only the window's are kept.
   */
  static int[] nearest(int inSize, int outSize, int from, int length) {
    double step = (double) inSize / outSize;
    double position = step * 0.5;
    int[] source = new int[length];
    for (int i = 0; i < from + length; i++) {
      if (i >= from) {
        source[i - from] = Math.min((int) position, inSize - 1);
      }
      position += step;
    }
    return source;
  }
}
