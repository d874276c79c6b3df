package ai.candle.core;

import java.util.List;

/**
 * What a fit measured.
 *
 * @param epochLoss mean batch loss of each epoch
 * @param epochSeconds wall time of each epoch
 * @param totalSeconds wall time of the whole fit, preparation included
 * @param samples training images the fit used
 * @param device the device the fit ran on, e.g. {@code cpu()} or {@code gpu(0)}
 * @param imageScatter within-class scatter W of the training images: {@code Σ|x − m_y|² / Σ(n_c −
 *     1)}, the mean squared distance of an image to its class's visual prototype (raw feature
 *     units); 0 when no class had two images. The ADAPTIVE prior term ({@link GaussianPrior}) reads
 *     it.
 */
public record FitStats(
    List<Double> epochLoss,
    List<Double> epochSeconds,
    double totalSeconds,
    int samples,
    String device,
    double imageScatter) {

  public FitStats {
    if (!(imageScatter >= 0) || Double.isInfinite(imageScatter)) {
      throw new IllegalArgumentException(
          "image scatter must be finite and >= 0, got " + imageScatter);
    }
  }

  public static FitStats none(String device) {
    return new FitStats(List.of(), List.of(), 0, 0, device, 0);
  }

  /** The same statistics with another image scatter. */
  public FitStats withImageScatter(double w) {
    return new FitStats(epochLoss, epochSeconds, totalSeconds, samples, device, w);
  }
}
