package ai.candle.cli.demo;

import ai.candle.schemas.WireFormat;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of the services a command starts on the embedded default ({@link DemoServices}):
 * shared by {@code candle demo} and {@code candle soak} as a picocli mixin. The ports have no
 * default here: each command says its own ({@link #settings}).
 */
public final class ServiceOptions {
  @Option(
      names = "--fit-epochs",
      paramLabel = "N",
      defaultValue = "5",
      description =
          "Epochs of each refit (the paper uses 50; fewer keep refits to seconds on a small CPU). Default: ${DEFAULT-VALUE}.")
  int fitEpochs;

  @Option(
      names = "--max-per-class",
      paramLabel = "N",
      defaultValue = "50",
      description =
          "Training samples the trainer keeps per class (the service's default is 100). Default: ${DEFAULT-VALUE}.")
  int maxPerClass;

  @Option(
      names = "--streams-metrics-port",
      paramLabel = "PORT",
      description =
          "Prometheus endpoint of the streams app (0: any free port). Default: 9464 for demo, 0 for soak.")
  Integer streamsMetricsPort;

  @Option(
      names = "--trainer-metrics-port",
      paramLabel = "PORT",
      description =
          "Prometheus endpoint of the trainer (0: any free port). Default: 9465 for demo, 0 for soak.")
  Integer trainerMetricsPort;

  @Option(
      names = "--serde",
      paramLabel = "FORMAT",
      defaultValue = "single-object",
      converter = WireFormatConverter.class,
      description =
          "The wire format the services write: single-object, or registry (also starts a schema registry,"
              + " Apicurio Registry's Confluent-compatible API, and points every service at it). Default: ${DEFAULT-VALUE}.")
  WireFormat serde;

  /** Parses {@code single-object|registry}. */
  static final class WireFormatConverter implements picocli.CommandLine.ITypeConverter<WireFormat> {
    @Override
    public WireFormat convert(String value) {
      return WireFormat.fromSetting(value);
    }
  }

  /** What to start, with the command's default ports where none was given. */
  public DemoServices.Settings settings(
      Path folder,
      int featureWidth,
      String clipModelId,
      int defaultStreamsPort,
      int defaultTrainerPort) {
    return new DemoServices.Settings(
        folder,
        featureWidth,
        clipModelId,
        fitEpochs,
        maxPerClass,
        streamsMetricsPort != null ? streamsMetricsPort : defaultStreamsPort,
        trainerMetricsPort != null ? trainerMetricsPort : defaultTrainerPort,
        serde);
  }

  public int fitEpochs() {
    return fitEpochs;
  }

  public int maxPerClass() {
    return maxPerClass;
  }
}
