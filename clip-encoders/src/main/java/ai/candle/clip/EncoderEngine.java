package ai.candle.clip;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The DJL engine that runs a CLIP encoder, and the model format it reads. */
public enum EncoderEngine {

  /** TorchScript on DJL's PyTorch engine: the CPU, or the first GPU with the CUDA build. */
  PYTORCH(
      "pytorch",
      "PyTorch",
      "a TorchScript file (torch.jit.trace(model, example).save(\"encoder.pt\"))",
      "the PyTorch native library, which comes from the Maven build (ai.djl.pytorch:"
          + "pytorch-native-cpu, or pytorch-native-cu124 with -Pcuda); DJL does not download"
          + " it at run time"),
  /** ONNX on DJL's OnnxRuntime engine (CPU with com.microsoft.onnxruntime:onnxruntime). */
  ONNXRUNTIME(
      "onnxruntime",
      "OnnxRuntime",
      "an ONNX file (torch.onnx.export(model, example, \"encoder.onnx\", dynamic_axes="
          + "{<input>: {0: \"n\"}}))",
      "com.microsoft.onnxruntime:onnxruntime (or onnxruntime_gpu) on the class path"),
  /** ONNX compiled by TensorRT on DJL's TensorRT engine: NVIDIA GPUs only. */
  TENSORRT(
      "tensorrt",
      "TensorRT",
      "an ONNX file (torch.onnx.export(...), as for onnxruntime), which TensorRT compiles when"
          + " it loads",
      "an NVIDIA GPU with its CUDA driver and the TensorRT 8 libraries (libnvinfer.so.8,"
          + " libnvonnxparser.so.8; DJL 0.33's engine is built for TensorRT 8.4) on the library"
          + " path (LD_LIBRARY_PATH); TensorRT does not run on a CPU, so where there is no GPU"
          + " use encoder.engine=pytorch or onnxruntime");

  private final String setting;
  private final String djlName;
  private final String format;
  private final String requirement;

  EncoderEngine(String setting, String djlName, String format, String requirement) {
    this.setting = setting;
    this.djlName = djlName;
    this.format = format;
    this.requirement = requirement;
  }

  /** The name in settings: {@code pytorch}, {@code onnxruntime}, {@code tensorrt}. */
  public String setting() {
    return setting;
  }

  /** DJL's engine name ({@code Engine.getEngine}). */
  public String djlName() {
    return djlName;
  }

  /** The model file this engine loads, and how to export one. */
  public String format() {
    return format;
  }

  /** What the engine needs on the machine. */
  public String requirement() {
    return requirement;
  }

  /**
   * @throws IllegalArgumentException for a name other than the settings' names (any case)
   */
  public static EncoderEngine parse(String name) {
    for (EncoderEngine engine : values()) {
      if (engine.setting.equals(name.trim().toLowerCase(Locale.ROOT))) {
        return engine;
      }
    }
    throw new IllegalArgumentException(
        "unknown encoder engine '"
            + name
            + "'; one of: "
            + Arrays.stream(values())
                .map(EncoderEngine::setting)
                .collect(Collectors.joining(", ")));
  }
}
