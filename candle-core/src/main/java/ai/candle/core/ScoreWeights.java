package ai.candle.core;

/**
 * How the ADAPTIVE configuration scores: zero-shot CLIP's logits plus learnt corrections, each with
 * its weight, on the classes that have images (base classes):
 *
 * <pre>
 * score_c(x) = s·cos(x, t_c) + [c base]·( λ·s·G̃_c(x) + η·(H_c(x) − mean over base b of H_b(x)) + β )
 * </pre>
 *
 * s is CLIP's logit scale, G̃ the image-evidence term of {@link GaussianPrior} (with text weight
 * k), H the Candle head's test-phase scores and β an offset that calibrates base classes against
 * new ones. Classes without images always score exactly as zero-shot CLIP; with {@link #ZERO} every
 * class does. The weights are chosen per fit on the training data ({@link WeightSelection}),
 * zero-shot itself a candidate.
 *
 * @param textWeight k, how many images a class's text is worth in {@link GaussianPrior}'s class
 *     means (> 0; irrelevant when {@code priorWeight} is 0)
 * @param priorWeight λ, the weight of the Gaussian term (≥ 0)
 * @param headWeight η, the weight of the Candle head's base-centred scores (≥ 0)
 * @param baseOffset β, added to every base class's score, in logits (any sign)
 */
public record ScoreWeights(
    double textWeight, double priorWeight, double headWeight, double baseOffset) {

  /** Zero-shot CLIP: every correction off. */
  public static final ScoreWeights ZERO = new ScoreWeights(1.0, 0, 0, 0);

  public ScoreWeights {
    if (!(textWeight > 0) || Double.isInfinite(textWeight)) {
      throw new IllegalArgumentException("text weight k must be finite and > 0, got " + textWeight);
    }
    if (!(priorWeight >= 0) || Double.isInfinite(priorWeight)) {
      throw new IllegalArgumentException(
          "prior weight λ must be finite and >= 0, got " + priorWeight);
    }
    if (!(headWeight >= 0) || Double.isInfinite(headWeight)) {
      throw new IllegalArgumentException(
          "head weight η must be finite and >= 0, got " + headWeight);
    }
    if (!Double.isFinite(baseOffset)) {
      throw new IllegalArgumentException("base offset β must be finite, got " + baseOffset);
    }
  }

  /** True when every score is zero-shot CLIP's. */
  public boolean isZeroShot() {
    return priorWeight == 0 && headWeight == 0 && baseOffset == 0;
  }

  /**
   * True when the Candle head takes part in the score (η > 0): only then is it worth fitting and
   * running.
   */
  public boolean usesHead() {
    return headWeight > 0;
  }

  public ScoreWeights withHeadWeight(double eta) {
    return new ScoreWeights(textWeight, priorWeight, eta, baseOffset);
  }

  public ScoreWeights withBaseOffset(double beta) {
    return new ScoreWeights(textWeight, priorWeight, headWeight, beta);
  }
}
