package ai.candle.streams.it;

import ai.candle.kafka.JvmProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The streams app ({@code ai.candle.streams.StreamsApp}) as its own JVM ({@link JvmProcess}: the
 * test's classpath, a log file, SIGKILL or SIGTERM), so a test can kill it like a crashed machine.
 */
final class StreamsAppProcess {

  static final String MAIN_CLASS = "ai.candle.streams.StreamsApp";

  private StreamsAppProcess() {}

  /**
   * Starts the app; its stdout and stderr go to {@code log} (appended, so restarts share one file).
   */
  static JvmProcess start(
      String bootstrapServers,
      Path stateDir,
      String applicationId,
      Path log,
      List<String> extraArgs)
      throws IOException {
    return start(List.of(), bootstrapServers, stateDir, applicationId, log, extraArgs);
  }

  /** Starts the app with these JVM options after the defaults (a later {@code -Xmx} wins). */
  static JvmProcess start(
      List<String> jvmOptions,
      String bootstrapServers,
      Path stateDir,
      String applicationId,
      Path log,
      List<String> extraArgs)
      throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--bootstrap-servers",
                bootstrapServers,
                "--state-dir",
                stateDir.toString(),
                "--application-id",
                applicationId,
                // any free port: tests may run several apps at once; a later --metrics-port wins
                "--metrics-port",
                "0"));
    args.addAll(extraArgs);
    return JvmProcess.start(MAIN_CLASS, jvmOptions, args, log);
  }

  /** The URL of the app's Prometheus endpoint, as it logged it (port 0 resolved). */
  static String metricsUrl(JvmProcess app) {
    String marker = "Serving Prometheus metrics at ";
    return app.logLines().stream()
        .filter(l -> l.contains(marker))
        .reduce((first, last) -> last)
        .map(l -> l.substring(l.indexOf(marker) + marker.length()).trim())
        .orElseThrow(
            () ->
                new AssertionError(
                    "the app did not log '" + marker + "'; its log:\n" + app.logTail(20)));
  }
}
