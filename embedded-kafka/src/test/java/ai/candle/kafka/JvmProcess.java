package ai.candle.kafka;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A service's main class as its own JVM, started with the test's classpath, so a test can kill it
 * with SIGKILL like a crashed machine would. Output goes to a log file (appended, so restarts share
 * one file) that the test can wait on.
 */
public final class JvmProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;

  private JvmProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code mainClass} with {@code args}, heap {@code -Xmx1g}, logging to {@code log}. */
  public static JvmProcess start(String mainClass, List<String> args, Path log) throws IOException {
    return start(mainClass, List.of(), args, log);
  }

  /**
   * Starts {@code mainClass} with {@code args}, logging to {@code log}; {@code jvmOptions} come
   * after the defaults (heap {@code -Xmx1g}), so a later {@code -Xmx} there wins.
   */
  public static JvmProcess start(
      String mainClass, List<String> jvmOptions, List<String> args, Path log) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                "-Xmx1g",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.log.ai.candle=info"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(args);
    Files.createDirectories(log.getParent());
    Files.writeString(
        log,
        "=== " + Instant.now() + " " + mainClass + " " + String.join(" ", args) + "\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    return new JvmProcess(mainClass.substring(mainClass.lastIndexOf('.') + 1), process, log);
  }

  /** SIGKILL: no shutdown hook runs. Returns the exit code (137). */
  public int kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " did not die within 30 s of SIGKILL");
    }
    return process.exitValue();
  }

  /** Waits until the log has {@code count} lines containing {@code text}, failing with its tail. */
  public void awaitLog(String text, int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (countInLog(text) >= count) {
        return;
      }
      assertAlive("while waiting for '" + text + "'");
      Thread.sleep(50);
    }
    throw new AssertionError(
        name
            + " did not log '"
            + text
            + "' "
            + count
            + " time(s) within "
            + timeout
            + "; last lines of "
            + log
            + ":\n"
            + logTail(60));
  }

  /** Waits until the process exits by itself; returns its exit code. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(
          name
              + " did not exit within "
              + timeout
              + "; last lines of "
              + log
              + ":\n"
              + logTail(40));
    }
    return process.exitValue();
  }

  /**
   * Completes with the exit status when the process ends; callbacks run the moment it ends, so they
   * can time it while the test's thread is busy.
   */
  public CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  /** The process id (for jcmd and the like). */
  public long pid() {
    return process.pid();
  }

  /** Whether the process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Every line of the log so far. */
  public List<String> logLines() {
    try {
      return Files.readAllLines(log);
    } catch (IOException e) {
      return List.of();
    }
  }

  /** Lines of the log that contain {@code text}. */
  public long countInLog(String text) {
    try {
      return Files.readAllLines(log).stream().filter(l -> l.contains(text)).count();
    } catch (IOException e) {
      return 0;
    }
  }

  /** SIGTERM (the service's shutdown hook runs), then SIGKILL if it hangs. */
  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The last lines of the log, for failure messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log at " + log + ": " + e + ")";
    }
  }

  /** Fails with the log tail if the process exited by itself. */
  public void assertAlive(String when) {
    if (!process.isAlive()) {
      throw new AssertionError(
          name
              + " exited with "
              + process.exitValue()
              + " "
              + when
              + "; last lines of "
              + log
              + ":\n"
              + logTail(60));
    }
  }
}
