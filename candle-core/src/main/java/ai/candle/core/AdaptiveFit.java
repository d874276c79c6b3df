package ai.candle.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's fit: the ADAPTIVE model with its score weights ({@link ScoreWeights}) chosen on the
 * training data, zero-shot CLIP always a candidate.
 *
 * <ol>
 *   <li>k, λ and β by exact leave-one-out ({@link WeightSelection#selectPrior}: seconds).
 *   <li>η, the head's weight, on a held-out split: a share of the base classes become pseudo-new
 *       (all their images held out) and the classes with two or more images hold out half of them;
 *       the head is fitted on the rest, and each {@code (η, β)} scores the held-out images with the
 *       weights of step 1. η > 0 replaces η = 0 (with its own best β) only when its HM gain beats
 *       the gain's standard error; the final β then moves by the difference between the two best β
 *       of the split.
 *   <li>Only when η > 0 is the head fitted on all the data. Otherwise the model carries the head's
 *       initial parameters, which no score reads.
 * </ol>
 *
 * The head's fit is what costs: step 2 fits it on about half the images, so a fit costs about half
 * of a plain {@link CandleFit#fit} when the head is not chosen and one and a half when it is.
 */
public final class AdaptiveFit {
  private static final Logger LOG = LoggerFactory.getLogger(AdaptiveFit.class);

  private AdaptiveFit() {}

  /**
   * A fitted model and how its weights were chosen.
   *
   * @param model the model, its weights set
   * @param prior step 1's selection (k, λ, β)
   * @param head step 2's selection (η; its estimates are on the split's held-out images), or null
   *     when it was not run (no head weights to try, or too few classes to split)
   * @param headNote why step 2 did not run, or null
   * @param headFitted whether the head was fitted on all the data (η > 0)
   * @param seconds wall time of the whole fit, selection included
   */
  public record Fitted(
      CandleModel model,
      WeightSelection.Result prior,
      WeightSelection.Result head,
      String headNote,
      boolean headFitted,
      double seconds) {}

  /** Fits with the default selection settings. */
  public static Fitted fit(
      CandleFit.TrainingSet data, HyperParameters hp, CandleFit.Options options) {
    return fit(data, hp, options, WeightSelection.Settings.defaults());
  }

  /**
   * Fits an ADAPTIVE model and chooses its weights.
   *
   * @throws IllegalArgumentException if {@code hp} is not ADAPTIVE
   */
  public static Fitted fit(
      CandleFit.TrainingSet data,
      HyperParameters hp,
      CandleFit.Options options,
      WeightSelection.Settings settings) {
    if (!hp.isAdaptive()) {
      throw new IllegalArgumentException(
          "weights are chosen for the ADAPTIVE mode; REFERENCE fits with CandleFit.fit");
    }
    long start = System.nanoTime();
    CandleFit.TrainingSet capped = CandleFit.capPerClass(data, hp.maxPerClass(), hp.seed());
    float[] visual = CandleFit.visualPrototypes(capped);
    double scatter = CandleFit.imageScatter(capped, visual);
    WeightSelection.Result prior =
        WeightSelection.selectPrior(capped, hp.logitScale(), scatter, settings);
    LOG.debug("prior weights {}: {}", prior.weights(), prior.decision());
    ScoreWeights weights = prior.weights();
    WeightSelection.Result head = null;
    String headNote = null;
    if (settings.headWeights().length == 0) {
      headNote = "no head weights to try";
    } else {
      Split split = Split.of(capped, settings);
      if (split == null) {
        headNote = "too few classes to hold some out for the head";
      } else {
        head = selectHead(split, hp, options, settings, weights);
        if (head.weights().usesHead()) {
          weights = head.weights();
        }
      }
    }
    CandleModel model;
    boolean headFitted = weights.usesHead();
    if (headFitted) {
      model = CandleFit.fit(data, hp, options).withWeights(weights);
    } else {
      model = CandleFit.prototypesOnly(data, hp, options.device()).withWeights(weights);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Fitted(model, prior, head, headNote, headFitted, seconds);
  }

  /**
   * A warm-started refit: what is cheap is redone, what costs is continued. The visual prototypes,
   * class counts and within-class scatter (all the Gaussian term reads) come from {@code data}, and
   * k, λ and β are chosen again by exact leave-one-out (step 1 of {@link #fit}: seconds); the
   * head's weight η and the β shift it brought are kept from {@code selected} (the last full fit),
   * since choosing η means fitting the head on a split. The head continues from {@code serving}'s
   * parameters ({@link CandleFit#warmStart}) for {@code steps} steps over the fresh rows plus a
   * replay ({@link CandleFit#continueFit}), and only when η > 0: otherwise no score reads it and it
   * is carried as it starts. A full refit must still run now and then (the caller's schedule) to
   * choose η anew.
   *
   * @param serving the version being served (its parameters are where the head continues from)
   * @param selected the last full fit, whose η (and β shift) the refit keeps
   * @param fresh rows of {@code data} that the serving version has not learnt from
   * @param steps the step budget of the head
   * @param settings the prior's selection; null keeps {@code selected}'s weights as they are
   * @throws IllegalArgumentException if {@code hp} is not ADAPTIVE
   */
  public static Fitted warm(
      CandleFit.TrainingSet data,
      CandleModel serving,
      Fitted selected,
      int[] fresh,
      int steps,
      HyperParameters hp,
      CandleFit.Options options,
      WeightSelection.Settings settings) {
    if (!hp.isAdaptive()) {
      throw new IllegalArgumentException("warm starts are for the ADAPTIVE mode");
    }
    long start = System.nanoTime();
    CandleFit.TrainingSet capped = CandleFit.capPerClass(data, hp.maxPerClass(), hp.seed());
    if (capped != data) {
      // capping drops rows, so the fresh row numbers no longer apply: treat every kept row as fresh
      fresh = CandleFit.identity(capped.size());
    }
    ScoreWeights kept = selected.model().weights();
    ScoreWeights weights = kept;
    WeightSelection.Result prior = selected.prior();
    if (settings != null && selected.prior() != null) {
      float[] visual = CandleFit.visualPrototypes(capped);
      prior =
          WeightSelection.selectPrior(
              capped, hp.logitScale(), CandleFit.imageScatter(capped, visual), settings);
      double shift = kept.baseOffset() - selected.prior().weights().baseOffset();
      weights =
          kept.usesHead()
              ? prior
                  .weights()
                  .withHeadWeight(kept.headWeight())
                  .withBaseOffset(prior.weights().baseOffset() + shift)
              : prior.weights();
    }
    CandleParameters from = CandleFit.warmStart(serving, capped, hp);
    boolean headUsed = weights.usesHead();
    CandleModel model =
        CandleFit.continueFit(capped, from, fresh, headUsed ? steps : 0, hp, options)
            .withWeights(weights);
    double seconds = (System.nanoTime() - start) / 1e9;
    String note =
        String.format(
            Locale.ROOT,
            "warm start: η kept from the last full fit, %s",
            headUsed
                ? model.stats().epochLoss().size()
                    + " head steps over "
                    + fresh.length
                    + " fresh samples"
                : "head unused (η = 0), not stepped");
    return new Fitted(model, prior, selected.head(), note, headUsed, seconds);
  }

  /** Step 2: η (and the β shift it brings) on the split, the prior weights fixed. */
  static WeightSelection.Result selectHead(
      Split split,
      HyperParameters hp,
      CandleFit.Options options,
      WeightSelection.Settings settings,
      ScoreWeights prior) {
    CandleModel fitted =
        CandleFit.fit(split.training(), hp, options.withInitial(null).withEpochOrder(null));
    int c = fitted.numClasses();
    int cb = fitted.baseClasses();
    float[][] images = split.images();
    ScoreWeights noHead = new ScoreWeights(prior.textWeight(), prior.priorWeight(), 0, 0);
    float[] withoutHead = flat(score(fitted.withWeights(noHead), images), c);
    float[] withHead = flat(score(fitted.withWeights(noHead.withHeadWeight(1)), images), c);
    float[] head = new float[images.length * cb];
    for (int i = 0; i < images.length; i++) {
      for (int j = 0; j < cb; j++) {
        head[i * cb + j] = withHead[i * c + j] - withoutHead[i * c + j];
      }
    }
    WeightSelection.Grid grid =
        new WeightSelection.Grid(split.held(), settings.bootstrap(), settings.seed());
    double s = hp.logitScale();
    // the reference: no head, with the best offset over all classes (what step 1 chose stays the
    // prior)
    WeightSelection.Candidate reference = null;
    List<WeightSelection.Candidate> candidates = new ArrayList<>();
    for (double beta : settings.baseOffsets()) {
      WeightSelection.Candidate cand =
          grid.scoreModel(
              withoutHead, head, c, cb, split.modelLabels(), noHead.withBaseOffset(beta * s));
      if (reference == null || cand.estimate().hm() > reference.estimate().hm() + 1e-12) {
        reference = cand;
      }
    }
    candidates.add(reference);
    for (double eta : settings.headWeights()) {
      for (double beta : settings.baseOffsets()) {
        candidates.add(
            grid.scoreModel(
                withoutHead,
                head,
                c,
                cb,
                split.modelLabels(),
                noHead.withHeadWeight(eta).withBaseOffset(beta * s)));
      }
    }
    WeightSelection.Result r =
        WeightSelection.decide(
            grid,
            candidates,
            String.format(
                Locale.ROOT,
                "head fitted on %d of %d images, %d classes held out as new",
                split.training().size(),
                split.totalImages(),
                split.pseudoNew()));
    if (!r.weights().usesHead()) {
      return new WeightSelection.Result(
          prior,
          r.chosen(),
          r.zeroShot(),
          r.gain(),
          r.standardError(),
          r.candidates(),
          r.baseLikeClasses(),
          r.newLikeClasses(),
          r.images(),
          r.decision());
    }
    double shift = r.weights().baseOffset() - reference.weights().baseOffset();
    ScoreWeights chosen =
        prior.withHeadWeight(r.weights().headWeight()).withBaseOffset(prior.baseOffset() + shift);
    return new WeightSelection.Result(
        chosen,
        r.chosen(),
        r.zeroShot(),
        r.gain(),
        r.standardError(),
        r.candidates(),
        r.baseLikeClasses(),
        r.newLikeClasses(),
        r.images(),
        r.decision());
  }

  private static float[][] score(CandleModel model, float[][] images) {
    try (FastScorer scorer = FastScorer.prepare(model)) {
      return scorer.score(images);
    }
  }

  private static float[] flat(float[][] rows, int width) {
    float[] out = new float[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * width, width);
    }
    return out;
  }

  /**
   * The head's validation split of a training set.
   *
   * @param training what the head is fitted on: the kept base classes first, then the pseudo-new
   *     and the real new classes, text only
   * @param held the held-out images (rows of the original set, labels its base classes)
   * @param modelLabels each held-out image's class in {@code training}'s order
   * @param pseudoNew base classes held out whole
   * @param totalImages images of the original set
   */
  record Split(
      CandleFit.TrainingSet training,
      WeightSelection.HeldOut held,
      int[] modelLabels,
      float[][] images,
      int pseudoNew,
      int totalImages) {

    /** The split, or null when it would leave fewer than two classes of a kind. */
    static Split of(CandleFit.TrainingSet data, WeightSelection.Settings settings) {
      int cb = data.baseClasses();
      int d = data.dim();
      List<List<Integer>> byClass = new ArrayList<>();
      for (int j = 0; j < cb; j++) {
        byClass.add(new ArrayList<>());
      }
      for (int i = 0; i < data.size(); i++) {
        byClass.get(data.labels()[i]).add(i);
      }
      SplittableRandom random = new SplittableRandom(settings.seed() * 31 + 17);
      int[] classOrder = shuffled(cb, random);
      int pseudo = (int) Math.round(cb * settings.pseudoNewShare());
      boolean[] isPseudo = new boolean[cb];
      for (int t = 0; t < pseudo; t++) {
        isPseudo[classOrder[t]] = true;
      }
      List<Integer> keptClasses = new ArrayList<>();
      List<Integer> trainRows = new ArrayList<>();
      List<Integer> heldRows = new ArrayList<>();
      List<Boolean> heldBase = new ArrayList<>();
      int baseLikeClasses = 0;
      for (int j = 0; j < cb; j++) {
        List<Integer> rows = byClass.get(j);
        if (isPseudo[j]) {
          for (int r : rows.subList(0, Math.min(rows.size(), settings.maxHeldOutPerClass()))) {
            heldRows.add(r);
            heldBase.add(false);
          }
          continue;
        }
        keptClasses.add(j);
        int[] order = rows.stream().mapToInt(Integer::intValue).toArray();
        int[] perm = shuffled(order.length, random);
        int out = Math.min(order.length / 2, settings.maxHeldOutPerClass());
        if (out > 0) {
          baseLikeClasses++;
        }
        for (int t = 0; t < order.length; t++) {
          int r = order[perm[t]];
          if (t < out) {
            heldRows.add(r);
            heldBase.add(true);
          } else {
            trainRows.add(r);
          }
        }
      }
      if (keptClasses.size() < 2 || pseudo < 2 || baseLikeClasses < 2) {
        return null;
      }
      // model order: the kept base classes, then the pseudo-new ones, then the real new ones
      int c = data.numClasses();
      int[] modelIndex = new int[c];
      List<Integer> order = new ArrayList<>(keptClasses);
      for (int j = 0; j < cb; j++) {
        if (isPseudo[j]) {
          order.add(j);
        }
      }
      for (int j = cb; j < c; j++) {
        order.add(j);
      }
      for (int t = 0; t < c; t++) {
        modelIndex[order.get(t)] = t;
      }
      trainRows.sort(null);
      float[] features = new float[trainRows.size() * d];
      int[] labels = new int[trainRows.size()];
      float[] counts = new float[c];
      for (int t = 0; t < trainRows.size(); t++) {
        int r = trainRows.get(t);
        System.arraycopy(data.features(), r * d, features, t * d, d);
        labels[t] = modelIndex[data.labels()[r]];
        counts[labels[t]]++;
      }
      List<String> names = new ArrayList<>(c);
      float[] text = new float[c * d];
      for (int t = 0; t < c; t++) {
        names.add(data.classNames().get(order.get(t)));
        System.arraycopy(data.textFeatures(), order.get(t) * d, text, t * d, d);
      }
      CandleFit.TrainingSet training =
          new CandleFit.TrainingSet(features, labels, d, names, keptClasses.size(), text, counts);
      int m = heldRows.size();
      int[] rows = new int[m];
      int[] heldLabels = new int[m];
      int[] modelLabels = new int[m];
      boolean[] baseLike = new boolean[m];
      boolean[] newLike = new boolean[m];
      float[][] images = new float[m][];
      for (int i = 0; i < m; i++) {
        rows[i] = heldRows.get(i);
        heldLabels[i] = data.labels()[rows[i]];
        modelLabels[i] = modelIndex[heldLabels[i]];
        baseLike[i] = heldBase.get(i);
        newLike[i] = !baseLike[i];
        images[i] = Arrays.copyOfRange(data.features(), rows[i] * d, (rows[i] + 1) * d);
      }
      WeightSelection.HeldOut held =
          new WeightSelection.HeldOut(
              rows, heldLabels, baseLike, newLike, cb, c, baseLikeClasses, pseudo);
      return new Split(training, held, modelLabels, images, pseudo, data.size());
    }

    private static int[] shuffled(int n, SplittableRandom random) {
      int[] a = new int[n];
      for (int i = 0; i < n; i++) {
        a[i] = i;
      }
      for (int i = n - 1; i > 0; i--) {
        int r = random.nextInt(i + 1);
        int t = a[i];
        a[i] = a[r];
        a[r] = t;
      }
      return a;
    }
  }
}
