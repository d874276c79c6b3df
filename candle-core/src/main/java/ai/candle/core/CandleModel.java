package ai.candle.core;

import java.util.List;

/**
 * Everything needed to score with a fitted Candle head.
 *
 * <p>Classes are in model order: the {@code baseClasses} classes that had training images first
 * (their visual prototypes), then the new classes (their virtual prototypes). All feature arrays
 * are raw CLIP features, row-major float32.
 *
 * @param classNames class names in model order
 * @param baseClasses number of base classes Cb (classes {@code 0..Cb-1})
 * @param dim feature width D
 * @param textFeatures C×D text features
 * @param visualPrototypes Cb×D per-class means of the training image features
 * @param classCounts C counts the priors came from
 * @param params the learnt parameters
 * @param hyper hyper-parameters of the fit (SCALE and the logit scale among them)
 * @param stats what the fit measured, the device included
 * @param weights ADAPTIVE: how zero-shot CLIP's logits and the learnt corrections are combined
 *     ({@link ScoreWeights#ZERO}: zero-shot CLIP); ignored in REFERENCE mode
 */
public record CandleModel(
    List<String> classNames,
    int baseClasses,
    int dim,
    float[] textFeatures,
    float[] visualPrototypes,
    float[] classCounts,
    CandleParameters params,
    HyperParameters hyper,
    FitStats stats,
    ScoreWeights weights) {

  public CandleModel {
    classNames = List.copyOf(classNames);
    if (weights == null) {
      throw new IllegalArgumentException(
          "score weights must not be null (ScoreWeights.ZERO is zero-shot CLIP)");
    }
    int c = classNames.size();
    if (baseClasses < 0 || baseClasses > c) {
      throw new IllegalArgumentException("base classes " + baseClasses + " out of range 0.." + c);
    }
    if (params.dim() != dim) {
      throw new IllegalArgumentException(
          "parameters have width " + params.dim() + ", model " + dim);
    }
    if (params.newClasses() != c - baseClasses) {
      throw new IllegalArgumentException(
          "parameters have "
              + params.newClasses()
              + " virtual prototypes, expected "
              + (c - baseClasses));
    }
    if (textFeatures.length != c * dim) {
      throw new IllegalArgumentException(
          "text features: " + textFeatures.length + " values, expected " + c * dim);
    }
    if (visualPrototypes.length != baseClasses * dim) {
      throw new IllegalArgumentException(
          "visual prototypes: "
              + visualPrototypes.length
              + " values, expected "
              + baseClasses * dim);
    }
    if (classCounts.length != c) {
      throw new IllegalArgumentException(
          "class counts: " + classCounts.length + " values, expected " + c);
    }
  }

  public int numClasses() {
    return classNames.size();
  }

  public int newClasses() {
    return numClasses() - baseClasses;
  }

  /** The same fitted model with other hyper-parameters (the mode acts at scoring time). */
  public CandleModel withHyper(HyperParameters h) {
    return new CandleModel(
        classNames,
        baseClasses,
        dim,
        textFeatures,
        visualPrototypes,
        classCounts,
        params,
        h,
        stats,
        weights);
  }

  /** The same fitted model scored with other weights. */
  public CandleModel withWeights(ScoreWeights w) {
    return new CandleModel(
        classNames,
        baseClasses,
        dim,
        textFeatures,
        visualPrototypes,
        classCounts,
        params,
        hyper,
        stats,
        w);
  }

  /**
   * The C×D raw text-side features of the head: in REFERENCE mode the base classes' text features,
   * then the virtual prototypes (the authors' code projects the learnable virtual prototypes for
   * the new classes' text tokens too; the golden vectors agree only with this reading); in ADAPTIVE
   * mode the text features.
   */
  public float[] textSide() {
    if (hyper.isAdaptive()) {
      return textFeatures;
    }
    float[] t = new float[numClasses() * dim];
    System.arraycopy(textFeatures, 0, t, 0, baseClasses * dim);
    float[] virtual = params.virtualPrototypes();
    System.arraycopy(virtual, 0, t, baseClasses * dim, virtual.length);
    return t;
  }

  /** The C×D prototypes {@code [visual; virtual]} before projection. */
  public float[] prototypes() {
    float[] p = new float[numClasses() * dim];
    System.arraycopy(visualPrototypes, 0, p, 0, visualPrototypes.length);
    System.arraycopy(
        params.virtualPrototypes(),
        0,
        p,
        visualPrototypes.length,
        params.virtualPrototypes().length);
    return p;
  }
}
