package ai.candle.streams.it;

import ai.candle.kafka.JvmProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The trainer ({@code ai.candle.trainer.TrainerApp}, a test dependency of this module) as its own
 * JVM beside the streams app, on the default topics, its endpoint on a free loopback port.
 */
final class TrainerProcess {

  static final String MAIN_CLASS = "ai.candle.trainer.TrainerApp";

  private TrainerProcess() {}

  /**
   * Starts the trainer for features of {@code width}; its output goes to {@code log} (appended).
   */
  static JvmProcess start(String bootstrapServers, int width, Path log) throws IOException {
    return start(List.of(), bootstrapServers, width, log);
  }

  /** As above, with these JVM options after the defaults (a later {@code -Xmx} wins). */
  static JvmProcess start(List<String> jvmOptions, String bootstrapServers, int width, Path log)
      throws IOException {
    return JvmProcess.start(
        MAIN_CLASS,
        jvmOptions,
        List.of(
            "--bootstrap-servers",
            bootstrapServers,
            "--feature-width",
            Integer.toString(width),
            "--clip-model-id",
            "synthetic",
            "--metrics-address",
            "127.0.0.1",
            "--metrics-port",
            "0"),
        log);
  }
}
