package ai.candle.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Chooses the ADAPTIVE score's weights ({@link ScoreWeights}) on the training data, zero-shot CLIP
 * always a candidate: the image-evidence term's text weight k and weight λ and the base-class
 * offset β here, by exact leave-one-out; the head's weight η in {@link AdaptiveFit}, on a held-out
 * split.
 *
 * <h2>What is estimated</h2>
 *
 * A deployed model ranks each image against all classes; its quality is the harmonic mean (HM) of
 * its accuracy on base classes (with images) and on new classes (text only). Both are estimated
 * from the training images, with every other class exactly as the deployed model has it:
 *
 * <ul>
 *   <li><b>Base-like</b>: an image of a class with {@code n ≥ 2} images, scored with that class's
 *       prototype and count computed without it ({@link GaussianPrior#leaveOneOut}), every other
 *       class as fitted. Its class keeps {@code n − 1} images, as close to the deployment's {@code
 *       n} as the data allow.
 *   <li><b>New-like</b> (pseudo-new classes): an image scored with its own class text-only, as a
 *       new class is (its score is zero-shot CLIP's), every other class as fitted.
 * </ul>
 *
 * Accuracies are class-balanced (the mean over classes of each class's accuracy), as the HM over a
 * test set with the same images per class is. The fit's global quantities (the Gaussian term's
 * centre, text map and scatter) are kept from the whole data: one image moves them little, and
 * refitting them per image would cost a fit per image. At most {@link
 * Settings#maxHeldOutPerClass()} images per class are scored, so the cost stays bounded when
 * classes have many images.
 *
 * <h2>The choice</h2>
 *
 * Every candidate {@code (k, λ, β)} with λ > 0 is scored against zero-shot CLIP ({@code λ = η = β =
 * 0}). The best candidate replaces zero-shot only when the gain of choosing it exceeds the gain's
 * standard error (a one-standard-error rule towards zero-shot). The gain is measured on classes the
 * choice was not made on ({@link #decide}): with few images per class the estimates differ by less
 * than their noise, and the best of a few hundred noisy estimates looks better than it is. Ties go
 * to zero-shot, then to the smaller λ, the smaller |β| and the larger k (the candidates' order).
 * Fewer than two classes of either kind and nothing is chosen.
 */
public final class WeightSelection {

  private WeightSelection() {}

  /**
   * The candidates and budgets.
   *
   * @param textWeights candidate k (each > 0)
   * @param priorWeights candidate λ (each > 0; zero-shot is always a candidate besides)
   * @param headWeights candidate η (each > 0), tried by {@link AdaptiveFit}
   * @param baseOffsets candidate β in cosine units (multiplied by the logit scale s)
   * @param maxHeldOutPerClass at most this many images of a class are scored
   * @param bootstrap bootstrap draws for the standard error
   * @param pseudoNewShare share of the base classes {@link AdaptiveFit}'s split holds out as new
   * @param seed seed of the bootstrap, the image sample and the split
   */
  public record Settings(
      double[] textWeights,
      double[] priorWeights,
      double[] headWeights,
      double[] baseOffsets,
      int maxHeldOutPerClass,
      int bootstrap,
      double pseudoNewShare,
      long seed) {

    /**
     * k from "text worth half an image" to "worth eight"; λ over two decades; η up to the head's
     * own scale; β within ±0.08 of cosine (a few logits), finer near 0.
     */
    public static Settings defaults() {
      return new Settings(
          new double[] {8, 2, 0.5},
          new double[] {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1},
          new double[] {0.1, 0.2, 0.5, 1},
          new double[] {0, -0.005, 0.005, -0.01, 0.01, -0.02, 0.02, -0.03, -0.04, -0.06, -0.08},
          20,
          200,
          0.25,
          1L);
    }

    public Settings {
      for (double k : textWeights) {
        if (!(k > 0))
          throw new IllegalArgumentException(
              "text weights must be > 0: " + Arrays.toString(textWeights));
      }
      for (double l : priorWeights) {
        if (!(l > 0))
          throw new IllegalArgumentException(
              "prior weights must be > 0: " + Arrays.toString(priorWeights));
      }
      for (double e : headWeights) {
        if (!(e > 0))
          throw new IllegalArgumentException(
              "head weights must be > 0: " + Arrays.toString(headWeights));
      }
      if (baseOffsets.length == 0 || baseOffsets[0] != 0) {
        throw new IllegalArgumentException(
            "base offsets must start with 0: " + Arrays.toString(baseOffsets));
      }
      if (maxHeldOutPerClass < 1 || bootstrap < 2 || !(pseudoNewShare > 0 && pseudoNewShare < 1)) {
        throw new IllegalArgumentException(
            "need maxHeldOutPerClass >= 1, bootstrap >= 2, 0 < pseudoNewShare < 1");
      }
    }

    /** The same candidates without the head (η is not tried). */
    public Settings withoutHead() {
      return new Settings(
          textWeights,
          priorWeights,
          new double[0],
          baseOffsets,
          maxHeldOutPerClass,
          bootstrap,
          pseudoNewShare,
          seed);
    }
  }

  /**
   * A cross-validated estimate: HM of the class-balanced accuracies on base-like and new-like
   * images (fractions; NaN when a kind has no class).
   */
  public record Estimate(double hm, double base, double novel) {
    static Estimate of(double base, double novel) {
      double hm = base + novel > 0 ? 2 * base * novel / (base + novel) : 0;
      return new Estimate(Double.isNaN(base) || Double.isNaN(novel) ? Double.NaN : hm, base, novel);
    }
  }

  /**
   * The outcome of a selection stage.
   *
   * @param weights the chosen weights
   * @param chosen the estimate of the chosen weights
   * @param zeroShot the estimate of zero-shot CLIP (the stage's reference) on the same images
   * @param gain the best candidate's HM minus the reference's (before the rule)
   * @param standardError the bootstrap standard error of that gain
   * @param candidates candidates scored, the reference included
   * @param baseLikeClasses classes with base-like images
   * @param newLikeClasses classes with new-like images
   * @param images held-out images scored
   * @param decision why these weights, in words
   */
  public record Result(
      ScoreWeights weights,
      Estimate chosen,
      Estimate zeroShot,
      double gain,
      double standardError,
      int candidates,
      int baseLikeClasses,
      int newLikeClasses,
      int images,
      String decision) {}

  /**
   * Chooses k, λ and β by exact leave-one-out on {@code data} (η stays 0).
   *
   * @param data the training set, capped as the fit caps it
   * @param logitScale CLIP's logit scale s
   * @param scatter W as the fit measures it ({@link CandleFit#imageScatter}; ≤ 0 when no class has
   *     two images)
   */
  public static Result selectPrior(
      CandleFit.TrainingSet data, double logitScale, double scatter, Settings settings) {
    HeldOut held = HeldOut.of(data, settings);
    if (held.baseLikeClasses() < 2 || held.newLikeClasses() < 2) {
      return new Result(
          ScoreWeights.ZERO,
          Estimate.of(Double.NaN, Double.NaN),
          Estimate.of(Double.NaN, Double.NaN),
          0,
          0,
          1,
          held.baseLikeClasses(),
          held.newLikeClasses(),
          held.size(),
          "zero-shot: too few classes to cross-validate ("
              + held.baseLikeClasses()
              + " with two or more images, "
              + held.newLikeClasses()
              + " with any)");
    }
    float[] visual = CandleFit.visualPrototypes(data);
    double[] n = new double[data.baseClasses()];
    for (int y : data.labels()) {
      n[y]++;
    }
    Rows zs = zeroShotRows(data, held, logitScale);
    Grid grid = new Grid(held, settings.bootstrap(), settings.seed());
    List<Candidate> candidates = new ArrayList<>();
    candidates.add(grid.score(zs, null, 0, 0, 0, 0));
    for (double k : settings.textWeights()) {
      GaussianPrior prior =
          GaussianPrior.fit(
              visual,
              n,
              data.baseClasses(),
              data.textFeatures(),
              data.numClasses(),
              data.dim(),
              scatter,
              k);
      if (prior.isEmpty()) {
        continue;
      }
      Rows term = termRows(prior, data, held);
      for (double lambda : settings.priorWeights()) {
        for (double beta : settings.baseOffsets()) {
          candidates.add(grid.score(zs, term, k, lambda * logitScale, lambda, beta * logitScale));
        }
      }
    }
    return decide(grid, candidates, "leave-one-out");
  }

  /** Folds of the base classes for the cross-fitted gain. */
  static final int FOLDS = 5;

  /**
   * The choice among {@code candidates} (the reference first; earlier ones win ties): the best
   * candidate replaces the reference only when the selection's gain, measured on classes it was not
   * chosen on, exceeds that gain's standard error.
   *
   * <p>The base classes are split into {@link #FOLDS} folds at random. For each fold the best
   * candidate on the other folds scores that fold's classes; the HM of these out-of-fold scores
   * against the reference's on the same classes is the gain. This cross-fitting measures what
   * choosing the best of many noisy candidates is worth: the best candidate's own gain on the
   * classes that chose it is biased upwards (with a few hundred candidates, noise alone makes the
   * best look a standard error or two better). The standard error comes from a paired bootstrap
   * over classes. When the gain passes, the weights are the best candidate's over all classes.
   */
  static Result decide(Grid grid, List<Candidate> candidates, String how) {
    Candidate reference = candidates.get(0);
    HeldOut held = grid.held;
    Candidate best = grid.best(candidates, null);
    Candidate outOfFold = grid.crossFitted(candidates, FOLDS);
    double gain =
        grid.estimate(outOfFold.baseHits(), outOfFold.newHits(), null).hm()
            - reference.estimate().hm();
    double se = grid.standardError(outOfFold, reference);
    String measured =
        String.format(
            java.util.Locale.ROOT,
            "gain %+.4f on classes the choice was not made on, standard error %.4f; %d candidates, %s",
            gain,
            se,
            candidates.size(),
            how);
    if (best == reference || !(gain > se)) {
      String why =
          best == reference ? "no candidate beat it" : "the gain is within its standard error";
      return new Result(
          reference.weights(),
          reference.estimate(),
          reference.estimate(),
          gain,
          se,
          candidates.size(),
          held.baseLikeClasses(),
          held.newLikeClasses(),
          held.size(),
          "kept the reference: " + why + " (" + measured + ")");
    }
    return new Result(
        best.weights(),
        best.estimate(),
        reference.estimate(),
        gain,
        se,
        candidates.size(),
        held.baseLikeClasses(),
        held.newLikeClasses(),
        held.size(),
        "chose " + best.weights() + " (" + measured + ")");
  }

  // ---------------------------------------------------------------- held-out images

  /**
   * The images scored: per base class at most {@code maxHeldOutPerClass} of its images (a seeded
   * sample), each scored base-like when its class has two or more images and new-like always.
   */
  record HeldOut(
      int[] rows,
      int[] labels,
      boolean[] baseLike,
      boolean[] newLike,
      int baseClasses,
      int classes,
      int baseLikeClasses,
      int newLikeClasses) {
    int size() {
      return rows.length;
    }

    static HeldOut of(CandleFit.TrainingSet data, Settings settings) {
      int cb = data.baseClasses();
      List<List<Integer>> byClass = new ArrayList<>();
      for (int j = 0; j < cb; j++) {
        byClass.add(new ArrayList<>());
      }
      for (int i = 0; i < data.size(); i++) {
        byClass.get(data.labels()[i]).add(i);
      }
      SplittableRandom random = new SplittableRandom(settings.seed());
      List<Integer> rows = new ArrayList<>();
      int baseLike = 0;
      int newLike = 0;
      for (int j = 0; j < cb; j++) {
        List<Integer> images = byClass.get(j);
        if (images.isEmpty()) {
          continue;
        }
        newLike++;
        if (images.size() >= 2) {
          baseLike++;
        }
        int[] order = images.stream().mapToInt(Integer::intValue).toArray();
        for (int i = order.length - 1; i > 0; i--) {
          int r = random.nextInt(i + 1);
          int t = order[i];
          order[i] = order[r];
          order[r] = t;
        }
        int take = Math.min(order.length, settings.maxHeldOutPerClass());
        int[] kept = Arrays.copyOf(order, take);
        Arrays.sort(kept);
        for (int i : kept) {
          rows.add(i);
        }
      }
      int[] r = rows.stream().mapToInt(Integer::intValue).toArray();
      int[] labels = new int[r.length];
      boolean[] isBaseLike = new boolean[r.length];
      boolean[] isNewLike = new boolean[r.length];
      for (int i = 0; i < r.length; i++) {
        labels[i] = data.labels()[r[i]];
        isBaseLike[i] = byClass.get(labels[i]).size() >= 2;
        isNewLike[i] = true;
      }
      return new HeldOut(
          r, labels, isBaseLike, isNewLike, cb, data.numClasses(), baseLike, newLike);
    }
  }

  /**
   * Per held-out image, one value per base class (C columns for zero-shot) and its own class's
   * left-out value.
   */
  record Rows(float[] values, int width, double[] ownLeftOut) {}

  /** s·cos(x, t_c) of every held-out image against every class. */
  static Rows zeroShotRows(CandleFit.TrainingSet data, HeldOut held, double logitScale) {
    int d = data.dim();
    int c = data.numClasses();
    float[] images = new float[held.size() * d];
    for (int i = 0; i < held.size(); i++) {
      System.arraycopy(data.features(), held.rows()[i] * d, images, i * d, d);
    }
    float[] unitImages = ZeroShot.normalizedRows(images, held.size(), d);
    float[] unitText = ZeroShot.normalizedRows(data.textFeatures(), c, d);
    float[] values = product(unitImages, held.size(), unitText, c, d, (float) logitScale);
    return new Rows(values, c, null);
  }

  /**
   * G̃_b(x) of every held-out image against every base class, and the own class's leave-one-out
   * value.
   */
  static Rows termRows(GaussianPrior prior, CandleFit.TrainingSet data, HeldOut held) {
    int d = data.dim();
    int cb = data.baseClasses();
    int m = held.size();
    float[] centre = prior.centre();
    float[] centred = new float[m * d];
    float[] squares = new float[m];
    for (int i = 0; i < m; i++) {
      int row = held.rows()[i];
      double sq = 0;
      for (int k = 0; k < d; k++) {
        float v = data.features()[row * d + k] - centre[k];
        centred[i * d + k] = v;
        sq += (double) v * v;
      }
      squares[i] = (float) sq;
    }
    float[] values = product(centred, m, prior.weights(), cb, d, 1f);
    float[] a = prior.squareWeights();
    float[] c = prior.biases();
    for (int i = 0; i < m; i++) {
      for (int b = 0; b < cb; b++) {
        values[i * cb + b] += squares[i] * a[b] + c[b];
      }
    }
    double[] own = new double[m];
    float[] x = new float[d];
    for (int i = 0; i < m; i++) {
      if (held.baseLike()[i]) {
        System.arraycopy(data.features(), held.rows()[i] * d, x, 0, d);
        own[i] = prior.leaveOneOut(x, held.labels()[i]);
      }
    }
    return new Rows(values, cb, own);
  }

  /** scale·(a · bᵀ): a is m×d, b is n×d, row-major; m×n out (PyTorch's matmul through DJL). */
  static float[] product(float[] a, int m, float[] b, int n, int d, float scale) {
    if (m == 0 || n == 0) {
      return new float[m * n];
    }
    try (NDManager nd = NDManager.newBaseManager()) {
      NDArray left = nd.create(a, new Shape(m, d));
      NDArray right = nd.create(b, new Shape(n, d));
      return left.matMul(right.transpose()).mul(scale).toFloatArray();
    }
  }

  // ---------------------------------------------------------------- scoring the grid

  /** A scored candidate: its weights, estimate and per-class hits (for the bootstrap). */
  record Candidate(ScoreWeights weights, Estimate estimate, double[] baseHits, double[] newHits) {}

  /** Scores candidates on the held-out images and bootstraps their differences. */
  static final class Grid {
    final HeldOut held;
    private final int draws;
    private final long seed;

    /** Per base class: its base-like and new-like image counts. */
    private final int[] baseLikeImages;

    private final int[] newLikeImages;

    Grid(HeldOut held, int draws, long seed) {
      this.held = held;
      this.draws = draws;
      this.seed = seed;
      baseLikeImages = new int[held.baseClasses()];
      newLikeImages = new int[held.baseClasses()];
      for (int i = 0; i < held.size(); i++) {
        if (held.newLike()[i]) {
          newLikeImages[held.labels()[i]]++;
        }
        if (held.baseLike()[i]) {
          baseLikeImages[held.labels()[i]]++;
        }
      }
    }

    /**
     * Scores one candidate: zero-shot plus {@code termScale·G̃ + offset} on the base classes. An
     * image is a hit when its class's score beats every other class's strictly.
     */
    Candidate score(Rows zs, Rows term, double k, double termScale, double lambda, double offset) {
      int cb = held.baseClasses();
      int c = held.classes();
      double[] baseHits = new double[cb];
      double[] newHits = new double[cb];
      for (int i = 0; i < held.size(); i++) {
        int y = held.labels()[i];
        int zo = i * c;
        int to = i * cb;
        double otherBase = Double.NEGATIVE_INFINITY;
        for (int b = 0; b < cb; b++) {
          if (b != y) {
            double v = zs.values()[zo + b] + (term == null ? 0 : termScale * term.values()[to + b]);
            otherBase = Math.max(otherBase, v);
          }
        }
        otherBase += offset;
        double otherNew = bestNew(zs)[i];
        double own = zs.values()[zo + y];
        if (held.newLike()[i] && own > otherBase && own > otherNew) {
          newHits[y]++;
        }
        if (held.baseLike()[i]) {
          double ownBase = own + (term == null ? 0 : termScale * term.ownLeftOut()[i]) + offset;
          if (ownBase > otherBase && ownBase > otherNew) {
            baseHits[y]++;
          }
        }
      }
      ScoreWeights w =
          termScale == 0 && offset == 0
              ? ScoreWeights.ZERO
              : new ScoreWeights(k, lambda, 0, offset);
      return new Candidate(w, estimate(baseHits, newHits, null), baseHits, newHits);
    }

    /**
     * Scores one candidate from a model's scores on the held-out images, with the images' own
     * classes where the model has them: {@code scores + η·head + β} on the model's first {@code
     * modelBase} classes. {@code modelLabel[i]} is image i's class in the model's order.
     */
    Candidate scoreModel(
        float[] scores,
        float[] head,
        int modelClasses,
        int modelBase,
        int[] modelLabel,
        ScoreWeights weights) {
      double eta = weights.headWeight();
      double beta = weights.baseOffset();
      double[] baseHits = new double[held.baseClasses()];
      double[] newHits = new double[held.baseClasses()];
      for (int i = 0; i < held.size(); i++) {
        int y = modelLabel[i];
        double own = 0;
        double other = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < modelClasses; j++) {
          double v = scores[i * modelClasses + j];
          if (j < modelBase) {
            v += eta * head[i * modelBase + j] + beta;
          }
          if (j == y) {
            own = v;
          } else {
            other = Math.max(other, v);
          }
        }
        if (own > other) {
          if (held.baseLike()[i]) {
            baseHits[held.labels()[i]]++;
          }
          if (held.newLike()[i]) {
            newHits[held.labels()[i]]++;
          }
        }
      }
      return new Candidate(weights, estimate(baseHits, newHits, null), baseHits, newHits);
    }

    private Rows bestNewOf;
    private double[] bestNew;

    /** Per held-out image, the best zero-shot score among the classes without images. */
    private double[] bestNew(Rows zs) {
      if (bestNewOf != zs) {
        int cb = held.baseClasses();
        int c = held.classes();
        bestNew = new double[held.size()];
        for (int i = 0; i < held.size(); i++) {
          double best = Double.NEGATIVE_INFINITY;
          for (int j = cb; j < c; j++) {
            best = Math.max(best, zs.values()[i * c + j]);
          }
          bestNew[i] = best;
        }
        bestNewOf = zs;
      }
      return bestNew;
    }

    /** Class-balanced accuracies over the classes {@code draw} lists (null: every class once). */
    Estimate estimate(double[] baseHits, double[] newHits, int[] draw) {
      double base = 0;
      int baseClasses = 0;
      double novel = 0;
      int newClasses = 0;
      int cb = held.baseClasses();
      for (int t = 0; t < (draw == null ? cb : draw.length); t++) {
        int j = draw == null ? t : draw[t];
        if (baseLikeImages[j] > 0) {
          base += baseHits[j] / baseLikeImages[j];
          baseClasses++;
        }
        if (newLikeImages[j] > 0) {
          novel += newHits[j] / newLikeImages[j];
          newClasses++;
        }
      }
      return Estimate.of(
          baseClasses == 0 ? Double.NaN : base / baseClasses,
          newClasses == 0 ? Double.NaN : novel / newClasses);
    }

    /**
     * The candidate with the highest HM over {@code classes} (null: all); the earliest wins ties.
     */
    Candidate best(List<Candidate> candidates, int[] classes) {
      Candidate best = candidates.get(0);
      double bestHm = estimate(best.baseHits(), best.newHits(), classes).hm();
      for (Candidate c : candidates) {
        double hm = estimate(c.baseHits(), c.newHits(), classes).hm();
        if (hm > bestHm + 1e-12) {
          best = c;
          bestHm = hm;
        }
      }
      return best;
    }

    /**
     * A composite candidate whose hits on each class come from the best candidate on the other
     * folds (seeded folds of the classes with held-out images).
     */
    Candidate crossFitted(List<Candidate> candidates, int folds) {
      int[] classes =
          java.util.stream.IntStream.range(0, held.baseClasses())
              .filter(j -> newLikeImages[j] > 0 || baseLikeImages[j] > 0)
              .toArray();
      SplittableRandom random = new SplittableRandom(seed ^ 0x4A1FL);
      for (int i = classes.length - 1; i > 0; i--) {
        int r = random.nextInt(i + 1);
        int t = classes[i];
        classes[i] = classes[r];
        classes[r] = t;
      }
      double[] baseHits = new double[held.baseClasses()];
      double[] newHits = new double[held.baseClasses()];
      for (int f = 0; f < folds; f++) {
        List<Integer> in = new ArrayList<>();
        List<Integer> out = new ArrayList<>();
        for (int t = 0; t < classes.length; t++) {
          (t % folds == f ? out : in).add(classes[t]);
        }
        Candidate chosen = best(candidates, in.stream().mapToInt(Integer::intValue).toArray());
        for (int j : out) {
          baseHits[j] = chosen.baseHits()[j];
          newHits[j] = chosen.newHits()[j];
        }
      }
      return new Candidate(null, estimate(baseHits, newHits, null), baseHits, newHits);
    }

    /** Bootstrap standard error of {@code a}'s HM minus {@code b}'s, classes resampled (paired). */
    double standardError(Candidate a, Candidate b) {
      if (a == b) {
        return 0;
      }
      // every class with held-out images: in the head's split a class is either base-like or
      // new-like
      int[] classes =
          java.util.stream.IntStream.range(0, held.baseClasses())
              .filter(j -> newLikeImages[j] > 0 || baseLikeImages[j] > 0)
              .toArray();
      SplittableRandom random = new SplittableRandom(seed ^ 0x5EED5EEDL);
      double sum = 0;
      double sumSq = 0;
      int used = 0;
      int[] draw = new int[classes.length];
      for (int r = 0; r < draws; r++) {
        for (int t = 0; t < draw.length; t++) {
          draw[t] = classes[random.nextInt(classes.length)];
        }
        double diff =
            estimate(a.baseHits(), a.newHits(), draw).hm()
                - estimate(b.baseHits(), b.newHits(), draw).hm();
        if (Double.isNaN(diff)) {
          continue;
        }
        sum += diff;
        sumSq += diff * diff;
        used++;
      }
      if (used < 2) {
        return Double.POSITIVE_INFINITY;
      }
      double mean = sum / used;
      return Math.sqrt(Math.max(0, (sumSq - used * mean * mean) / (used - 1)));
    }
  }
}
