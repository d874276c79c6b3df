package ai.candle.core;

/**
 * Hyper-parameters of a Candle fit. Defaults follow the paper and the authors' example runs
 * (docs/method.md, "Training").
 *
 * @param epochs epochs of a fit (50)
 * @param batchSize images per batch, before the C prototypes are appended (128)
 * @param learningRate peak learning rate of the cosine schedule (3e-4)
 * @param warmupLearningRate constant learning rate of the first epoch (1e-5)
 * @param momentum SGD momentum (0.9)
 * @param weightDecay SGD weight decay, L2 added to the gradient as PyTorch does (5e-4)
 * @param scale SCALE, the weight of the visual-prototype logits (0.5)
 * @param logitScale CLIP's logit scale s (100)
 * @param tau temperature of the logit adjustment (1)
 * @param dropout dropout on the attention weights in training (0.1)
 * @param initialRatio initial residual ratio (0.1)
 * @param maxPerClass at most this many training images per class (100); 0 means no cap
 * @param seed seed of initialisation, batch order and dropout: the same seed gives the same fit
 * @param mode {@link Mode#REFERENCE} computes exactly what the authors' code computes; {@link
 *     Mode#ADAPTIVE} is the service's configuration: zero-shot CLIP plus corrections whose weights
 *     ({@link ScoreWeights}) are chosen per fit on the training data
 * @param sampledAbove a fit over more classes than this takes sampled-class steps ({@link
 *     CandleFit#sampledStep}), whose cost does not grow with C², instead of the authors' full
 *     attention over every class; 0 never samples ({@value #DEFAULT_SAMPLED_ABOVE})
 * @param sampledOthers m, the classes a sampled-class step draws besides its batch's own ({@value
 *     #DEFAULT_SAMPLED_OTHERS})
 */
public record HyperParameters(
    int epochs,
    int batchSize,
    double learningRate,
    double warmupLearningRate,
    double momentum,
    double weightDecay,
    double scale,
    double logitScale,
    double tau,
    double dropout,
    double initialRatio,
    int maxPerClass,
    long seed,
    Mode mode,
    int sampledAbove,
    int sampledOthers) {

  /** Above this many classes a fit samples them by default (see BENCHMARKS.md). */
  public static final int DEFAULT_SAMPLED_ABOVE = 2000;

  /** Classes a sampled-class step draws besides its batch's own, by default. */
  public static final int DEFAULT_SAMPLED_OTHERS = 512;

  /** Which Candle: the paper's, or the service's all-class configuration. */
  public enum Mode {
    /**
     * The authors' configuration, exactly (golden vectors): virtual prototypes start as the new
     * classes' text features and also feed the text side of the head.
     */
    REFERENCE,
    /**
     * The service's: zero-shot CLIP's logits plus learnt corrections on the classes with images
     * ({@link ScoreWeights}: the Gaussian image-evidence term, the Candle head, a base-class
     * offset), each weighted by cross-validation on the training data ({@link WeightSelection});
     * classes without images score as zero-shot CLIP. In the head, virtual prototypes start in the
     * image modality (the new class's text feature shifted by the base classes' mean image-text
     * gap) and the text side keeps the raw text features. Ranked against all classes at once, the
     * reference's head alone almost never predicts a new class (its base classes' visual-prototype
     * logits swamp them) and loses to zero-shot CLIP on real features.
     */
    ADAPTIVE
  }

  /** The paper's hyper-parameters and the reference configuration. */
  public static HyperParameters defaults() {
    return new HyperParameters(
        50,
        128,
        3e-4,
        1e-5,
        0.9,
        5e-4,
        0.5,
        100.0,
        1.0,
        0.1,
        0.1,
        100,
        1L,
        Mode.REFERENCE,
        DEFAULT_SAMPLED_ABOVE,
        DEFAULT_SAMPLED_OTHERS);
  }

  /** The service's default: the paper's hyper-parameters in the ADAPTIVE configuration. */
  public static HyperParameters adaptive() {
    return defaults().withMode(Mode.ADAPTIVE);
  }

  public HyperParameters withMode(Mode m) {
    return new HyperParameters(
        epochs,
        batchSize,
        learningRate,
        warmupLearningRate,
        momentum,
        weightDecay,
        scale,
        logitScale,
        tau,
        dropout,
        initialRatio,
        maxPerClass,
        seed,
        m,
        sampledAbove,
        sampledOthers);
  }

  public boolean isAdaptive() {
    return mode == Mode.ADAPTIVE;
  }

  public HyperParameters {
    if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    if (batchSize < 1)
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    if (!(learningRate > 0))
      throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
    if (!(dropout >= 0 && dropout < 1))
      throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
    if (maxPerClass < 0)
      throw new IllegalArgumentException("maxPerClass must be >= 0, got " + maxPerClass);
    if (mode == null) mode = Mode.REFERENCE;
    if (sampledAbove < 0)
      throw new IllegalArgumentException("sampledAbove must be >= 0, got " + sampledAbove);
    if (sampledOthers < 1)
      throw new IllegalArgumentException("sampledOthers must be >= 1, got " + sampledOthers);
  }

  /**
   * Whether a fit over {@code classes} classes takes sampled-class steps: more than {@link
   * #sampledAbove} classes, unless that is 0.
   */
  public boolean samplesClasses(int classes) {
    return sampledAbove > 0 && classes > sampledAbove;
  }

  /** A fit over more than {@code v} classes samples them (0: never). */
  public HyperParameters withSampledAbove(int v) {
    return new HyperParameters(
        epochs,
        batchSize,
        learningRate,
        warmupLearningRate,
        momentum,
        weightDecay,
        scale,
        logitScale,
        tau,
        dropout,
        initialRatio,
        maxPerClass,
        seed,
        mode,
        v,
        sampledOthers);
  }

  /** A sampled-class step draws {@code v} classes besides its batch's own. */
  public HyperParameters withSampledOthers(int v) {
    return new HyperParameters(
        epochs,
        batchSize,
        learningRate,
        warmupLearningRate,
        momentum,
        weightDecay,
        scale,
        logitScale,
        tau,
        dropout,
        initialRatio,
        maxPerClass,
        seed,
        mode,
        sampledAbove,
        v);
  }

  public HyperParameters withEpochs(int v) {
    return new HyperParameters(
        v,
        batchSize,
        learningRate,
        warmupLearningRate,
        momentum,
        weightDecay,
        scale,
        logitScale,
        tau,
        dropout,
        initialRatio,
        maxPerClass,
        seed,
        mode,
        sampledAbove,
        sampledOthers);
  }

  public HyperParameters withBatchSize(int v) {
    return new HyperParameters(
        epochs,
        v,
        learningRate,
        warmupLearningRate,
        momentum,
        weightDecay,
        scale,
        logitScale,
        tau,
        dropout,
        initialRatio,
        maxPerClass,
        seed,
        mode,
        sampledAbove,
        sampledOthers);
  }

  public HyperParameters withLearningRate(double v) {
    return new HyperParameters(
        epochs,
        batchSize,
        v,
        warmupLearningRate,
        momentum,
        weightDecay,
        scale,
        logitScale,
        tau,
        dropout,
        initialRatio,
        maxPerClass,
        seed,
        mode,
        sampledAbove,
        sampledOthers);
  }

  public HyperParameters withScale(double v) {
    return new HyperParameters(
        epochs,
        batchSize,
        learningRate,
        warmupLearningRate,
        momentum,
        weightDecay,
        v,
        logitScale,
        tau,
        dropout,
        initialRatio,
        maxPerClass,
        seed,
        mode,
        sampledAbove,
        sampledOthers);
  }

  public HyperParameters withDropout(double v) {
    return new HyperParameters(
        epochs,
        batchSize,
        learningRate,
        warmupLearningRate,
        momentum,
        weightDecay,
        scale,
        logitScale,
        tau,
        v,
        initialRatio,
        maxPerClass,
        seed,
        mode,
        sampledAbove,
        sampledOthers);
  }

  public HyperParameters withMaxPerClass(int v) {
    return new HyperParameters(
        epochs,
        batchSize,
        learningRate,
        warmupLearningRate,
        momentum,
        weightDecay,
        scale,
        logitScale,
        tau,
        dropout,
        initialRatio,
        v,
        seed,
        mode,
        sampledAbove,
        sampledOthers);
  }

  public HyperParameters withSeed(long v) {
    return new HyperParameters(
        epochs,
        batchSize,
        learningRate,
        warmupLearningRate,
        momentum,
        weightDecay,
        scale,
        logitScale,
        tau,
        dropout,
        initialRatio,
        maxPerClass,
        v,
        mode,
        sampledAbove,
        sampledOthers);
  }

  /**
   * Learning rate of an epoch: the first runs at {@link #warmupLearningRate}, epoch e ≥ 1 at {@code
   * lr · (1 + cos(π e / epochs)) / 2} (the reference's cosine schedule).
   */
  public double learningRateAt(int epoch) {
    if (epoch == 0) {
      return warmupLearningRate;
    }
    return 0.5 * learningRate * (1 + Math.cos(Math.PI * epoch / epochs));
  }
}
