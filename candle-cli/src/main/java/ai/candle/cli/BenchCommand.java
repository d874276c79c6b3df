package ai.candle.cli;

import ai.candle.bench.FitBench;
import ai.candle.bench.RefitBench;
import ai.candle.bench.SampledBench;
import ai.candle.bench.ScorerBench;
import ai.candle.cli.internals.UserException;
import ai.candle.core.Devices;
import ai.candle.core.FitStats;
import ai.candle.core.HyperParameters;
import ai.candle.core.WeightSelection;
import ai.candle.core.synthetic.SyntheticClip;
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
      "         prints seconds per step (wall and CPU) and GFLOP/s (multiply-adds counted as FitBench",
      "         documents); with --torch, then a plain PyTorch step at the same shape for comparison",
      "  fit    a whole fit on N long-tailed samples over 1,000 classes (500 new), per-epoch times",
      "  score  exact per-image scoring throughput (FastScorer) for each C and batch size, and the naive",
      "         full-attention cost per image for comparison",
      "  refit  where a full refit's time goes at C classes (a tenth new) and N samples on the realistic",
      "         synthetic generator, the head's epochs timed for --timed-epochs and extrapolated to --epochs;",
      "         and what a warm-started refit costs (--warm-steps)",
      "  warm   warm-started against full refits as a synthetic benchmark's images arrive in --stages,",
      "         all-class HM after each stage (--benchmark, --fit-head)",
      "  freshness  a trainer on an embedded broker with C classes and N stored samples and a version",
      "         serving; labelled images stream in --cycles; seconds from an image's arrival to the first",
      "         served version trained on it, p50 and p95",
      "  adopt  --scorers model feeds on an embedded broker with Kafka's default record size; a C-class",
      "         version published (encoded, chunked, one transaction) --rounds times, one class more",
      "         each time; seconds from the start of each publish to each scorer serving it, memory",
      "  sampled  the Candle head fitted with full attention and with sampled classes (--sampled-others,",
      "         512 unless given) on --benchmark, --epochs each: the head's own all-class HM (Lvt + Lvv)",
      "",
      "The first line names the machine: CPUs, load average, device. Run it on an idle machine.",
      ""
    })
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "step|fit|score|refit|warm|freshness|adopt|sampled",
      description = "What to measure.")
  String what;

  @Option(
      names = "--classes",
      split = ",",
      defaultValue = "1000",
      paramLabel = "C[,C...]",
      description = "Classes (step: the first value; score: each value).")
  List<Integer> classes;

  @Option(
      names = "--steps",
      defaultValue = "5",
      paramLabel = "N",
      description = "step: timed steps (after 2 untimed).")
  int steps;

  @Option(
      names = "--torch",
      paramLabel = "PYTHON",
      description =
          "step: then run the plain PyTorch step (candle-bench/python/torch_step.py, from the"
              + " repository root) with this Python, e.g. /usr/bin/python3 with Debian's python3-torch,"
              + " and print both and their ratio.")
  String torchPython;

  @Option(
      names = "--sampled-others",
      defaultValue = "0",
      paramLabel = "M",
      description =
          "step: time the sampled-class step drawing M classes besides the batch's (0: the full step"
              + " over every class); sampled: M.")
  int sampledOthers;

  @Option(
      names = "--samples",
      defaultValue = "10000",
      paramLabel = "N",
      description = "fit: training samples.")
  int samples;

  @Option(
      names = "--epochs",
      defaultValue = "50",
      paramLabel = "N",
      description = "fit, sampled: epochs.")
  int epochs;

  @Option(
      names = "--batches",
      split = ",",
      defaultValue = "1,256",
      paramLabel = "B[,B...]",
      description = "score: batch sizes.")
  List<Integer> batches;

  @Option(
      names = "--seconds",
      defaultValue = "5",
      paramLabel = "S",
      description = "score: seconds per measurement.")
  double seconds;

  @Option(
      names = "--naive-images",
      defaultValue = "2",
      paramLabel = "N",
      description =
          "score: images for the naive cost at the largest C (0 skips it; about 10 s each at C = 1000).")
  int naiveImages;

  @Option(
      names = "--mode",
      defaultValue = "reference",
      paramLabel = "reference|adaptive",
      description =
          "score: the configuration scored; adaptive is zero-shot CLIP plus the service's corrections "
              + "(the Gaussian term, a base offset and the head's scores weighted by --head-weight).")
  String mode;

  @Option(
      names = "--head-weight",
      defaultValue = "0.5",
      paramLabel = "X",
      description =
          "score (adaptive), adopt: the head's weight η; 0 (what most fits choose) leaves the head's attention out.")
  double headWeight;

  @Option(
      names = "--scorers",
      defaultValue = "2",
      paramLabel = "N",
      description = "adopt: scorers (model feeds and holders) in this process.")
  int scorers;

  @Option(
      names = "--rounds",
      defaultValue = "5",
      paramLabel = "N",
      description = "adopt: timed publishes, after an untimed first one.")
  int rounds;

  @Option(
      names = "--timed-epochs",
      defaultValue = "1",
      paramLabel = "N",
      description = "refit: head epochs actually run (each head fit), extrapolated to --epochs.")
  int timedEpochs;

  @Option(
      names = "--warm-steps",
      defaultValue = "20",
      paramLabel = "N",
      description = "refit, warm, freshness: the warm-started head's step budget.")
  int warmSteps;

  @Option(
      names = "--benchmark",
      defaultValue = "lt-16shot",
      paramLabel = "NAME",
      description = "warm, sampled: the synthetic benchmark (candle generate --help lists them).")
  String benchmark;

  @Option(
      names = "--stages",
      defaultValue = "5",
      paramLabel = "N",
      description = "warm: arrival stages after the first.")
  int stages;

  @Option(
      names = "--fit-head",
      defaultValue = "auto",
      paramLabel = "auto|off",
      description =
          "warm, freshness: whether full refits try the Candle head (as the trainer's fit.head).")
  String fitHead;

  @Option(
      names = "--cycles",
      defaultValue = "10",
      paramLabel = "N",
      description = "freshness: cycles of streamed images.")
  int cycles;

  @Option(
      names = "--images-per-cycle",
      defaultValue = "20",
      paramLabel = "N",
      description = "freshness: labelled images streamed per cycle (over 5 classes).")
  int imagesPerCycle;

  @Option(
      names = "--device",
      defaultValue = "auto",
      paramLabel = "auto|cpu|gpu|gpu:N",
      description = "Where to run.")
  String device;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Device dev = Devices.parse(device);
    out.printf(
        Locale.ROOT,
        "machine: %d CPUs, load average %.1f, device %s, OMP_WAIT_POLICY=%s%n",
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        dev,
        System.getenv().getOrDefault("OMP_WAIT_POLICY", "(unset)"));
    out.flush();
    switch (what) {
      case "step" -> {
        int c = classes.get(0);
        FitBench.StepResult r = FitBench.step(128, c, c / 2, 512, 2, steps, dev, sampledOthers);
        out.printf(
            Locale.ROOT,
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
        out.flush();
        if (torchPython != null) {
          TorchStep.Result t = TorchStep.run(torchPython, c, steps, out);
          out.printf(
              Locale.ROOT,
              "ours against plain PyTorch: %.2fx faster (wall), %.2fx less CPU; load average now"
                  + " %.1f%n",
              t.secondsPerStep() / r.secondsPerStep(),
              t.cpuSecondsPerStep() / r.cpuSecondsPerStep(),
              ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
      }
      case "fit" -> {
        FitStats s =
            FitBench.fit(
                samples,
                1000,
                500,
                512,
                epochs,
                dev,
                (e, total, loss, secs) -> {
                  out.printf(Locale.ROOT, "epoch %d/%d loss %.4f %.1f s%n", e, total, loss, secs);
                  out.flush();
                });
        out.printf(
            Locale.ROOT,
            "fit N=%d C=1000 (new 500) D=512, %d epochs: %.1f s on %s%n",
            samples,
            epochs,
            s.totalSeconds(),
            s.device());
      }
      case "score" -> {
        HyperParameters.Mode m =
            switch (mode) {
              case "reference" -> HyperParameters.Mode.REFERENCE;
              case "adaptive" -> HyperParameters.Mode.ADAPTIVE;
              default ->
                  throw new UserException(
                      "unknown --mode '" + mode + "': use reference or adaptive");
            };
        for (int c : classes) {
          for (int b : batches) {
            out.println(ScorerBench.run(m, headWeight, c, 512, b, seconds));
            out.flush();
          }
        }
        if (naiveImages > 0) {
          int c = classes.stream().mapToInt(Integer::intValue).max().orElseThrow();
          out.printf(
              Locale.ROOT,
              "naive full attention C=%d D=512: %.0f ms/image%n",
              c,
              ScorerBench.naiveMillisPerImage(c, 512, naiveImages));
        }
      }
      case "refit" -> {
        int c = classes.get(0);
        HyperParameters hp = HyperParameters.adaptive().withEpochs(epochs).withMaxPerClass(0);
        RefitBench.profile(
            c, c / 10, Math.max(1, samples / (c - c / 10)), timedEpochs, warmSteps, hp, dev, out);
      }
      case "warm" -> {
        SyntheticClip.Config cfg = SyntheticClip.benchmarks().get(benchmark);
        if (cfg == null) {
          throw new UserException(
              "unknown --benchmark '"
                  + benchmark
                  + "': use one of "
                  + SyntheticClip.benchmarks().keySet());
        }
        HyperParameters hp = HyperParameters.adaptive().withEpochs(epochs).withMaxPerClass(0);
        WeightSelection.Settings sel =
            fitHead.equals("off")
                ? WeightSelection.Settings.defaults().withoutHead()
                : WeightSelection.Settings.defaults();
        out.printf(
            Locale.ROOT,
            "benchmark %s, %d stages, warm steps %d, fit head %s, %d epochs%n",
            benchmark,
            stages,
            warmSteps,
            fitHead,
            epochs);
        RefitBench.quality(SyntheticClip.generate(cfg), stages, warmSteps, hp, sel, dev, out);
      }
      case "sampled" -> {
        SyntheticClip.Config cfg = SyntheticClip.benchmarks().get(benchmark);
        if (cfg == null) {
          throw new UserException(
              "unknown --benchmark '"
                  + benchmark
                  + "': use one of "
                  + SyntheticClip.benchmarks().keySet());
        }
        HyperParameters hp = HyperParameters.adaptive().withEpochs(epochs).withMaxPerClass(0);
        out.printf(Locale.ROOT, "benchmark %s%n", benchmark);
        SampledBench.quality(
            SyntheticClip.generate(cfg), hp, sampledOthers > 0 ? sampledOthers : 512, dev, out);
      }
      case "freshness" ->
          FreshnessBench.run(
              classes.get(0), samples, cycles, imagesPerCycle, warmSteps, fitHead, out);
      case "adopt" -> AdoptionBench.run(classes.get(0), 512, scorers, rounds, headWeight, out);
      default ->
          throw new UserException(
              "unknown benchmark '"
                  + what
                  + "': use step, fit, score, refit, warm, freshness, adopt or sampled");
    }
    out.flush();
    return 0;
  }
}
