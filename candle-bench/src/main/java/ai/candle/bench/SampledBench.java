package ai.candle.bench;

import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.CandleParameters;
import ai.candle.core.FastScorer;
import ai.candle.core.HyperParameters;
import ai.candle.core.ScoreWeights;
import ai.candle.core.io.FeaturesDataset;
import ai.djl.Device;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;

/**
 * Quality of sampled-class training (issue 20): the Candle head fitted with the authors' full
 * attention and with sampled-class steps ({@code CandleFit.sampledStep}), same data, epochs and
 * seed, compared by the head's own all-class HM.
 *
 * <p>The head is fitted whatever it would earn ({@link CandleFit#fit}, not the adaptive selection,
 * which usually gives it weight 0), in the ADAPTIVE mode's head (virtual prototypes in the image
 * modality, raw text features on the text side), and scored by its test-phase scores alone, {@code
 * Lvt + Lvv}, each image as a batch of one, argmax over every class.
 */
public final class SampledBench {
  private SampledBench() {}

  /** Base, new and harmonic-mean all-class accuracy, fractions. */
  public record Accuracy(double base, double novel, double hm) {
    @Override
    public String toString() {
      return String.format(
          Locale.ROOT, "base %.2f%%, new %.2f%%, HM %.2f%%", 100 * base, 100 * novel, 100 * hm);
    }
  }

  /**
   * Fits the head on {@code ds}'s training split with full attention and with sampled classes
   * ({@code others} drawn per step), {@code hp.epochs()} epochs each, and prints the head's
   * all-class accuracy of both (and of the unfitted head) with the fits' times.
   */
  public static void quality(
      FeaturesDataset ds, HyperParameters hp, int others, Device device, PrintWriter out) {
    CandleFit.TrainingSet data = ds.trainingSet();
    out.printf(
        Locale.ROOT,
        "%d classes (%d base), %d training images, %d test images, %d epochs, batch %d, lr %g,"
            + " seed %d, m = %d%n",
        data.numClasses(),
        data.baseClasses(),
        data.size(),
        ds.testLabels().length,
        hp.epochs(),
        hp.batchSize(),
        hp.learningRate(),
        hp.seed(),
        others);
    out.flush();
    CandleModel initial = CandleFit.prototypesOnly(data, hp, device);
    out.printf(Locale.ROOT, "unfitted head: %s%n", headAccuracy(initial, ds));
    out.flush();
    for (boolean sampled : new boolean[] {false, true}) {
      HyperParameters h =
          sampled ? hp.withSampledAbove(1).withSampledOthers(others) : hp.withSampledAbove(0);
      String name = sampled ? "sampled (m = " + others + ")" : "full attention";
      CandleModel model =
          CandleFit.fit(
              data,
              h,
              CandleFit.Options.defaults()
                  .withDevice(device)
                  .withProgress(
                      (e, total, loss, secs) -> {
                        out.printf(
                            Locale.ROOT,
                            "  %s epoch %d/%d loss %.4f %.1f s%n",
                            name,
                            e,
                            total,
                            loss,
                            secs);
                        out.flush();
                      }));
      double steps = Math.ceil(data.size() / (double) hp.batchSize()) * hp.epochs();
      out.printf(
          Locale.ROOT,
          "%s: %s; fit %.1f s (%.3f s/step)%n",
          name,
          headAccuracy(model, ds),
          model.stats().totalSeconds(),
          model.stats().totalSeconds() / steps);
      out.flush();
    }
  }

  /** The head's own all-class accuracy: scores {@code Lvt + Lvv}, each image alone. */
  public static Accuracy headAccuracy(CandleModel model, FeaturesDataset ds) {
    CandleModel head = headOnly(model);
    int d = ds.dim();
    int m = ds.testLabels().length;
    int[] hits = new int[2];
    int[] total = new int[2];
    try (FastScorer scorer = FastScorer.prepare(head)) {
      for (int from = 0; from < m; from += 256) {
        int to = Math.min(m, from + 256);
        float[][] batch = new float[to - from][];
        for (int i = from; i < to; i++) {
          batch[i - from] = Arrays.copyOfRange(ds.testFeatures(), i * d, (i + 1) * d);
        }
        float[][] scores = scorer.score(batch);
        for (int i = from; i < to; i++) {
          // the fit keeps the dataset's class order: base classes first
          int y = ds.testLabels()[i];
          int split = y < ds.baseClasses() ? 0 : 1;
          total[split]++;
          if (FastScorer.topK(scores[i - from], 1)[0] == y) {
            hits[split]++;
          }
        }
      }
    }
    double b = total[0] == 0 ? 0 : (double) hits[0] / total[0];
    double n = total[1] == 0 ? 0 : (double) hits[1] / total[1];
    return new Accuracy(b, n, b + n == 0 ? 0 : 2 * b * n / (b + n));
  }

  /**
   * A model whose scores are {@code model}'s head's test-phase scores whatever its mode: every
   * class as a base class whose prototype is the fitted one ({@code [visual; virtual]}), the text
   * side its raw text feature (what an ADAPTIVE head attends to; a REFERENCE head's new classes
   * would read their virtual prototypes there instead), scored in REFERENCE mode, which is the head
   * alone.
   */
  static CandleModel headOnly(CandleModel model) {
    if (!model.hyper().isAdaptive()) {
      return model;
    }
    CandleParameters p = model.params();
    int c = model.numClasses();
    CandleParameters shared =
        new CandleParameters(
            model.dim(),
            0,
            p.projImage(),
            p.projText(),
            new float[0],
            p.attnInProjWeight(),
            p.attnInProjBias(),
            p.attnOutProjWeight(),
            p.attnOutProjBias(),
            p.normWeight(),
            p.normBias(),
            p.ratio());
    return new CandleModel(
        model.classNames(),
        c,
        model.dim(),
        model.textFeatures(),
        model.prototypes(),
        model.classCounts(),
        shared,
        model.hyper().withMode(HyperParameters.Mode.REFERENCE),
        model.stats(),
        ScoreWeights.ZERO);
  }
}
