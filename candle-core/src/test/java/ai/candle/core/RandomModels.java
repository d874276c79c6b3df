package ai.candle.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random models and images of CLIP-like magnitudes, for the scorer tests and benchmarks (in
 * candle-core's test-jar).
 */
public final class RandomModels {
  private RandomModels() {}

  /**
   * A random model with CLIP-like feature magnitudes (per-dimension spread ≈ 0.45 around a shared
   * offset, so features have norm ≈ 10), a third of the classes new, non-identity projections,
   * PyTorch-default-sized attention weights with the query and key weights multiplied by {@code
   * sharpness} (larger: more peaked attention), and ratio 0.3.
   */
  public static CandleModel randomModel(int classes, int dim, double sharpness, long seed) {
    Random rng = new Random(seed);
    int newClasses = classes / 3;
    int base = classes - newClasses;
    float[] textOffset = gaussian(rng, dim, 0.3);
    float[] imageOffset = gaussian(rng, dim, 0.3);
    float[] text = new float[classes * dim];
    float[] visual = new float[base * dim];
    float[] counts = new float[classes];
    for (int j = 0; j < classes; j++) {
      for (int k = 0; k < dim; k++) {
        text[j * dim + k] = textOffset[k] + (float) (0.45 * rng.nextGaussian());
      }
    }
    for (int j = 0; j < base; j++) {
      counts[j] = 1 + rng.nextInt(100);
      for (int k = 0; k < dim; k++) {
        visual[j * dim + k] =
            imageOffset[k] + 0.5f * text[j * dim + k] + (float) (0.3 * rng.nextGaussian());
      }
    }
    float[] virtual = new float[newClasses * dim];
    for (int i = 0; i < virtual.length; i++) {
      virtual[i] = text[base * dim + i] + (float) (0.05 * rng.nextGaussian());
    }
    float[] inProj = uniform(rng, 3 * dim * dim, Math.sqrt(6.0 / (4.0 * dim)));
    for (int i = 0; i < 2 * dim * dim; i++) {
      inProj[i] *= (float) sharpness;
    }
    CandleParameters params =
        new CandleParameters(
            dim,
            newClasses,
            nearIdentity(rng, dim),
            nearIdentity(rng, dim),
            virtual,
            inProj,
            gaussian(rng, 3 * dim, 0.02),
            uniform(rng, dim * dim, 1.0 / Math.sqrt(dim)),
            gaussian(rng, dim, 0.02),
            shift(gaussian(rng, dim, 0.1), 1f),
            gaussian(rng, dim, 0.05),
            0.3f);
    List<String> names = new ArrayList<>();
    for (int j = 0; j < classes; j++) {
      names.add("c" + j);
    }
    return new CandleModel(
        names,
        base,
        dim,
        text,
        visual,
        counts,
        params,
        HyperParameters.defaults().withScale(1.0),
        FitStats.none("cpu()"),
        ScoreWeights.ZERO);
  }

  /** Raw image features near the model's classes: a random class's prototype plus noise. */
  public static float[][] randomImages(CandleModel model, int count, long seed) {
    Random rng = new Random(seed);
    int d = model.dim();
    float[] protos = model.prototypes();
    float[][] out = new float[count][d];
    for (int i = 0; i < count; i++) {
      int j = rng.nextInt(model.numClasses());
      for (int k = 0; k < d; k++) {
        out[i][k] = protos[j * d + k] + (float) (0.3 * rng.nextGaussian());
      }
    }
    return out;
  }

  private static float[] nearIdentity(Random rng, int dim) {
    float[] m = gaussian(rng, dim * dim, 0.3 / Math.sqrt(dim));
    for (int i = 0; i < dim; i++) {
      m[i * dim + i] += 1f;
    }
    return m;
  }

  private static float[] gaussian(Random rng, int n, double std) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (std * rng.nextGaussian());
    }
    return a;
  }

  private static float[] uniform(Random rng, int n, double bound) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (bound * (2 * rng.nextDouble() - 1));
    }
    return a;
  }

  private static float[] shift(float[] a, float by) {
    for (int i = 0; i < a.length; i++) {
      a[i] += by;
    }
    return a;
  }

  /**
   * Prints the standard table. Arguments (optional): seconds per measurement (default 5), then
   * naive images at C = 1000 (default 2).
   *
   * <p>On CPUs shared with other busy processes, PyTorch's OpenMP threads spin while they wait and
   * throughput collapses (here: about 100 instead of 850 images/s at C = 1000, batch 256, load 7 on
   * 2 cores); run with {@code OMP_WAIT_POLICY=PASSIVE} or {@code -Dai.djl.pytorch.num_threads=1}
   * there. The CPU ms/image column is the robust figure.
   */
}
