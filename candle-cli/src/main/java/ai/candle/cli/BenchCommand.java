package ai.candle.cli;

import ai.candle.cli.internals.UserException;
import ai.candle.core.Devices;
import ai.candle.bench.FitBench;
import ai.candle.core.FitStats;
import ai.candle.core.HyperParameters;
import ai.candle.bench.ScorerBench;
import ai.djl.Device;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code candle bench}: the figures BENCHMARKS.md records, on random CLIP-sized data. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    description = {
      "Benchmark the Candle core on random CLIP-sized features (D = 512).",
      "",
      "  step   one training step (forward, backward, SGD) at batch 128 with C classes, half of them new;",
      "         prints seconds per step and GFLOP/s (multiply-adds counted as FitBench documents)",
      "  fit    a whole fit on N long-tailed samples over 1,000 classes (500 new), per-epoch times",
      "  score  exact per-image scoring throughput (FastScorer) for each C and batch size, and the naive",
      "         full-attention cost per image for comparison",
      "",
      "The first line names the machine: CPUs, load average, device. Run it on an idle machine.",
      ""
    })
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "step|fit|score", description = "What to measure.")
  String what;

  @Option(names = "--classes", split = ",", defaultValue = "1000", paramLabel = "C[,C...]",
      description = "Classes (step: the first value; score: each value).")
  List<Integer> classes;

  @Option(names = "--steps", defaultValue = "5", paramLabel = "N", description = "step: timed steps (after 2 untimed).")
  int steps;

  @Option(names = "--samples", defaultValue = "10000", paramLabel = "N", description = "fit: training samples.")
  int samples;

  @Option(names = "--epochs", defaultValue = "50", paramLabel = "N", description = "fit: epochs.")
  int epochs;

  @Option(names = "--batches", split = ",", defaultValue = "1,256", paramLabel = "B[,B...]",
      description = "score: batch sizes.")
  List<Integer> batches;

  @Option(names = "--seconds", defaultValue = "5", paramLabel = "S", description = "score: seconds per measurement.")
  double seconds;

  @Option(names = "--naive-images", defaultValue = "2", paramLabel = "N",
      description = "score: images for the naive cost at the largest C (0 skips it; about 10 s each at C = 1000).")
  int naiveImages;

  @Option(names = "--mode", defaultValue = "reference", paramLabel = "reference|adaptive",
      description = "score: the configuration scored; adaptive is zero-shot CLIP plus the service's corrections "
          + "(the Gaussian term, a base offset and the head's scores weighted by --head-weight).")
  String mode;

  @Option(names = "--head-weight", defaultValue = "0.5", paramLabel = "X",
      description = "score, adaptive: the head's weight η; 0 (what most fits choose) leaves the head's attention out.")
  double headWeight;

  @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|gpu|gpu:N", description = "Where to run.")
  String device;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Device dev = Devices.parse(device);
    out.printf(Locale.ROOT, "machine: %d CPUs, load average %.1f, device %s, OMP_WAIT_POLICY=%s%n",
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), dev,
        System.getenv().getOrDefault("OMP_WAIT_POLICY", "(unset)"));
    out.flush();
    switch (what) {
      case "step" -> {
        int c = classes.get(0);
        FitBench.StepResult r = FitBench.step(128, c, c / 2, 512, 2, steps, dev);
        out.printf(Locale.ROOT, "step B=%d C=%d (new %d) D=%d: %.3f s/step, %.1f GFLOP/step, %.1f GFLOP/s (%d steps)%n",
            r.batch(), r.classes(), r.newClasses(), r.dim(), r.secondsPerStep(), r.gflopPerStep(), r.gflops(), r.steps());
      }
      case "fit" -> {
        FitStats s = FitBench.fit(samples, 1000, 500, 512, epochs, dev, (e, total, loss, secs) -> {
          out.printf(Locale.ROOT, "epoch %d/%d loss %.4f %.1f s%n", e, total, loss, secs);
          out.flush();
        });
        out.printf(Locale.ROOT, "fit N=%d C=1000 (new 500) D=512, %d epochs: %.1f s on %s%n",
            samples, epochs, s.totalSeconds(), s.device());
      }
      case "score" -> {
        HyperParameters.Mode m = switch (mode) {
          case "reference" -> HyperParameters.Mode.REFERENCE;
          case "adaptive" -> HyperParameters.Mode.ADAPTIVE;
          default -> throw new UserException("unknown --mode '" + mode + "': use reference or adaptive");
        };
        for (int c : classes) {
          for (int b : batches) {
            out.println(ScorerBench.run(m, headWeight, c, 512, b, seconds));
            out.flush();
          }
        }
        if (naiveImages > 0) {
          int c = classes.stream().mapToInt(Integer::intValue).max().orElseThrow();
          out.printf(Locale.ROOT, "naive full attention C=%d D=512: %.0f ms/image%n",
              c, ScorerBench.naiveMillisPerImage(c, 512, naiveImages));
        }
      }
      default -> throw new UserException("unknown benchmark '" + what + "': use step, fit or score");
    }
    out.flush();
    return 0;
  }
}
