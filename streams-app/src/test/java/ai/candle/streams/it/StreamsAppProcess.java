package ai.candle.streams.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The streams app ({@code ai.candle.streams.StreamsApp}) as its own JVM, started with this test's
 * classpath, so a test can kill it with SIGKILL like a crashed machine would.
 */
final class StreamsAppProcess implements AutoCloseable {

    static final String MAIN_CLASS = "ai.candle.streams.StreamsApp";

    private final Process process;
    private final Path log;

    private StreamsAppProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts the app; its stdout and stderr go to {@code log} (appended, so restarts share one file). */
    static StreamsAppProcess start(String bootstrapServers, Path stateDir, String applicationId, Path log,
                                   List<String> extraArgs) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx1g",
                "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                "-cp", System.getProperty("java.class.path"), MAIN_CLASS,
                "--bootstrap-servers", bootstrapServers,
                "--state-dir", stateDir.toString(),
                "--application-id", applicationId,
                // any free port: tests may run several apps at once; a later --metrics-port wins
                "--metrics-port", "0"));
        command.addAll(extraArgs);
        Files.createDirectories(log.getParent());
        Files.writeString(log, "=== " + Instant.now() + " " + String.join(" ", command.subList(6, command.size()))
                + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return new StreamsAppProcess(process, log);
    }

    /** SIGKILL: no shutdown hook, no commit, no transaction abort. Returns the exit code (137). */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("streams app did not die within 30 s of SIGKILL");
        }
        return process.exitValue();
    }

    /** SIGTERM (the app's shutdown hook closes Kafka Streams), then SIGKILL if it hangs. */
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

    /** The last lines of the app's log, for failure messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + log + ": " + e + ")";
        }
    }

    /** How many lines of the app's log contain {@code text} so far. */
    long logLines(String text) {
        try (var lines = Files.lines(log)) {
            return lines.filter(line -> line.contains(text)).count();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Waits until the log has at least {@code count} lines with {@code text}; fails with the log tail. */
    void awaitLog(String text, long count, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (logLines(text) < count) {
            assertAlive("while waiting for '" + text + "' in its log");
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' in " + log + " within " + timeout
                        + "; last lines:\n" + logTail(40));
            }
            Thread.sleep(200);
        }
    }

    /** Fails with the log tail if the app died by itself. */
    void assertAlive(String when) {
        if (!process.isAlive()) {
            throw new AssertionError("streams app exited with " + process.exitValue() + " " + when
                    + "; last lines of " + log + ":\n" + logTail(60));
        }
    }
}
