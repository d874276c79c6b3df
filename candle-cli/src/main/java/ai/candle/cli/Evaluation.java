package ai.candle.cli;

import ai.candle.cli.Metrics.Accuracies;
import ai.candle.cli.Metrics.Predictions;
import ai.candle.cli.internals.UserException;
import ai.candle.core.AdaptiveFit;
import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.Devices;
import ai.candle.core.FastScorer;
import ai.candle.core.FrequencyBucket;
import ai.candle.core.HyperParameters;
import ai.candle.core.WeightSelection;
import ai.candle.core.ZeroShot;
import ai.candle.core.io.FeaturesDataset;
import ai.djl.Device;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Evaluates zero-shot CLIP and one or more Candle configurations on a features dataset: fits each
 * configuration on the training split (class counts = the training counts, new classes 0), scores
 * every test image alone with the exact {@link FastScorer} and measures {@link Metrics}.
 *
 * <p>Each {@link Configuration} is fitted and scored independently and reported under its key; the
 * first one is the primary (its timings are the report's top-level ones). Today the CLI runs one,
 * {@code candle}; a second (e.g. the reference configuration beside an adaptive one) is another
 * entry in {@link Settings#configurations()} with its own key.
 */
final class Evaluation {
  /** Images per {@link FastScorer#score(float[][])} call while measuring throughput. */
  static final int SCORE_BATCH = 256;

  /** The marker file {@code candle generate} writes into a synthetic dataset. */
  static final String SYNTHETIC_MARKER = "SYNTHETIC.txt";

  private Evaluation() {}

  /**
   * One Candle configuration to fit and score.
   *
   * @param key its name in reports ({@code candle})
   * @param hyper the fit's hyper-parameters
   * @param selection ADAPTIVE: the candidates its weights are chosen among ({@link AdaptiveFit})
   */
  record Configuration(String key, HyperParameters hyper, WeightSelection.Settings selection) {
    Configuration(String key, HyperParameters hyper) {
      this(key, hyper, WeightSelection.Settings.defaults());
    }
  }

  /**
   * What to evaluate.
   *
   * @param dataset the features dataset directory
   * @param device {@code auto|cpu|gpu|gpu:N}
   * @param configurations the Candle configurations, the primary first
   */
  record Settings(Path dataset, String device, List<Configuration> configurations) {
    Settings {
      configurations = List.copyOf(configurations);
      if (configurations.isEmpty()) {
        throw new IllegalArgumentException("no configuration to evaluate");
      }
    }
  }

  /** Shape of the dataset, with the test images per frequency bucket. */
  record DatasetSummary(
      Path dir,
      int classes,
      int baseClasses,
      int train,
      int test,
      int dim,
      boolean synthetic,
      Map<FrequencyBucket, Integer> testPerBucket) {}

  /**
   * The outcome of one configuration.
   *
   * @param fitSeconds wall time of the fit, preparation included
   * @param scoreImagesPerSecond test images / wall seconds inside {@code FastScorer.score} (null
   *     without test images)
   * @param epochLoss mean loss of each epoch of the head's fit on all the data (empty when the
   *     ADAPTIVE selection gave the head no weight and it was not fitted)
   * @param fitted ADAPTIVE: the model's weights and how they were chosen; null in REFERENCE
   */
  record Outcome(
      Configuration configuration,
      Accuracies accuracies,
      double fitSeconds,
      Double scoreImagesPerSecond,
      List<Double> epochLoss,
      AdaptiveFit.Fitted fitted) {}

  /** The whole report: the primary outcome is {@code candle.get(0)}. */
  record Report(DatasetSummary dataset, String device, Accuracies zeroShot, List<Outcome> candle) {
    Outcome primary() {
      return candle.get(0);
    }
  }

  /** Runs the evaluation; progress lines go to {@code progress}. */
  static Report run(Settings settings, PrintWriter progress) throws IOException {
    Path dir = settings.dataset();
    if (!Files.isDirectory(dir)) {
      throw new UserException(
          Files.exists(dir)
              ? dir
                  + " is a file; --dataset takes a features dataset directory (features.npz, classes.txt)"
              : "dataset directory "
                  + dir
                  + " does not exist; create one with: candle generate --out "
                  + dir);
    }
    Device device = parseDevice(settings.device());
    // everything a person can get wrong is checked before the first progress line, so that
    // such an error is the only line on stderr
    FeaturesDataset data = FeaturesDataset.read(dir);
    CandleFit.TrainingSet training = trainingSet(data);
    DatasetSummary summary = summarize(dir, data);
    progress.printf(
        Locale.ROOT,
        "%s: %d classes (%d base, %d new), D=%d, %d training and %d test images%n",
        dir,
        summary.classes(),
        summary.baseClasses(),
        summary.classes() - summary.baseClasses(),
        summary.dim(),
        summary.train(),
        summary.test());

    Accuracies zeroShot =
        Metrics.measure(
            zeroShotPredictions(data), data.testLabels(), data.baseClasses(), data.trainCounts());
    List<Outcome> outcomes = new ArrayList<>();
    for (Configuration cfg : settings.configurations()) {
      outcomes.add(fitAndScore(data, training, cfg, device, progress));
    }
    return new Report(summary, device.toString(), zeroShot, outcomes);
  }

  static Device parseDevice(String spec) {
    try {
      return Devices.parse(spec);
    } catch (NumberFormatException e) {
      throw new UserException("unknown device '" + spec + "': use auto, cpu, gpu or gpu:N", e);
    }
  }

  private static DatasetSummary summarize(Path dir, FeaturesDataset data) {
    int[] counts = data.trainCounts();
    Map<FrequencyBucket, Integer> perBucket = new EnumMap<>(FrequencyBucket.class);
    for (int y : data.testLabels()) {
      perBucket.merge(FrequencyBucket.of(counts[y]), 1, Integer::sum);
    }
    return new DatasetSummary(
        dir,
        data.numClasses(),
        data.baseClasses(),
        data.trainSize(),
        data.testSize(),
        data.dim(),
        Files.isRegularFile(dir.resolve(SYNTHETIC_MARKER)),
        perBucket);
  }

  /** Zero-shot CLIP: cosine to the text features, over all classes and within each split. */
  static Predictions zeroShotPredictions(FeaturesDataset data) {
    int m = data.testSize();
    int c = data.numClasses();
    int d = data.dim();
    int cb = data.baseClasses();
    int[] all = ZeroShot.predict(data.testFeatures(), m, data.textFeatures(), c, d);
    int[] within = new int[m];
    predictWithinSplit(data, within, true, 0, cb);
    predictWithinSplit(data, within, false, cb, c);
    return new Predictions(all, within);
  }

  /**
   * Fills {@code out} for the test images of one split with the argmax within {@code from..to-1}.
   */
  private static void predictWithinSplit(
      FeaturesDataset data, int[] out, boolean base, int from, int to) {
    int d = data.dim();
    int[] labels = data.testLabels();
    int[] rows =
        java.util.stream.IntStream.range(0, labels.length)
            .filter(i -> (labels[i] < data.baseClasses()) == base)
            .toArray();
    if (rows.length == 0) {
      return;
    }
    float[] images = new float[rows.length * d];
    for (int k = 0; k < rows.length; k++) {
      System.arraycopy(data.testFeatures(), rows[k] * d, images, k * d, d);
    }
    int[] pred =
        ZeroShot.predictWithin(
            images, rows.length, data.textFeatures(), data.numClasses(), d, from, to);
    for (int k = 0; k < rows.length; k++) {
      out[rows[k]] = pred[k];
    }
  }

  /**
   * The training split as a fit's input; the class counts are the training counts (0 for new
   * classes).
   *
   * @throws UserException if the dataset cannot be fitted (no base class, a base class without
   *     training images)
   */
  static CandleFit.TrainingSet trainingSet(FeaturesDataset data) {
    try {
      return data.trainingSet();
    } catch (IllegalArgumentException e) {
      throw new UserException("cannot fit on this dataset: " + e.getMessage(), e);
    }
  }

  private static Outcome fitAndScore(
      FeaturesDataset data,
      CandleFit.TrainingSet training,
      Configuration cfg,
      Device device,
      PrintWriter progress) {
    HyperParameters hp = cfg.hyper();
    int[] counts = data.trainCounts();
    progress.printf(
        Locale.ROOT,
        "fitting %s on %s: %d epochs, batch %d, lr %s, SCALE %s, seed %d%n",
        cfg.key(),
        device,
        hp.epochs(),
        hp.batchSize(),
        hp.learningRate(),
        hp.scale(),
        hp.seed());
    progress.flush();
    long t0 = System.nanoTime();
    CandleFit.Options options =
        CandleFit.Options.defaults().withDevice(device).withProgress(epochPrinter(progress));
    AdaptiveFit.Fitted fitted = null;
    CandleModel model;
    if (hp.isAdaptive()) {
      fitted = AdaptiveFit.fit(training, hp, options, cfg.selection());
      model = fitted.model();
      progress.printf(
          Locale.ROOT,
          "%s weights: %s%n  k, λ, β: %s%n  η: %s%n",
          cfg.key(),
          Reports.weights(model.weights()),
          fitted.prior().decision(),
          fitted.head() != null ? fitted.head().decision() : fitted.headNote());
    } else {
      model = CandleFit.fit(training, hp, options);
    }
    double fitSeconds = (System.nanoTime() - t0) / 1e9;

    int m = data.testSize();
    int d = data.dim();
    float[][] scores = new float[m][];
    long scoringNanos = 0;
    progress.printf(
        Locale.ROOT, "scoring %d test images, each alone (batches of %d)%n", m, SCORE_BATCH);
    progress.flush();
    try (FastScorer scorer = FastScorer.prepare(model, device, FastScorer.DEFAULT_CHUNK)) {
      for (int from = 0; from < m; from += SCORE_BATCH) {
        int to = Math.min(m, from + SCORE_BATCH);
        float[][] batch = new float[to - from][];
        for (int i = from; i < to; i++) {
          batch[i - from] = Arrays.copyOfRange(data.testFeatures(), i * d, (i + 1) * d);
        }
        long s0 = System.nanoTime();
        float[][] out = scorer.score(batch);
        scoringNanos += System.nanoTime() - s0;
        System.arraycopy(out, 0, scores, from, out.length);
      }
    }
    Predictions p = Metrics.fromScores(scores, data.testLabels(), data.baseClasses());
    Accuracies acc = Metrics.measure(p, data.testLabels(), data.baseClasses(), counts);
    Double rate = m == 0 ? null : m / (scoringNanos / 1e9);
    return new Outcome(cfg, acc, fitSeconds, rate, model.stats().epochLoss(), fitted);
  }

  /** "epoch 12/50 loss 3.2100 (0.41 s) [#####.....]" per epoch. */
  static CandleFit.Progress epochPrinter(PrintWriter out) {
    return (epoch, epochs, loss, seconds) -> {
      int width = 20;
      int done = (int) Math.round((double) width * epoch / epochs);
      out.printf(
          Locale.ROOT,
          "epoch %d/%d loss %.4f (%.2f s) [%s%s]%n",
          epoch,
          epochs,
          loss,
          seconds,
          "#".repeat(done),
          ".".repeat(width - done));
      out.flush();
    };
  }
}
