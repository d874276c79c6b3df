package ai.candle.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fits a Candle head: SGD with momentum over shuffled batches, each batch followed by one prototype
 * per class, with the compensating logit-adjusted loss (docs/method.md, "Training").
 *
 * <p>The same seed gives the same fit on the same device: it fixes the initialisation, the
 * per-class cap's sample, the batch order and the dropout masks (and the class samples).
 *
 * <p>Up to {@link HyperParameters#sampledAbove} classes every step attends over all of them, as the
 * authors' code does ({@link #step}); above it each step attends over its batch's classes and a
 * uniform sample of others, with the loss corrected for the sampling ({@link #sampledStep}), so
 * that a step's cost does not grow with C².
 */
public final class CandleFit {
  private static final Logger LOG = LoggerFactory.getLogger(CandleFit.class);

  private CandleFit() {}

  /**
   * What a fit learns from. Classes are in model order: {@code 0..baseClasses-1} have training
   * images (base), the rest are new (text only). Every base class needs at least one image.
   *
   * @param features N×D raw image features
   * @param labels N labels, each in {@code [0, baseClasses)}
   * @param dim D
   * @param classNames C names in model order
   * @param baseClasses Cb
   * @param textFeatures C×D raw text features
   * @param classCounts C counts the priors come from (the live counts; may exceed the samples)
   */
  public record TrainingSet(
      float[] features,
      int[] labels,
      int dim,
      List<String> classNames,
      int baseClasses,
      float[] textFeatures,
      float[] classCounts) {

    public TrainingSet {
      classNames = List.copyOf(classNames);
      int c = classNames.size();
      if (dim <= 0 || features.length != labels.length * dim) {
        throw new IllegalArgumentException(
            "features: "
                + features.length
                + " values for "
                + labels.length
                + " labels of width "
                + dim);
      }
      if (textFeatures.length != c * dim) {
        throw new IllegalArgumentException(
            "text features: " + textFeatures.length + " values, expected " + c * dim);
      }
      if (classCounts.length != c) {
        throw new IllegalArgumentException(
            "class counts: " + classCounts.length + " values, expected " + c);
      }
      if (baseClasses < 1 || baseClasses > c) {
        throw new IllegalArgumentException(
            "a fit needs 1.." + c + " base classes, got " + baseClasses);
      }
      int[] seen = new int[baseClasses];
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] < 0 || labels[i] >= baseClasses) {
          throw new IllegalArgumentException(
              "label "
                  + labels[i]
                  + " of sample "
                  + i
                  + " is not a base class (0.."
                  + (baseClasses - 1)
                  + ")");
        }
        seen[labels[i]]++;
      }
      for (int j = 0; j < baseClasses; j++) {
        if (seen[j] == 0) {
          throw new IllegalArgumentException(
              "base class "
                  + j
                  + " ("
                  + classNames.get(j)
                  + ") has no training image: list it after the base classes as new");
        }
      }
    }

    public int size() {
      return labels.length;
    }

    public int numClasses() {
      return classNames.size();
    }
  }

  /** Receives progress during a fit (called on the fitting thread). */
  public interface Progress {
    Progress NONE = (epoch, epochs, loss, seconds) -> {};

    void epochDone(int epoch, int epochs, double meanLoss, double seconds);
  }

  /**
   * Options beyond the hyper-parameters.
   *
   * @param device where to fit; null chooses automatically ({@link Devices#choose})
   * @param progress per-epoch callback
   * @param initial initial parameters; null initialises as the reference does
   * @param epochOrder a fixed permutation of the samples per epoch (golden tests); null shuffles
   */
  public record Options(
      Device device, Progress progress, CandleParameters initial, int[][] epochOrder) {
    public static Options defaults() {
      return new Options(null, Progress.NONE, null, null);
    }

    public Options withDevice(Device d) {
      return new Options(d, progress, initial, epochOrder);
    }

    public Options withProgress(Progress p) {
      return new Options(device, p, initial, epochOrder);
    }

    public Options withInitial(CandleParameters p) {
      return new Options(device, progress, p, epochOrder);
    }

    public Options withEpochOrder(int[][] order) {
      return new Options(device, progress, initial, order);
    }
  }

  /** Fits a model with default options. */
  public static CandleModel fit(TrainingSet data, HyperParameters hp) {
    return fit(data, hp, Options.defaults());
  }

  /** Fits a model; the returned model carries per-epoch loss, timing and the device. */
  public static CandleModel fit(TrainingSet data, HyperParameters hp, Options options) {
    long start = System.nanoTime();
    Device device = options.device() != null ? options.device() : Devices.choose();
    TrainingSet capped =
        options.epochOrder() == null ? capPerClass(data, hp.maxPerClass(), hp.seed()) : data;
    int n = capped.size();
    int d = capped.dim();
    int c = capped.numClasses();
    int cb = capped.baseClasses();
    float[] visual = visualPrototypes(capped);
    CandleParameters initial =
        options.initial() != null ? options.initial() : initialParameters(capped, hp, visual);
    if (options.epochOrder() != null && options.epochOrder().length < hp.epochs()) {
      throw new IllegalArgumentException(
          "epoch order has " + options.epochOrder().length + " epochs, need " + hp.epochs());
    }
    Engine.getInstance().setRandomSeed((int) hp.seed());
    Random shuffle = new Random(hp.seed() ^ 0x5DEECE66DL);
    // above hp.sampledAbove() classes every step attends over a sample of them (sampledStep)
    boolean sampled = hp.samplesClasses(c);
    Random classDraw = classDraw(hp);
    List<Double> losses = new ArrayList<>();
    List<Double> seconds = new ArrayList<>();
    CandleParameters learnt;
    try (NDManager manager = NDManager.newBaseManager(device)) {
      CandleHead head = new CandleHead(manager, initial, hp.mode());
      head.requireGradients();
      SgdMomentum sgd = new SgdMomentum(hp.momentum(), hp.weightDecay());
      NDArray features = CandleHead.aligned(manager, capped.features(), new Shape(n, d));
      NDArray text = CandleHead.aligned(manager, capped.textFeatures(), new Shape(c, d));
      NDArray visualArr = CandleHead.aligned(manager, visual, new Shape(cb, d));
      float[] logPrior = CandleHead.logPrior(capped.classCounts());
      NDArray prior = CandleHead.aligned(manager, logPrior, new Shape(c));
      NDArray prototypeLabels = manager.arange(0, c, 1, DataType.INT64);
      int[] order = identity(n);
      for (int epoch = 0; epoch < hp.epochs(); epoch++) {
        long epochStart = System.nanoTime();
        if (options.epochOrder() != null) {
          order = options.epochOrder()[epoch];
        } else {
          shuffleInPlace(order, shuffle);
        }
        double lr = hp.learningRateAt(epoch);
        double lossSum = 0;
        int batches = 0;
        for (int from = 0; from < n; from += hp.batchSize()) {
          int to = Math.min(n, from + hp.batchSize());
          lossSum +=
              sampled
                  ? sampledStep(
                      head,
                      sgd,
                      features,
                      capped.labels(),
                      order,
                      from,
                      to,
                      text,
                      visualArr,
                      logPrior,
                      hp,
                      lr,
                      classDraw)
                  : step(
                      head,
                      sgd,
                      features,
                      capped.labels(),
                      order,
                      from,
                      to,
                      text,
                      visualArr,
                      prior,
                      prototypeLabels,
                      hp,
                      lr);
          batches++;
        }
        double secs = (System.nanoTime() - epochStart) / 1e9;
        losses.add(lossSum / batches);
        seconds.add(secs);
        options.progress().epochDone(epoch + 1, hp.epochs(), lossSum / batches, secs);
      }
      learnt = head.snapshot();
    }
    double total = (System.nanoTime() - start) / 1e9;
    LOG.debug("fit of {} samples, {} classes on {} took {} s", n, c, device, total);
    FitStats stats =
        new FitStats(losses, seconds, total, n, device.toString(), imageScatter(capped, visual));
    return new CandleModel(
        capped.classNames(),
        cb,
        d,
        capped.textFeatures(),
        visual,
        capped.classCounts(),
        learnt,
        hp,
        stats,
        ScoreWeights.ZERO);
  }

  /**
   * The model of a training set without fitting the head: its visual prototypes, class counts and
   * measured within-class scatter, the head at its initial parameters. What an ADAPTIVE model whose
   * head weight is 0 needs ({@link AdaptiveFit}): no score reads the head.
   *
   * @param device recorded as the fit's device (null: the default one)
   */
  public static CandleModel prototypesOnly(TrainingSet data, HyperParameters hp, Device device) {
    long start = System.nanoTime();
    TrainingSet capped = capPerClass(data, hp.maxPerClass(), hp.seed());
    float[] visual = visualPrototypes(capped);
    CandleParameters initial = initialParameters(capped, hp, visual);
    String where = (device != null ? device : Devices.choose()).toString();
    FitStats stats =
        new FitStats(
            List.of(),
            List.of(),
            (System.nanoTime() - start) / 1e9,
            capped.size(),
            where,
            imageScatter(capped, visual));
    return new CandleModel(
        capped.classNames(),
        capped.baseClasses(),
        capped.dim(),
        capped.textFeatures(),
        visual,
        capped.classCounts(),
        initial,
        hp,
        stats,
        ScoreWeights.ZERO);
  }

  /**
   * Where a warm-started fit begins: the shared parameters (projections, attention, norm, ratio) of
   * {@code from}, and one virtual prototype per new class of {@code data}: the one {@code from}
   * learnt when the class was new there too (matched by name), else its text feature moved into the
   * image modality as {@link #fit} initialises it. Classes that became base drop theirs.
   *
   * @throws IllegalArgumentException when the widths differ
   */
  public static CandleParameters warmStart(CandleModel from, TrainingSet data, HyperParameters hp) {
    int d = data.dim();
    if (from.dim() != d) {
      throw new IllegalArgumentException(
          "warm start from width " + from.dim() + " into width " + d);
    }
    CandleParameters fresh = initialParameters(data, hp, visualPrototypes(data));
    CandleParameters p = from.params();
    float[] virtual = fresh.virtualPrototypes().clone();
    List<String> names = from.classNames();
    for (int t = 0; t < fresh.newClasses(); t++) {
      int j = names.indexOf(data.classNames().get(data.baseClasses() + t));
      if (j >= from.baseClasses()) {
        System.arraycopy(p.virtualPrototypes(), (j - from.baseClasses()) * d, virtual, t * d, d);
      }
    }
    return new CandleParameters(
        d,
        fresh.newClasses(),
        p.projImage(),
        p.projText(),
        virtual,
        p.attnInProjWeight(),
        p.attnInProjBias(),
        p.attnOutProjWeight(),
        p.attnOutProjBias(),
        p.normWeight(),
        p.normBias(),
        p.ratio());
  }

  /**
   * Continues a fit from {@code start} for {@code steps} SGD steps instead of whole epochs: each
   * batch is half the fresh samples (rows {@code fresh}, cycled in a shuffled order) and half a
   * replay of samples drawn uniformly from all of {@code data}, so what was learnt is rehearsed
   * while the new images are learnt. The learning rate falls from the peak to 0 over the steps (a
   * cosine, as the fit's schedule). No step runs when {@code fresh} is empty or {@code steps} is 0:
   * the model then carries {@code start} unchanged. The model's weights are ZERO; its stats list
   * each step's loss and time where a full fit lists epochs.
   */
  public static CandleModel continueFit(
      TrainingSet data,
      CandleParameters start,
      int[] fresh,
      int steps,
      HyperParameters hp,
      Options options) {
    long t0 = System.nanoTime();
    Device device = options.device() != null ? options.device() : Devices.choose();
    int n = data.size();
    int d = data.dim();
    int c = data.numClasses();
    int cb = data.baseClasses();
    float[] visual = visualPrototypes(data);
    if (start.dim() != d || start.newClasses() != c - cb) {
      throw new IllegalArgumentException(
          "start parameters have "
              + start.newClasses()
              + " new classes of width "
              + start.dim()
              + ", the data "
              + (c - cb)
              + " of width "
              + d);
    }
    int runs = fresh.length == 0 ? 0 : steps;
    List<Double> losses = new ArrayList<>();
    List<Double> seconds = new ArrayList<>();
    CandleParameters learnt = start;
    if (runs > 0) {
      Engine.getInstance().setRandomSeed((int) hp.seed());
      Random random = new Random(hp.seed() ^ 0x5DEECE66DL);
      int[] freshOrder = fresh.clone();
      shuffleInPlace(freshOrder, random);
      int half = Math.max(1, hp.batchSize() / 2);
      try (NDManager manager = NDManager.newBaseManager(device)) {
        CandleHead head = new CandleHead(manager, start, hp.mode());
        head.requireGradients();
        SgdMomentum sgd = new SgdMomentum(hp.momentum(), hp.weightDecay());
        NDArray features = CandleHead.aligned(manager, data.features(), new Shape(n, d));
        NDArray text = CandleHead.aligned(manager, data.textFeatures(), new Shape(c, d));
        NDArray visualArr = CandleHead.aligned(manager, visual, new Shape(cb, d));
        float[] logPrior = CandleHead.logPrior(data.classCounts());
        NDArray prior = CandleHead.aligned(manager, logPrior, new Shape(c));
        NDArray prototypeLabels = manager.arange(0, c, 1, DataType.INT64);
        boolean sampled = hp.samplesClasses(c);
        Random classDraw = classDraw(hp);
        int next = 0;
        for (int s = 0; s < runs; s++) {
          long stepStart = System.nanoTime();
          int freshHere = Math.min(half, freshOrder.length);
          int[] batch = new int[freshHere + half];
          for (int i = 0; i < freshHere; i++) {
            batch[i] = freshOrder[next];
            next = (next + 1) % freshOrder.length;
          }
          for (int i = freshHere; i < batch.length; i++) {
            batch[i] = random.nextInt(n);
          }
          double lr = 0.5 * hp.learningRate() * (1 + Math.cos(Math.PI * s / runs));
          double loss =
              sampled
                  ? sampledStep(
                      head,
                      sgd,
                      features,
                      data.labels(),
                      batch,
                      0,
                      batch.length,
                      text,
                      visualArr,
                      logPrior,
                      hp,
                      lr,
                      classDraw)
                  : step(
                      head,
                      sgd,
                      features,
                      data.labels(),
                      batch,
                      0,
                      batch.length,
                      text,
                      visualArr,
                      prior,
                      prototypeLabels,
                      hp,
                      lr);
          double secs = (System.nanoTime() - stepStart) / 1e9;
          losses.add(loss);
          seconds.add(secs);
          options.progress().epochDone(s + 1, runs, loss, secs);
        }
        learnt = head.snapshot();
      }
    }
    double total = (System.nanoTime() - t0) / 1e9;
    LOG.debug(
        "warm-started fit: {} steps over {} fresh of {} samples, {} classes, {} s",
        runs,
        fresh.length,
        n,
        c,
        total);
    FitStats stats =
        new FitStats(losses, seconds, total, n, device.toString(), imageScatter(data, visual));
    return new CandleModel(
        data.classNames(),
        cb,
        d,
        data.textFeatures(),
        visual,
        data.classCounts(),
        learnt,
        hp,
        stats,
        ScoreWeights.ZERO);
  }

  /** One SGD step on the samples {@code order[from..to)}; returns the batch loss. */
  static double step(
      CandleHead head,
      SgdMomentum sgd,
      NDArray features,
      int[] labels,
      int[] order,
      int from,
      int to,
      NDArray text,
      NDArray visual,
      NDArray prior,
      NDArray prototypeLabels,
      HyperParameters hp,
      double lr) {
    int c = (int) text.getShape().get(0);
    long[] idx = new long[to - from];
    long[] y = new long[to - from];
    for (int i = from; i < to; i++) {
      idx[i - from] = order[i];
      y[i - from] = labels[order[i]];
    }
    double loss;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDManager m = features.getManager();
      NDArray batch = features.get(m.create(idx));
      NDArray oneHot = NDArrays.concat(new NDList(m.create(y), prototypeLabels), 0).oneHot(c);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        CandleHead.Outputs out =
            head.forward(batch, text, visual, true, hp.dropout(), hp.scale(), hp.logitScale());
        NDArray total = CandleHead.loss(out, oneHot, prior, hp.tau()).get(0);
        loss = total.getFloat();
        gc.backward(total);
      }
      sgd.step(head.parameters(), lr);
    }
    return loss;
  }

  /**
   * One SGD step on the samples {@code order[from..to)} over a sample S of the classes instead of
   * all C, so that its cost grows with |S| (the batch's classes plus m), not with C². A fit takes
   * these steps above {@link HyperParameters#sampledAbove} classes; below it, {@link #step}, the
   * authors' full attention. Returns the batch loss (the estimate of the full step's loss below).
   *
   * <p>What it computes: S = {@link ClassSample#draw}(the batch's labels, C, {@link
   * HyperParameters#sampledOthers} = m). The attention runs over the B + 2|S| tokens {@code [I;
   * Pp_S; T_S]} ({@link CandleHead#forwardSampled}); the loss rows are the B images, then S's |S|
   * prototypes with their labels; the columns are S's classes. Each of the three logit matrices L
   * (L0, Lvt, Lvv) is adjusted, for loss row r with label y_r and class j of S, to
   *
   * <pre>  L_rj + τ·log π_j − [j ≠ y_r]·log q_j</pre>
   *
   * and the step minimises {@code Σ_r w_r·CE_r / (B + C)} summed over the three, with {@code w_r =
   * 1} for the images and the batch's own classes' prototypes and {@code w_r = 1/q} for a drawn
   * class's prototype. q_j is j's probability of being in S: 1 for the batch's classes, {@code q =
   * m'/(C − own)} for the others ({@link ClassSample}).
   *
   * <p>What is corrected, and why:
   *
   * <ul>
   *   <li>The logit adjustment is the full step's: π over all C classes, of which S's columns are
   *       read. Renormalising π over S would add the same constant to every column, which a softmax
   *       ignores, so this is the CLA loss restricted to S.
   *   <li>The sampling of columns (sampled softmax): a row's softmax normaliser over all C classes,
   *       {@code Z = Σ_k exp(a_k)}, is estimated from S with each term weighted by 1/q_k, which is
   *       adding {@code −log q_k} to that adjusted logit. The row's own label is always in S, so
   *       its term is exact and gets no correction; so are the batch's classes (q = 1). For a drawn
   *       class's prototype row, the other drawn classes' inclusion given its own is {@code (m' −
   *       1)/(C − own − 1)}, not q; the step uses q for all (q differs by under 1/m', 0.2% at m =
   *       512).
   *   <li>The sampling of rows: the full loss is the mean over the B images and all C prototypes.
   *       The step keeps every image and the batch's classes' prototypes, weights each drawn
   *       class's prototype by 1/q and divides by B + C, so that over the draws of S the rows count
   *       as in the full loss and the loss has the full step's scale (the same learning rate means
   *       the same).
   * </ul>
   *
   * What stays biased is the log of the estimated normaliser, as in every sampled softmax; it
   * vanishes as q → 1. With q = 1 (m ≥ C − own) S holds every class and the step computes the full
   * step's loss, its classes reordered (the same up to rounding and dropout's draw). Virtual
   * prototypes of new classes outside S get no gradient from the step; momentum and weight decay
   * still move them, as they move every parameter.
   *
   * @param logPrior log π over all C classes ({@link CandleHead#logPrior})
   * @param random draws S
   */
  static double sampledStep(
      CandleHead head,
      SgdMomentum sgd,
      NDArray features,
      int[] labels,
      int[] order,
      int from,
      int to,
      NDArray text,
      NDArray visual,
      float[] logPrior,
      HyperParameters hp,
      double lr,
      Random random) {
    int c = (int) text.getShape().get(0);
    int b = to - from;
    long[] idx = new long[b];
    int[] y = new int[b];
    for (int i = from; i < to; i++) {
      idx[i - from] = order[i];
      y[i - from] = labels[order[i]];
    }
    ClassSample sample = ClassSample.draw(y, c, hp.sampledOthers(), random);
    int k = sample.size();
    int[] yLocal = sample.positions(y);
    long[] rowLabels = new long[b + k];
    for (int i = 0; i < b; i++) {
      rowLabels[i] = yLocal[i];
    }
    for (int j = 0; j < k; j++) {
      rowLabels[b + j] = j;
    }
    long[] classIdx = Arrays.stream(sample.classes()).asLongStream().toArray();
    double loss;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDManager m = features.getManager();
      NDArray batch = features.get(m.create(idx));
      NDArray oneHot = m.create(rowLabels).oneHot(k);
      NDArray adjust =
          CandleHead.aligned(m, sample.adjustment(yLocal, logPrior, hp.tau()), new Shape(b + k, k));
      NDArray weights = CandleHead.aligned(m, sample.rowWeights(b), new Shape(b + k, 1));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        CandleHead.Outputs out =
            head.forwardSampled(
                batch, text, visual, m.create(classIdx), hp.dropout(), hp.scale(), hp.logitScale());
        NDArray total = CandleHead.sampledLoss(out, oneHot, adjust, weights).get(0);
        loss = total.getFloat();
        gc.backward(total);
      }
      sgd.step(head.parameters(), lr);
    }
    return loss;
  }

  /**
   * The source of a fit's class samples: seeded by the fit's seed, and apart from the batch order's
   * source, whose draws stay those of a fit without sampling.
   */
  private static Random classDraw(HyperParameters hp) {
    return new Random(hp.seed() * 0x9E3779B97F4A7C15L + 0x51L);
  }

  /** Per-class means of the training features: the fixed visual prototypes. */
  static float[] visualPrototypes(TrainingSet data) {
    int d = data.dim();
    int cb = data.baseClasses();
    double[] sums = new double[cb * d];
    int[] counts = new int[cb];
    float[] f = data.features();
    for (int i = 0; i < data.size(); i++) {
      int y = data.labels()[i];
      counts[y]++;
      for (int k = 0; k < d; k++) {
        sums[y * d + k] += f[i * d + k];
      }
    }
    float[] out = new float[cb * d];
    for (int j = 0; j < cb; j++) {
      for (int k = 0; k < d; k++) {
        out[j * d + k] = (float) (sums[j * d + k] / counts[j]);
      }
    }
    return out;
  }

  /**
   * W, the pooled within-class scatter of the training images around their visual prototypes:
   * {@code Σ_i |x_i − m_{y_i}|² / Σ_c (n_c − 1)}; 0 when no class has two images.
   */
  static double imageScatter(TrainingSet data, float[] visual) {
    int d = data.dim();
    int[] counts = new int[data.baseClasses()];
    double sum = 0;
    float[] f = data.features();
    for (int i = 0; i < data.size(); i++) {
      int y = data.labels()[i];
      counts[y]++;
      for (int k = 0; k < d; k++) {
        double r = (double) f[i * d + k] - visual[y * d + k];
        sum += r * r;
      }
    }
    long freedom = 0;
    for (int n : counts) {
      freedom += Math.max(0, n - 1);
    }
    return freedom == 0 ? 0 : sum / freedom;
  }

  /**
   * The initialisation of a mode: the reference's ({@link #initialParameters(TrainingSet, double,
   * long)}); in ADAPTIVE the virtual prototypes are then moved into the image modality by the base
   * classes' mean gap between visual prototype and text feature.
   */
  static CandleParameters initialParameters(TrainingSet data, HyperParameters hp, float[] visual) {
    CandleParameters p = initialParameters(data, hp.initialRatio(), hp.seed());
    if (!hp.isAdaptive() || p.newClasses() == 0) {
      return p;
    }
    int d = data.dim();
    int cb = data.baseClasses();
    double[] gap = new double[d];
    for (int j = 0; j < cb; j++) {
      for (int k = 0; k < d; k++) {
        gap[k] += ((double) visual[j * d + k] - data.textFeatures()[j * d + k]) / cb;
      }
    }
    float[] virtual = p.virtualPrototypes().clone();
    for (int i = 0; i < virtual.length; i++) {
      virtual[i] += (float) gap[i % d];
    }
    return new CandleParameters(
        d,
        p.newClasses(),
        p.projImage(),
        p.projText(),
        virtual,
        p.attnInProjWeight(),
        p.attnInProjBias(),
        p.attnOutProjWeight(),
        p.attnOutProjBias(),
        p.normWeight(),
        p.normBias(),
        p.ratio());
  }

  /**
   * The reference initialisation: identity projections, virtual prototypes = the new classes' text
   * features, attention input weights xavier-uniform, output weights uniform ±1/√D (PyTorch's
   * Linear default), biases zero, LayerNorm ones/zeros, the given ratio.
   */
  public static CandleParameters initialParameters(TrainingSet data, double ratio, long seed) {
    int d = data.dim();
    float[] virtual =
        Arrays.copyOfRange(data.textFeatures(), data.baseClasses() * d, data.numClasses() * d);
    return initialParameters(d, virtual, ratio, seed);
  }

  /**
   * A model that scores {@code classNames} before any fit: every class is new, its virtual
   * prototype its text feature (no base class, so no modality gap is known yet), and the head has
   * the reference initialisation. In ADAPTIVE mode it scores exactly as zero-shot CLIP.
   *
   * @param textFeatures C×D raw text features in the order of {@code classNames}
   */
  public static CandleModel untrained(
      List<String> classNames, int dim, float[] textFeatures, HyperParameters hp) {
    int c = classNames.size();
    if (c < 1 || textFeatures.length != c * dim) {
      throw new IllegalArgumentException(
          c + " classes need " + c * dim + " text feature values, got " + textFeatures.length);
    }
    CandleParameters p = initialParameters(dim, textFeatures.clone(), hp.initialRatio(), hp.seed());
    return new CandleModel(
        classNames,
        0,
        dim,
        textFeatures.clone(),
        new float[0],
        new float[c],
        p,
        hp,
        FitStats.none("none"),
        ScoreWeights.ZERO);
  }

  /**
   * The model with classes appended as new (virtual prototypes), no fit: what a service serves
   * within moments of a class announcement. A virtual prototype is the class's text feature, in
   * ADAPTIVE mode shifted into the image modality by the model's mean gap between visual prototype
   * and text feature over its base classes (as {@link #fit} initialises them). In ADAPTIVE mode the
   * added classes score exactly as zero-shot CLIP and the base classes keep their weights; the
   * head's scores and the Gaussian term's text centring now also see the new classes.
   *
   * @param names the classes to add, none of them in the model yet
   * @param textFeatures their raw text features, names.size()×D
   */
  public static CandleModel extend(CandleModel model, List<String> names, float[] textFeatures) {
    int d = model.dim();
    if (textFeatures.length != names.size() * d) {
      throw new IllegalArgumentException(
          names.size()
              + " classes need "
              + names.size() * d
              + " text feature values, got "
              + textFeatures.length);
    }
    for (String name : names) {
      if (model.classNames().contains(name)) {
        throw new IllegalArgumentException("class '" + name + "' is already in the model");
      }
    }
    float[] added = textFeatures.clone();
    if (model.hyper().isAdaptive() && model.baseClasses() > 0) {
      double[] gap = new double[d];
      int cb = model.baseClasses();
      for (int j = 0; j < cb; j++) {
        for (int k = 0; k < d; k++) {
          gap[k] +=
              ((double) model.visualPrototypes()[j * d + k] - model.textFeatures()[j * d + k]) / cb;
        }
      }
      for (int i = 0; i < added.length; i++) {
        added[i] += (float) gap[i % d];
      }
    }
    CandleParameters p = model.params();
    float[] virtual = concat(p.virtualPrototypes(), added);
    CandleParameters extended =
        new CandleParameters(
            d,
            p.newClasses() + names.size(),
            p.projImage(),
            p.projText(),
            virtual,
            p.attnInProjWeight(),
            p.attnInProjBias(),
            p.attnOutProjWeight(),
            p.attnOutProjBias(),
            p.normWeight(),
            p.normBias(),
            p.ratio());
    List<String> allNames = new ArrayList<>(model.classNames());
    allNames.addAll(names);
    float[] counts = Arrays.copyOf(model.classCounts(), allNames.size());
    return new CandleModel(
        allNames,
        model.baseClasses(),
        d,
        concat(model.textFeatures(), textFeatures),
        model.visualPrototypes(),
        counts,
        extended,
        model.hyper(),
        model.stats(),
        model.weights());
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static CandleParameters initialParameters(
      int d, float[] virtual, double ratio, long seed) {
    int cn = virtual.length / d;
    Random rnd = new Random(seed);
    float[] inW = uniform(rnd, 3 * d * d, Math.sqrt(6.0 / (d + 3.0 * d)));
    float[] outW = uniform(rnd, d * d, 1.0 / Math.sqrt(d));
    float[] ones = new float[d];
    Arrays.fill(ones, 1f);
    return new CandleParameters(
        d,
        cn,
        eye(d),
        eye(d),
        virtual,
        inW,
        new float[3 * d],
        outW,
        new float[d],
        ones,
        new float[d],
        (float) ratio);
  }

  /** Keeps at most {@code cap} samples per class (a seeded uniform sample); 0 keeps all. */
  static TrainingSet capPerClass(TrainingSet data, int cap, long seed) {
    if (cap <= 0) {
      return data;
    }
    int[] perClass = new int[data.baseClasses()];
    for (int y : data.labels()) {
      perClass[y]++;
    }
    if (Arrays.stream(perClass).allMatch(k -> k <= cap)) {
      return data;
    }
    int[] order = identity(data.size());
    shuffleInPlace(order, new Random(seed * 31 + 7));
    int[] kept = new int[data.baseClasses()];
    int d = data.dim();
    List<Integer> keep = new ArrayList<>();
    for (int i : order) {
      if (kept[data.labels()[i]]++ < cap) {
        keep.add(i);
      }
    }
    keep.sort(null);
    float[] f = new float[keep.size() * d];
    int[] y = new int[keep.size()];
    for (int k = 0; k < keep.size(); k++) {
      int i = keep.get(k);
      System.arraycopy(data.features(), i * d, f, k * d, d);
      y[k] = data.labels()[i];
    }
    return new TrainingSet(
        f, y, d, data.classNames(), data.baseClasses(), data.textFeatures(), data.classCounts());
  }

  private static float[] uniform(Random rnd, int n, double bound) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
    }
    return out;
  }

  private static float[] eye(int d) {
    float[] out = new float[d * d];
    for (int i = 0; i < d; i++) {
      out[i * d + i] = 1f;
    }
    return out;
  }

  static int[] identity(int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    return out;
  }

  private static void shuffleInPlace(int[] a, Random rnd) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
