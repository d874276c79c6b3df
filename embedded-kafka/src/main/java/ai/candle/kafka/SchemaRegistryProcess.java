package ai.candle.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real schema registry for the registry wire format, without Docker: Apicurio Registry (its
 * Confluent-compatible {@code ccompat} API), the prebuilt Quarkus application from Maven Central
 * that this module's build unpacks into {@code target/schema-registry}, started as a child JVM with
 * in-memory storage on a free loopback port. Configured like Confluent's defaults: BACKWARD
 * compatibility, and one id per schema whatever its JSON formatting (canonical hashing).
 *
 * <p>The tests and {@code ./candle demo --serde registry} use it. The registry's home is the system
 * property {@value #HOME_PROPERTY} or the environment variable {@value #HOME_ENV}, else {@code
 * embedded-kafka/target/schema-registry} found from the working directory upwards.
 */
public final class SchemaRegistryProcess implements AutoCloseable {
  public static final String HOME_PROPERTY = "candle.registry.home";
  public static final String HOME_ENV = "CANDLE_REGISTRY_HOME";

  /** The ccompat API's path: append it to the host and port. */
  public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

  private static final Pattern LISTENING =
      Pattern.compile("Listening on: http://127\\.0\\.0\\.1:(\\d+)");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private final Process process;
  private final int port;

  private SchemaRegistryProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts the registry found by {@link #home()}, its log in {@code log}. */
  public static SchemaRegistryProcess start(Path log) {
    return start(home(), log);
  }

  /**
   * Starts the registry of an unpacked distribution; returns once its ccompat API answers.
   *
   * @throws IllegalStateException when it does not start within two minutes (the log says why)
   */
  public static SchemaRegistryProcess start(Path home, Path log) {
    Path jar = runnerJar(home);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=0",
                "-Dquarkus.log.category.\"io.quarkus\".level=INFO",
                "-Dregistry.rules.global.compatibility=BACKWARD",
                "-Dregistry.ccompat.use-canonical-hash=true",
                "-jar",
                jar.toString()));
    try {
      Files.createDirectories(log.toAbsolutePath().getParent());
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      int port = awaitPort(p, log);
      SchemaRegistryProcess registry = new SchemaRegistryProcess(p, port);
      registry.awaitApi(log);
      return registry;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the schema registry " + jar, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the schema registry", e);
    }
  }

  /**
   * The base URL of its Confluent-compatible API, e.g. {@code
   * http://127.0.0.1:40123/apis/ccompat/v7}.
   */
  public String url() {
    return "http://127.0.0.1:" + port + CCOMPAT_PATH;
  }

  /** Where the unpacked distribution is (see the class documentation). */
  public static Path home() {
    String configured = System.getProperty(HOME_PROPERTY, System.getenv(HOME_ENV));
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("embedded-kafka/target/schema-registry");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "no schema registry found: build the project (mvn -pl embedded-kafka"
            + " test-compile unpacks Apicurio Registry into embedded-kafka/target/schema-registry) or set "
            + HOME_PROPERTY
            + " / "
            + HOME_ENV
            + " to an unpacked io.apicurio:apicurio-registry-app:tar.gz:all");
  }

  private static Path runnerJar(Path home) {
    try (Stream<Path> files = Files.list(home)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
          .findFirst()
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "no *-runner.jar in "
                          + home
                          + ": not an unpacked"
                          + " apicurio-registry-app distribution"));
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read the schema registry's home " + home + " (" + e + ")", e);
    }
  }

  private static int awaitPort(Process p, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        Matcher m = LISTENING.matcher(Files.readString(log));
        if (m.find()) {
          return Integer.parseInt(m.group(1));
        }
      }
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "the schema registry exited with " + p.exitValue() + "; see " + log);
      }
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new IllegalStateException(
        "the schema registry did not start within " + START_TIMEOUT + "; see " + log);
  }

  private void awaitApi(Path log) throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest probe =
        HttpRequest.newBuilder(URI.create(url() + "/subjects"))
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    close();
    throw new IllegalStateException(
        "the schema registry's API did not answer within " + START_TIMEOUT + "; see " + log);
  }

  /** Stops it (SIGTERM, then SIGKILL after 15 s). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
