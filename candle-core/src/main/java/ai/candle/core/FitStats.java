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
 */
public record FitStats(
    List<Double> epochLoss, List<Double> epochSeconds, double totalSeconds, int samples, String device) {

  public static FitStats none(String device) {
    return new FitStats(List.of(), List.of(), 0, 0, device);
  }
}
