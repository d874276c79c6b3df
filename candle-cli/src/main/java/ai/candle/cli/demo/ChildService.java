package ai.candle.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A service of the demo (the streams app, the trainer) as a child JVM on the demo's own classpath,
 * its output in a log file in the report folder. Closing it sends SIGTERM (the service's shutdown
 * hook closes its Kafka clients), then SIGKILL if it hangs.
 */
public final class ChildService implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private ChildService(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  static ChildService start(
      String name, String mainClass, List<String> jvmOptions, List<String> args, Path log)
      throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>(List.of(java.toString()));
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-Dai.djl.offline=true",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.log.ai.candle=info",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
            "-cp",
            System.getProperty("java.class.path"),
            mainClass));
    command.addAll(args);
    Files.createDirectories(log.getParent());
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    return new ChildService(name, p, log);
  }

  /**
   * Waits for a line containing {@code text}; fails with the log's tail if the service died or took
   * too long.
   */
  void awaitLog(String text, Duration timeout) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(text)) {
        return;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name
                + " exited with status "
                + process.exitValue()
                + " before logging '"
                + text
                + "'; see "
                + log
                + ":\n"
                + tail(20));
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        name + " did not log '" + text + "' within " + timeout + "; see " + log + ":\n" + tail(20));
  }

  /** The first log line containing {@code text}, or null. */
  String firstLine(String text) throws IOException {
    return Files.readAllLines(log).stream().filter(l -> l.contains(text)).findFirst().orElse(null);
  }

  /** The child JVM's process id. */
  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String name() {
    return name;
  }

  public Path log() {
    return log;
  }

  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
