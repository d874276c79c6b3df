package ai.candle.bench;

import ai.candle.core.CandleFit;
import ai.candle.core.Devices;
import ai.candle.core.FitStats;
import ai.candle.core.HyperParameters;
import ai.djl.Device;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Benchmarks of a fit: one training step at a given shape, and a whole fit.
 *
 * <p>Work of a step, counted in multiply-adds of the forward pass with L = B + 2C tokens and R = B
 * + C loss rows: the three projections {@code (B + 2C)·D²}, the attention's input and output
 * projections {@code 4·L·D²}, scores and weighted values {@code 2·L²·D} (all heads together), and
 * the three logit matrices {@code 3·R·C·D}. The backward pass costs about twice the forward, so a
 * step is {@code 3 ×} that, and a FLOP is half a multiply-add.
 */
public final class FitBench {
  private FitBench() {}

  /** Result of the step benchmark. */
  public record StepResult(
      int batch,
      int classes,
      int newClasses,
      int dim,
      int steps,
      double secondsPerStep,
      double cpuSecondsPerStep,
      double gflopPerStep,
      String device) {
    public double gflops() {
      return gflopPerStep / secondsPerStep;
    }
  }

  /** Multiply-adds of one forward pass (see the class comment). */
  public static double forwardMultiplyAdds(int batch, int classes, int dim) {
    double l = batch + 2.0 * classes;
    double r = batch + (double) classes;
    double d = dim;
    return l * d * d + 4 * l * d * d + 2 * l * l * d + 3 * r * classes * d;
  }

  /**
   * Times training steps (batch gather, forward, backward, SGD update) on random CLIP-sized
   * features: a fit through the public API on one image per base class, padded to whole batches of
   * {@code batch}, so every epoch is a number of full steps; the first {@code warmup} epochs are
   * not timed, then epochs run until at least {@code steps} steps are timed.
   */
  public static StepResult step(
      int batch, int classes, int newClasses, int dim, int warmup, int steps, Device device) {
    return step(batch, classes, newClasses, dim, warmup, steps, device, 0);
  }

  /**
   * {@link #step} of the full step (the authors' attention over every class) when {@code
   * sampledOthers} is 0, else of the sampled-class step with m = {@code sampledOthers}, whose work
   * is counted as a full step's over |S| = min(C, B + m) classes (the batch's own classes are at
   * most B).
   */
  public static StepResult step(
      int batch,
      int classes,
      int newClasses,
      int dim,
      int warmup,
      int steps,
      Device device,
      int sampledOthers) {
    Random rnd = new Random(1);
    int cb = classes - newClasses;
    int stepsPerEpoch = (cb + batch - 1) / batch;
    int n = stepsPerEpoch * batch;
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % cb;
    }
    float[] counts = new float[classes];
    for (int j = 0; j < cb; j++) {
      counts[j] = 1 + rnd.nextInt(100);
    }
    List<String> names = new ArrayList<>();
    for (int j = 0; j < classes; j++) {
      names.add("c" + j);
    }
    CandleFit.TrainingSet data =
        new CandleFit.TrainingSet(
            gaussian(rnd, n * dim), labels, dim, names, cb, gaussian(rnd, classes * dim), counts);
    int timedEpochs = (steps + stepsPerEpoch - 1) / stepsPerEpoch;
    HyperParameters hp =
        HyperParameters.defaults()
            .withBatchSize(batch)
            .withMaxPerClass(0)
            .withEpochs(warmup + timedEpochs)
            .withSampledAbove(sampledOthers > 0 ? 1 : 0)
            .withSampledOthers(Math.max(1, sampledOthers));
    double[] timed = new double[1];
    // the process's CPU time over the timed epochs: on a shared machine it shows the work done
    // where the wall clock also counts time the other processes had the cores
    long[] cpu = {processCpuNanos(), 0};
    CandleFit.fit(
        data,
        hp,
        CandleFit.Options.defaults()
            .withDevice(device)
            .withProgress(
                (epoch, epochs, loss, secs) -> {
                  if (epoch > warmup) {
                    timed[0] += secs;
                  }
                  if (epoch == warmup) {
                    cpu[0] = processCpuNanos();
                  } else if (epoch == epochs) {
                    cpu[1] = processCpuNanos();
                  }
                }));
    double secs = timed[0] / (timedEpochs * stepsPerEpoch);
    double cpuSecs = (cpu[1] - cpu[0]) / 1e9 / (timedEpochs * stepsPerEpoch);
    int inScope = sampledOthers > 0 ? Math.min(classes, batch + sampledOthers) : classes;
    double gflop = 3 * 2 * forwardMultiplyAdds(batch, inScope, dim) / 1e9;
    return new StepResult(
        batch,
        classes,
        newClasses,
        dim,
        timedEpochs * stepsPerEpoch,
        secs,
        cpuSecs,
        gflop,
        device.toString());
  }

  /** CPU time of this process (all threads), in nanoseconds; -1 where the JVM cannot tell. */
  static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : -1;
  }

  /** A whole fit on {@code n} random long-tailed features; returns the fitted model's stats. */
  public static FitStats fit(
      int n,
      int classes,
      int newClasses,
      int dim,
      int epochs,
      Device device,
      CandleFit.Progress progress) {
    Random rnd = new Random(2);
    int cb = classes - newClasses;
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      // every base class at least once, the rest long-tailed towards low indexes
      labels[i] =
          i < cb ? i : (int) Math.min(cb - 1, Math.floor(cb * Math.pow(rnd.nextDouble(), 3)));
    }
    float[] counts = new float[classes];
    for (int y : labels) {
      counts[y]++;
    }
    List<String> names = new ArrayList<>();
    for (int j = 0; j < classes; j++) {
      names.add("c" + j);
    }
    CandleFit.TrainingSet data =
        new CandleFit.TrainingSet(
            gaussian(rnd, n * dim), labels, dim, names, cb, gaussian(rnd, classes * dim), counts);
    HyperParameters hp = HyperParameters.defaults().withEpochs(epochs).withMaxPerClass(0);
    return CandleFit.fit(
            data, hp, CandleFit.Options.defaults().withDevice(device).withProgress(progress))
        .stats();
  }

  private static float[] gaussian(Random rnd, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) rnd.nextGaussian();
    }
    return out;
  }

  /** {@code FitBench [step|fit] ...}: prints the figures BENCHMARKS.md records. */
  public static void main(String[] args) {
    String what = args.length > 0 ? args[0] : "step";
    Device device = Devices.choose();
    System.out.printf(
        "machine: %d cores visible to the JVM, device %s, OMP_WAIT_POLICY=%s%n",
        Runtime.getRuntime().availableProcessors(), device, System.getenv("OMP_WAIT_POLICY"));
    if (what.equals("step")) {
      int classes = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
      int steps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
      StepResult r = step(128, classes, classes / 2, 512, 2, steps, device);
      System.out.printf(
          "step B=%d C=%d (new %d) D=%d: %.3f s/step, CPU %.3f s/step, %.1f GFLOP/step, %.1f"
              + " GFLOP/s (%d steps)%n",
          r.batch(),
          r.classes(),
          r.newClasses(),
          r.dim(),
          r.secondsPerStep(),
          r.cpuSecondsPerStep(),
          r.gflopPerStep(),
          r.gflops(),
          r.steps());
    } else {
      int n = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
      int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 50;
      FitStats s =
          fit(
              n,
              1000,
              500,
              512,
              epochs,
              device,
              (e, total, loss, secs) ->
                  System.out.printf("epoch %d/%d loss %.4f %.1f s%n", e, total, loss, secs));
      System.out.printf(
          "fit N=%d C=1000 (new 500) D=512 %d epochs: %.1f s total on %s%n",
          n, epochs, s.totalSeconds(), s.device());
    }
  }
}
