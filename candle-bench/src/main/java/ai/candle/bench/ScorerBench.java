package ai.candle.bench;

import ai.candle.core.CandleHead;
import ai.candle.core.CandleModel;
import ai.candle.core.FastScorer;
import ai.candle.core.HyperParameters;
import ai.candle.core.NaiveScorer;
import ai.candle.core.RandomModels;
import ai.candle.core.ScoreWeights;
import java.lang.management.ManagementFactory;

/**
 * Throughput of the exact {@link FastScorer} and the cost of the naive per-image forward ({@link
 * NaiveScorer}) on random models of CLIP-like magnitudes. {@link #main} prints the standard table
 * (C = 100 and 1000, D = 512, batch 1 and 256, naive at C = 1000).
 */
public final class ScorerBench {
  private ScorerBench() {}

  /**
   * One throughput measurement.
   *
   * @param prepareSeconds wall time of {@link FastScorer#prepare}
   * @param images images scored in the timed window
   * @param seconds length of the timed window
   * @param cpuMillisPerImage CPU time of the whole process per image in the timed window (all
   *     threads: a figure that, unlike images/s, hardly moves when other processes share the CPUs;
   *     NaN where the JVM cannot tell)
   */
  public record Result(
      HyperParameters.Mode mode,
      int classes,
      int dim,
      int batch,
      double prepareSeconds,
      long images,
      double seconds,
      double imagesPerSecond,
      double cpuMillisPerImage) {
    @Override
    public String toString() {
      return String.format(
          "%sC=%d D=%d batch=%d: %.0f images/s, %.3f CPU ms/image (%d images in %.2f s; prepare %.2f s)",
          mode == HyperParameters.Mode.ADAPTIVE ? "adaptive " : "",
          classes,
          dim,
          batch,
          imagesPerSecond,
          cpuMillisPerImage,
          images,
          seconds,
          prepareSeconds);
    }
  }

  /**
   * Scores batches of {@code batch} random images for about {@code seconds} (after a short warm-up)
   * with a fast scorer of a random C×D model and returns the throughput.
   */
  public static Result run(int classes, int dim, int batch, double seconds) {
    return run(HyperParameters.Mode.REFERENCE, classes, dim, batch, seconds);
  }

  /** The same in a mode; ADAPTIVE scores with every correction, the head's included (η = 0.5). */
  public static Result run(
      HyperParameters.Mode mode, int classes, int dim, int batch, double seconds) {
    return run(mode, 0.5, classes, dim, batch, seconds);
  }

  /**
   * The same in a mode: ADAPTIVE scores zero-shot CLIP plus the Gaussian term and a base offset
   * and, when {@code headWeight} > 0, the head's scores (with η = 0, the weights most fits choose,
   * the head's attention is not run at all).
   */
  public static Result run(
      HyperParameters.Mode mode,
      double headWeight,
      int classes,
      int dim,
      int batch,
      double seconds) {
    if (classes < 1 || dim < CandleHead.HEADS || batch < 1 || !(seconds > 0)) {
      throw new IllegalArgumentException(
          "need classes >= 1, dim >= "
              + CandleHead.HEADS
              + ", batch >= 1, seconds > 0; got "
              + classes
              + ", "
              + dim
              + ", "
              + batch
              + ", "
              + seconds);
    }
    CandleModel model = model(mode, headWeight, classes, dim);
    float[][] images = RandomModels.randomImages(model, batch, 7);
    long t0 = System.nanoTime();
    try (FastScorer scorer = FastScorer.prepare(model)) {
      double prepare = (System.nanoTime() - t0) / 1e9;
      // a few seconds of warm-up: the first seconds of a process run at about 80% of steady state
      long warmEnd = System.nanoTime() + (long) (Math.min(4.0, seconds) * 1e9);
      do {
        scorer.score(images);
      } while (System.nanoTime() < warmEnd);
      long cpuStart = processCpuNanos();
      long start = System.nanoTime();
      long end = start + (long) (seconds * 1e9);
      long count = 0;
      long now;
      do {
        scorer.score(images);
        count += batch;
        now = System.nanoTime();
      } while (now < end);
      double elapsed = (now - start) / 1e9;
      long cpu = processCpuNanos();
      double cpuPerImage = cpu < 0 || cpuStart < 0 ? Double.NaN : (cpu - cpuStart) / 1e6 / count;
      return new Result(
          mode, classes, dim, batch, prepare, count, elapsed, count / elapsed, cpuPerImage);
    }
  }

  /**
   * The random C×D model {@link #run} scores (half the classes base, with visual prototypes and
   * counts), in {@code mode} with the head's weight {@code headWeight} (ADAPTIVE).
   */
  public static CandleModel model(
      HyperParameters.Mode mode, double headWeight, int classes, int dim) {
    return inMode(RandomModels.randomModel(classes, dim, 1.0, 42), mode, headWeight);
  }

  private static CandleModel inMode(CandleModel m, HyperParameters.Mode mode, double headWeight) {
    if (mode == HyperParameters.Mode.REFERENCE) {
      return m;
    }
    return m.withHyper(m.hyper().withMode(mode))
        .withWeights(new ScoreWeights(1, 0.1, headWeight, -1));
  }

  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** Milliseconds per image of the naive forward (the whole 1 + 2C token sequence per image). */
  public static double naiveMillisPerImage(int classes, int dim, int images) {
    CandleModel model = RandomModels.randomModel(classes, dim, 1.0, 42);
    float[][] batch = RandomModels.randomImages(model, images + 1, 7);
    NaiveScorer naive = new NaiveScorer(model);
    naive.score(batch[images]); // warm-up
    long start = System.nanoTime();
    for (int i = 0; i < images; i++) {
      naive.score(batch[i]);
    }
    return (System.nanoTime() - start) / 1e6 / images;
  }

  public static void main(String[] args) {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    int naiveImages = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    System.out.printf(
        "%d CPUs, load average %.1f, OMP_WAIT_POLICY=%s, ai.djl.pytorch.num_threads=%s%n",
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        System.getenv().getOrDefault("OMP_WAIT_POLICY", "(unset)"),
        System.getProperty("ai.djl.pytorch.num_threads", "(default)"));
    for (int classes : new int[] {100, 1000}) {
      for (int batch : new int[] {1, 256}) {
        System.out.println(run(classes, 512, batch, seconds));
      }
    }
    System.out.printf(
        "naive C=1000 D=512: %.0f ms/image%n", naiveMillisPerImage(1000, 512, naiveImages));
  }
}
