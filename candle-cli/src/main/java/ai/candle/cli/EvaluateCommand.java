package ai.candle.cli;

import ai.candle.cli.internals.UserException;
import ai.candle.core.HyperParameters;
import ai.candle.core.WeightSelection;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code candle evaluate}: zero-shot CLIP against a Candle fit on a features dataset. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    description = {
      "Fit Candle on the training images of a features dataset and compare it with zero-shot CLIP on the test images.",
      "",
      "Classes 0..base_classes-1 are base (they have training images), the rest new. Reports base, new and "
          + "harmonic-mean (HM) accuracy over all classes (argmax over every class) and within each split (argmax "
          + "over the base classes for base images, over the new classes for new images); accuracy per frequency "
          + "bucket of the true class (training images: many > 100, medium 20-100, few 1-19, new 0); the fit's "
          + "seconds and the scoring throughput (every test image scored alone, in batches of 256).",
      "",
      "Progress goes to stderr, the report to stdout.",
      ""
    })
final class EvaluateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--dataset",
      paramLabel = "DIR",
      description =
          "Features dataset directory: features.npz and classes.txt (docs/design.md, \"Features datasets\"); "
              + "make one with 'candle generate'. Without it, the synthetic benchmark named by --benchmark is "
              + "generated into a temporary directory (and labelled synthetic in the report).")
  Path dataset;

  @Option(
      names = "--benchmark",
      defaultValue = "lt-16shot",
      paramLabel = "NAME",
      description =
          "Synthetic benchmark to evaluate when no --dataset is given (see candle generate --help).")
  String benchmark;

  @Option(
      names = "--epochs",
      defaultValue = "50",
      paramLabel = "N",
      description = "Epochs of the fit.")
  int epochs;

  @Option(
      names = "--batch",
      defaultValue = "128",
      paramLabel = "N",
      description = "Training images per batch (the C class prototypes are appended to each).")
  int batch;

  @Option(
      names = "--lr",
      defaultValue = "3e-4",
      paramLabel = "X",
      description = "Peak learning rate of the cosine schedule (the first epoch runs at 1e-5).")
  double lr;

  @Option(
      names = "--scale",
      defaultValue = "1.0",
      paramLabel = "X",
      description =
          "SCALE, the weight of the visual-prototype logits (1.0 as in the authors' example runs; the paper's default is 0.5).")
  double scale;

  @Option(
      names = "--seed",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Seed of initialisation, batch order and dropout: the same seed gives the same fit on the same device.")
  long seed;

  @Option(
      names = "--device",
      defaultValue = "auto",
      paramLabel = "auto|cpu|gpu|gpu:N",
      description =
          "Where to fit and score: auto takes the first GPU when the CUDA build sees one, else the CPU.")
  String device;

  @Option(
      names = "--mode",
      defaultValue = "both",
      paramLabel = "reference|adaptive|both",
      description =
          "Which Candle to fit: adaptive (the service's default: zero-shot CLIP's logits plus corrections on "
              + "the classes with images, the Gaussian image-evidence term, the Candle head and a base-class offset, each "
              + "weighted by cross-validation on the training data, zero-shot itself a candidate; reported as "
              + "\"candle\"), reference (the paper's configuration, exactly; reported as \"reference\"), or both.")
  String mode;

  @Option(
      names = "--head",
      defaultValue = "auto",
      paramLabel = "auto|off",
      description =
          "adaptive: auto tries the Candle head's weight on a held-out split (one extra fit of the head on "
              + "about half the images; the head is fitted on all of them only when it earns a weight); off keeps its "
              + "weight at 0 and never fits it.")
  String head;

  @Option(
      names = "--json",
      description =
          "Print exactly one JSON object on stdout instead of the table (accuracies as fractions; "
              + "nested objects, so candle.split.hm is .candle.split.hm).")
  boolean json;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path generated = null;
    if (dataset == null) {
      var config = GenerateCommand.benchmark(benchmark);
      generated = Files.createTempDirectory("candle-synthetic-");
      dataset = generated;
      err.println(
          "no --dataset: evaluating the SYNTHETIC benchmark "
              + benchmark
              + " (CLIP-like features, not real images)");
      err.flush();
      GenerateCommand.write(dataset, config);
    }
    try {
      Evaluation.Report report = Evaluation.run(settings(), err);
      out.println(json ? Reports.json(report) : Reports.table(report));
      out.flush();
    } finally {
      if (generated != null) {
        deleteTree(generated);
      }
    }
    return 0;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The options as evaluation settings: "candle" (adaptive) first, then "reference". */
  Evaluation.Settings settings() {
    HyperParameters reference = hyperParameters();
    WeightSelection.Settings selection =
        switch (head) {
          case "auto" -> WeightSelection.Settings.defaults();
          case "off" -> WeightSelection.Settings.defaults().withoutHead();
          default -> throw new UserException("--head must be auto or off, got '" + head + "'");
        };
    Evaluation.Configuration adaptive =
        new Evaluation.Configuration(
            "candle", reference.withMode(HyperParameters.Mode.ADAPTIVE), selection);
    Evaluation.Configuration paper = new Evaluation.Configuration("reference", reference);
    return new Evaluation.Settings(
        dataset,
        device,
        switch (mode) {
          case "adaptive" -> List.of(adaptive);
          case "reference" -> List.of(paper);
          case "both" -> List.of(adaptive, paper);
          default ->
              throw new UserException(
                  "--mode must be reference, adaptive or both, got '" + mode + "'");
        });
  }

  HyperParameters hyperParameters() {
    if (!(scale >= 0) || Double.isInfinite(scale)) {
      throw new UserException("--scale must be a finite number >= 0, got " + scale);
    }
    return HyperParameters.defaults()
        .withEpochs(epochs)
        .withBatchSize(batch)
        .withLearningRate(lr)
        .withScale(scale)
        .withSeed(seed);
  }
}
