package ai.candle.cli;

import ai.candle.cli.internals.UserException;
import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip;
import ai.candle.core.synthetic.SyntheticClip.Config;
import ai.candle.core.synthetic.SyntheticClip.ShotProfile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code candle generate}: a synthetic CLIP-like features dataset to try {@code evaluate} on. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Write a synthetic CLIP-like features dataset (features.npz, classes.txt and a SYNTHETIC.txt note) into a "
          + "directory, so that 'candle evaluate' can be tried without real CLIP features.",
      "",
      "The features imitate the statistics of real CLIP ViT-B/32 features (modality gap, raw norms, text and image "
          + "alignment, superclasses, covariance spectrum; SyntheticClip in candle-core). Base classes (the first half by default) get training images, long-tailed by default; "
          + "every class gets test images. Start from --benchmark or from the defaults; every other option given "
          + "overrides that.",
      ""
    })
final class GenerateCommand implements Callable<Integer> {
  /** Attention heads of the Candle head (docs/method.md): the feature width must divide by it. */
  private static final int HEADS = 8;

  @Spec CommandSpec spec;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description =
          "Directory to write (created if needed; features.npz, classes.txt and SYNTHETIC.txt there are replaced).")
  Path out;

  @Option(
      names = "--benchmark",
      paramLabel = "NAME",
      description =
          "A ready-made setting: ${COMPLETION-CANDIDATES}. lt-N: 100 classes, 50 base, D=512, long-tailed with "
              + "the named head count, imbalance 0.01, 20 test images per class; imagenet-N: the shape of the real-CLIP "
              + "ImageNet protocol, 1,000 classes, 500 base, imbalance 0.25, 2 test images per class.",
      completionCandidates = Benchmarks.class)
  String benchmark;

  @Option(
      names = "--shots",
      paramLabel = "N",
      description =
          "Training images of the head base class (long-tailed) or of every base class (fixed). Default: 16.")
  Integer shots;

  @Option(
      names = "--profile",
      paramLabel = "long-tailed|fixed",
      description =
          "long-tailed: base class i gets max(int(shots * IR^(i/(Cb-1))), 1) images; fixed: every base class gets shots. "
              + "Default: long-tailed.")
  String profile;

  @Option(
      names = "--imbalance",
      paramLabel = "IR",
      description =
          "Imbalance ratio IR of the long-tailed profile, tail/head, in (0, 1]. Default: 0.01.")
  Double imbalance;

  @Option(
      names = "--classes",
      paramLabel = "C",
      description = "All classes, base and new. Default: 100.")
  Integer classes;

  @Option(
      names = "--base-classes",
      paramLabel = "CB",
      description =
          "Base classes (the first CB classes get training images). Default: half of the classes.")
  Integer baseClasses;

  @Option(
      names = "--dim",
      paramLabel = "D",
      description = "Feature width, a multiple of 8 and at least 8. Default: 512.")
  Integer dim;

  @Option(
      names = "--test-per-class",
      paramLabel = "N",
      description = "Test images of every class. Default: 20.")
  Integer testPerClass;

  @Option(
      names = "--seed",
      paramLabel = "N",
      description =
          "Seed of everything: the same options give the same dataset, bit for bit. Default: 1.")
  Long seed;

  @Override
  public Integer call() throws IOException {
    Config cfg = config();
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new UserException(out + " is a file; --out takes a directory");
    }
    FeaturesDataset data = write(out, cfg);
    PrintWriter w = spec.commandLine().getOut();
    w.printf(
        Locale.ROOT,
        "wrote %s: synthetic, %s%ntry: ./candle evaluate --dataset %s%n",
        out,
        describe(cfg, data),
        out);
    w.flush();
    return 0;
  }

  /** Generates a dataset into {@code dir} with the note that marks it synthetic. */
  static FeaturesDataset write(Path dir, Config cfg) throws IOException {
    FeaturesDataset data = SyntheticClip.generate(cfg);
    data.write(dir);
    Files.writeString(
        dir.resolve(Evaluation.SYNTHETIC_MARKER), note(cfg, data), StandardCharsets.UTF_8);
    return data;
  }

  /** A named benchmark's configuration, or a clear error listing the names. */
  static Config benchmark(String name) {
    Config cfg = SyntheticClip.benchmarks().get(name);
    if (cfg == null) {
      throw new UserException(
          "unknown benchmark '" + name + "': use one of " + SyntheticClip.benchmarks().keySet());
    }
    return cfg;
  }

  /** The generator config: the benchmark's or the defaults, then every option given. */
  Config config() {
    Config cfg;
    if (benchmark != null) {
      cfg = benchmark(benchmark);
    } else {
      cfg = Config.defaults();
    }
    try {
      if (classes != null || baseClasses != null) {
        int c = classes != null ? classes : cfg.classes();
        cfg = cfg.withClasses(c, baseClasses != null ? baseClasses : c / 2);
      }
      if (shots != null) {
        cfg = cfg.withShots(shots);
      }
      if (profile != null) {
        cfg = cfg.withProfile(parseProfile(profile));
      }
      if (imbalance != null) {
        cfg = cfg.withImbalanceRatio(imbalance);
      }
      if (testPerClass != null) {
        cfg = cfg.withTestPerClass(testPerClass);
      }
      if (seed != null) {
        cfg = cfg.withSeed(seed);
      }
      if (dim != null) {
        if (dim < HEADS || dim % HEADS != 0) {
          throw new UserException(
              "--dim must be a positive multiple of "
                  + HEADS
                  + " (the attention heads), got "
                  + dim);
        }
        cfg = cfg.withDim(dim);
      }
    } catch (IllegalArgumentException e) {
      throw new UserException("invalid generator settings: " + e.getMessage(), e);
    }
    return cfg;
  }

  private static ShotProfile parseProfile(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "long-tailed", "long_tailed", "lt" -> ShotProfile.LONG_TAILED;
      case "fixed" -> ShotProfile.FIXED;
      default -> throw new UserException("unknown --profile '" + s + "': use long-tailed or fixed");
    };
  }

  private static String describe(Config cfg, FeaturesDataset data) {
    int[] shots = cfg.shotCounts();
    String perClass =
        shots.length == 0
            ? "none"
            : cfg.profile() == ShotProfile.FIXED
                ? shots[0] + " per base class"
                : Arrays.stream(shots).max().orElse(0)
                    + " down to "
                    + Arrays.stream(shots).min().orElse(0)
                    + " per base class (long-tailed)";
    return String.format(
        Locale.ROOT,
        "%d classes (%d base, %d new), D=%d, %d training images (%s), %d test images",
        data.numClasses(),
        data.baseClasses(),
        data.newClasses(),
        data.dim(),
        data.trainSize(),
        perClass,
        data.testSize());
  }

  private static String note(Config cfg, FeaturesDataset data) {
    return String.join(
        "\n",
        "SYNTHETIC DATA: not CLIP features of real images.",
        "",
        "Written by 'candle generate' (SyntheticClip in candle-core): random CLIP-like features that imitate CLIP's",
        "geometry (modality gap, raw feature norms, noisy alignment of text and image), so that Candle can be tried",
        "without a CLIP encoder. Accuracies measured on it say nothing about real datasets.",
        "",
        describe(cfg, data),
        "generator config: " + cfg,
        "");
  }

  /** The benchmark names, for the help text. */
  static final class Benchmarks implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      Map<String, Config> m = SyntheticClip.benchmarks();
      return m.keySet().iterator();
    }
  }
}
