package ai.candle.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/**
 * Chooses the device a fit or a scorer runs on. {@code auto} (the default) takes the first GPU when
 * DJL's PyTorch engine sees one (CUDA native library present, see the {@code cuda} Maven profile)
 * and the CPU otherwise. Override with the system property {@code candle.device} or the environment
 * variable {@code CANDLE_DEVICE}: {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}.
 */
public final class Devices {
  private Devices() {}

  /** The device named by configuration, or chosen automatically. */
  public static Device choose() {
    String spec =
        System.getProperty("candle.device", System.getenv().getOrDefault("CANDLE_DEVICE", "auto"));
    return parse(spec);
  }

  /** Parses {@code auto|cpu|gpu|gpu:N}; a GPU that is not there is an error, not a fallback. */
  public static Device parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.isEmpty() || s.equals("auto")) {
      return Engine.getInstance().defaultDevice();
    }
    if (s.equals("cpu")) {
      return Device.cpu();
    }
    if (s.startsWith("gpu") || s.startsWith("cuda")) {
      int colon = s.indexOf(':');
      int id = colon < 0 ? 0 : Integer.parseInt(s.substring(colon + 1));
      int gpus = Engine.getInstance().getGpuCount();
      if (id >= gpus) {
        throw new IllegalArgumentException(
            "device "
                + spec
                + " asked for, but DJL sees "
                + gpus
                + " GPU(s): install the CUDA build"
                + " (mvn -Pcuda) on a machine with an NVIDIA driver, or use --device cpu");
      }
      return Device.gpu(id);
    }
    throw new IllegalArgumentException(
        "unknown device '" + spec + "': use auto, cpu, gpu or gpu:N");
  }
}
