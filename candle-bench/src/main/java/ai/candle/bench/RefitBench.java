package ai.candle.bench;

import ai.candle.core.AdaptiveFit;
import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.CandleParameters;
import ai.candle.core.FastScorer;
import ai.candle.core.GaussianPrior;
import ai.candle.core.HyperParameters;
import ai.candle.core.WeightSelection;
import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip;
import ai.djl.Device;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmarks of a refit (issue 20) on the realistic synthetic generator ({@link SyntheticClip}):
 *
 * <ul>
 *   <li>{@link #profile}: where a full {@link AdaptiveFit} spends its time (closed-form parts, the
 *       leave-one-out prior selection, the head's selection on a split, the final head fit), the
 *       head's epochs timed for a few and extrapolated to the configured count, and what a
 *       warm-started refit costs instead.
 *   <li>{@link #quality}: images arrive in stages; after each, a warm-started refit from the
 *       previous version is compared with a full refit on the same data by all-class HM.
 * </ul>
 */
public final class RefitBench {
  private RefitBench() {}

  /**
   * Profiles a full refit and a warm one at {@code classes} classes ({@code newClasses} of them
   * text only) with {@code shots} images per base class at D = 512. The head's fits run {@code
   * timedEpochs} epochs, timed, and are extrapolated to {@code hp.epochs()}.
   */
  public static void profile(
      int classes,
      int newClasses,
      int shots,
      int timedEpochs,
      int warmSteps,
      HyperParameters hp,
      Device device,
      PrintWriter out) {
    FeaturesDataset ds =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(classes, classes - newClasses)
                .withShots(shots)
                .withProfile(SyntheticClip.ShotProfile.FIXED)
                .withTestPerClass(1));
    CandleFit.TrainingSet data = ds.trainingSet();
    out.printf(
        Locale.ROOT,
        "data: C=%d (%d new) D=%d N=%d%n",
        data.numClasses(),
        newClasses,
        data.dim(),
        data.size());
    out.flush();
    CandleFit.Options opts = CandleFit.Options.defaults().withDevice(device);

    long t0 = System.nanoTime();
    CandleModel closed = CandleFit.prototypesOnly(data, hp, device);
    double closedSecs = secs(t0);
    t0 = System.nanoTime();
    GaussianPrior.of(closed);
    double gaussSecs = secs(t0);
    t0 = System.nanoTime();
    WeightSelection.Result prior =
        WeightSelection.selectPrior(
            data,
            hp.logitScale(),
            closed.stats().imageScatter(),
            WeightSelection.Settings.defaults());
    double priorSecs = secs(t0);
    out.printf(
        Locale.ROOT, "closed form (visual prototypes, counts, scatter): %.2f s%n", closedSecs);
    out.printf(Locale.ROOT, "Gaussian term preparation (GaussianPrior.of): %.2f s%n", gaussSecs);
    out.printf(
        Locale.ROOT,
        "prior selection (k, lambda, beta by leave-one-out): %.2f s -> %s%n",
        priorSecs,
        prior.weights());
    out.flush();

    // the whole adaptive fit with the head's fits shortened; its epochs are reported by the
    // callbacks
    List<double[]> epochs = new ArrayList<>();
    HyperParameters shortHp = hp.withEpochs(timedEpochs);
    t0 = System.nanoTime();
    AdaptiveFit.Fitted fitted =
        AdaptiveFit.fit(
            data,
            shortHp,
            opts.withProgress(
                (e, total, loss, s) -> {
                  epochs.add(new double[] {e, s});
                  out.printf(Locale.ROOT, "  head epoch %d/%d %.1f s%n", e, total, s);
                  out.flush();
                }),
            WeightSelection.Settings.defaults());
    double adaptiveSecs = secs(t0);
    int splitEpochs = Math.min(timedEpochs, epochs.size());
    double splitEpochSecs =
        epochs.subList(0, splitEpochs).stream().mapToDouble(a -> a[1]).sum() / splitEpochs;
    double finalEpochSecs =
        epochs.size() > splitEpochs
            ? epochs.subList(splitEpochs, epochs.size()).stream().mapToDouble(a -> a[1]).sum()
                / (epochs.size() - splitEpochs)
            : 0;
    double epochSecs = epochs.stream().mapToDouble(a -> a[1]).sum();
    double rest = adaptiveSecs - epochSecs;
    out.printf(
        Locale.ROOT,
        "adaptive fit with %d head epochs: %.1f s (head epochs %.1f s, the rest %.1f s: the"
            + " selection, the split, scoring the held-out images)%n",
        timedEpochs,
        adaptiveSecs,
        epochSecs,
        rest);
    out.printf(
        Locale.ROOT,
        "head selection on the split: %.1f s per epoch -> %d epochs ~ %.0f s (extrapolated)%n",
        splitEpochSecs,
        hp.epochs(),
        splitEpochSecs * hp.epochs());
    out.printf(
        Locale.ROOT,
        "head chosen: %s (weights %s)%s%n",
        fitted.headFitted(),
        fitted.model().weights(),
        fitted.headFitted()
            ? String.format(
                Locale.ROOT,
                "; final head fit %.1f s per epoch -> %d epochs ~ %.0f s",
                finalEpochSecs,
                hp.epochs(),
                finalEpochSecs * hp.epochs())
            : "");
    double fullEstimate = rest + splitEpochSecs * hp.epochs() + finalEpochSecs * hp.epochs();
    out.printf(
        Locale.ROOT,
        "full refit at %d epochs ~ %.0f s (extrapolated)%n",
        hp.epochs(),
        fullEstimate);
    out.flush();

    // a warm refit: 1% of the images fresh; the head stepped as if it had earned a weight
    int[] fresh = new int[Math.max(1, data.size() / 100)];
    for (int i = 0; i < fresh.length; i++) {
      fresh[i] = i * 100;
    }
    AdaptiveFit.Fitted selected =
        new AdaptiveFit.Fitted(
            fitted.model(),
            fitted.prior(),
            fitted.head(),
            fitted.headNote(),
            fitted.headFitted(),
            0);
    t0 = System.nanoTime();
    AdaptiveFit.Fitted warm =
        AdaptiveFit.warm(
            data,
            fitted.model(),
            selected,
            fresh,
            warmSteps,
            hp,
            opts,
            WeightSelection.Settings.defaults());
    out.printf(Locale.ROOT, "warm refit as chosen (%s): %.2f s%n", warm.headNote(), secs(t0));
    t0 = System.nanoTime();
    CandleParameters start = CandleFit.warmStart(fitted.model(), data, hp);
    CandleModel stepped = CandleFit.continueFit(data, start, fresh, warmSteps, hp, opts);
    out.printf(
        Locale.ROOT,
        "warm refit with the head stepped: %d steps over %d fresh samples plus replay: %.1f s"
            + " (%.2f s per step)%n",
        warmSteps,
        fresh.length,
        secs(t0),
        stepped.stats().epochSeconds().stream()
            .mapToDouble(Double::doubleValue)
            .average()
            .orElse(0));
    out.flush();
  }

  /**
   * Warm against full refits as images arrive. Stage 0 has half of each base class's images (at
   * least one) and none of every tenth base class (text only until its images come); each of {@code
   * stages} later stages brings an equal share of the rest. Stage 0 is a full refit; each later one
   * is warm-started from the previous warm version (the weights of stage 0 kept) and compared with
   * a full refit on the same data.
   *
   * @return the final stage's all-class HM: warm (k, λ, β reselected), full, warm (weights kept)
   */
  public static double[] quality(
      FeaturesDataset ds,
      int stages,
      int warmSteps,
      HyperParameters hp,
      WeightSelection.Settings selection,
      Device device,
      PrintWriter out) {
    int cb = ds.baseClasses();
    int d = ds.dim();
    List<List<Integer>> rows = new ArrayList<>();
    for (int j = 0; j < cb; j++) {
      rows.add(new ArrayList<>());
    }
    for (int i = 0; i < ds.trainLabels().length; i++) {
      rows.get(ds.trainLabels()[i]).add(i);
    }
    // arrival stage of each training row
    int[] stageOf = new int[ds.trainLabels().length];
    for (int j = 0; j < cb; j++) {
      List<Integer> r = rows.get(j);
      int initial = j % 10 == 9 ? 0 : Math.max(1, r.size() / 2);
      for (int t = 0; t < r.size(); t++) {
        stageOf[r.get(t)] =
            t < initial ? 0 : 1 + (t - initial) * stages / Math.max(1, r.size() - initial);
      }
    }
    CandleFit.Options opts = CandleFit.Options.defaults().withDevice(device);
    AdaptiveFit.Fitted selected = null;
    CandleModel kept = null;
    CandleModel reselected = null;
    double[] last = null;
    for (int s = 0; s <= stages; s++) {
      Staged st = staged(ds, stageOf, s);
      long t0 = System.nanoTime();
      AdaptiveFit.Fitted full = AdaptiveFit.fit(st.data, hp, opts, selection);
      double fullSecs = secs(t0);
      double fullHm = allClassHm(full.model(), ds);
      if (s == 0) {
        selected = full;
        kept = full.model();
        reselected = full.model();
        out.printf(
            Locale.ROOT,
            "stage 0: N=%d base=%d full refit HM %.2f (%.1f s, weights %s)%n",
            st.data.size(),
            st.data.baseClasses(),
            100 * fullHm,
            fullSecs,
            full.model().weights());
        out.flush();
        continue;
      }
      // warm, every weight kept from stage 0
      t0 = System.nanoTime();
      kept = AdaptiveFit.warm(st.data, kept, selected, st.fresh, warmSteps, hp, opts, null).model();
      double keptSecs = secs(t0);
      double keptHm = allClassHm(kept, ds);
      // warm, k, λ, β chosen again by leave-one-out (what the trainer does), η kept
      t0 = System.nanoTime();
      reselected =
          AdaptiveFit.warm(st.data, reselected, selected, st.fresh, warmSteps, hp, opts, selection)
              .model();
      double reSecs = secs(t0);
      double reHm = allClassHm(reselected, ds);
      out.printf(
          Locale.ROOT,
          "stage %d: N=%d base=%d fresh=%d | full HM %.2f (%.1f s, %s) | warm, weights kept"
              + " HM %.2f (%.2f s, %+.2f) | warm, k/λ/β reselected HM %.2f (%.2f s, %+.2f, %s)%n",
          s,
          st.data.size(),
          st.data.baseClasses(),
          st.fresh.length,
          100 * fullHm,
          fullSecs,
          brief(full.model().weights()),
          100 * keptHm,
          keptSecs,
          100 * (keptHm - fullHm),
          100 * reHm,
          reSecs,
          100 * (reHm - fullHm),
          brief(reselected.weights()));
      out.flush();
      last = new double[] {reHm, fullHm, keptHm};
    }
    return last;
  }

  private static String brief(ai.candle.core.ScoreWeights w) {
    return String.format(
        Locale.ROOT,
        "text %.2f prior %.2f head %.2f offset %.2f",
        w.textWeight(),
        w.priorWeight(),
        w.headWeight(),
        w.baseOffset());
  }

  private record Staged(CandleFit.TrainingSet data, int[] fresh) {}

  /** The training set of the rows arrived by stage {@code s}; fresh rows are those of stage s. */
  private static Staged staged(FeaturesDataset ds, int[] stageOf, int s) {
    int d = ds.dim();
    int c = ds.numClasses();
    int[] labels = ds.trainLabels();
    int[] count = new int[c];
    for (int i = 0; i < labels.length; i++) {
      if (stageOf[i] <= s) {
        count[labels[i]]++;
      }
    }
    // base classes (with images) first in the dataset's order, then the text-only ones
    List<Integer> order = new ArrayList<>();
    for (int j = 0; j < c; j++) {
      if (count[j] > 0) {
        order.add(j);
      }
    }
    int base = order.size();
    for (int j = 0; j < c; j++) {
      if (count[j] == 0) {
        order.add(j);
      }
    }
    int[] position = new int[c];
    for (int t = 0; t < c; t++) {
      position[order.get(t)] = t;
    }
    int n = Arrays.stream(count).sum();
    float[] f = new float[n * d];
    int[] y = new int[n];
    List<Integer> fresh = new ArrayList<>();
    int k = 0;
    for (int i = 0; i < labels.length; i++) {
      if (stageOf[i] <= s) {
        System.arraycopy(ds.trainFeatures(), i * d, f, k * d, d);
        y[k] = position[labels[i]];
        if (stageOf[i] == s) {
          fresh.add(k);
        }
        k++;
      }
    }
    List<String> names = new ArrayList<>();
    float[] text = new float[c * d];
    float[] counts = new float[c];
    for (int t = 0; t < c; t++) {
      names.add(ds.classNames().get(order.get(t)));
      System.arraycopy(ds.textFeatures(), order.get(t) * d, text, t * d, d);
      counts[t] = count[order.get(t)];
    }
    return new Staged(
        new CandleFit.TrainingSet(f, y, d, names, base, text, counts),
        fresh.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * All-class harmonic mean: every test image's prediction among all classes; base accuracy over
   * the dataset's base classes' images, new over its new classes' (the dataset's split, whatever
   * the model has seen).
   */
  static double allClassHm(CandleModel model, FeaturesDataset ds) {
    Map<String, Integer> column = new HashMap<>();
    for (int j = 0; j < model.numClasses(); j++) {
      column.put(model.classNames().get(j), j);
    }
    int d = ds.dim();
    int m = ds.testLabels().length;
    int[] hits = new int[2];
    int[] total = new int[2];
    try (FastScorer scorer = FastScorer.prepare(model)) {
      for (int from = 0; from < m; from += 256) {
        int to = Math.min(m, from + 256);
        float[][] batch = new float[to - from][];
        for (int i = from; i < to; i++) {
          batch[i - from] = Arrays.copyOfRange(ds.testFeatures(), i * d, (i + 1) * d);
        }
        float[][] scores = scorer.score(batch);
        for (int i = from; i < to; i++) {
          int y = ds.testLabels()[i];
          int split = y < ds.baseClasses() ? 0 : 1;
          float[] row = scores[i - from];
          int best = 0;
          for (int j = 1; j < row.length; j++) {
            if (row[j] > row[best]) {
              best = j;
            }
          }
          total[split]++;
          if (best == column.get(ds.classNames().get(y))) {
            hits[split]++;
          }
        }
      }
    }
    double b = total[0] == 0 ? 0 : (double) hits[0] / total[0];
    double n = total[1] == 0 ? 0 : (double) hits[1] / total[1];
    return b + n == 0 ? 0 : 2 * b * n / (b + n);
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
