package ai.candle.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** StreamsApp runs as a child JVM (as the integration tests start it). */
class StreamsAppTest {

  private static Process start(String... args) throws IOException {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                StreamsApp.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  @Test
  void anInvalidFlagExitsWithStatusTwoAndSaysWhy() throws Exception {
    Process app = start("--bootstrap-servers", "localhost:1", "--feature-width", "wide");
    String output = new String(app.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(app.waitFor(60, TimeUnit.SECONDS), "the app exits");

    assertEquals(2, app.exitValue(), output);
    assertTrue(
        output.contains("Invalid configuration: feature.width must be an integer, got 'wide'"),
        output);
  }

  @Test
  void aTakenMetricsPortExitsWithStatusTwoAndSaysWhat() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Process app =
          start(
              "--bootstrap-servers",
              "localhost:1",
              "--metrics-address",
              "127.0.0.1",
              "--metrics-port",
              Integer.toString(taken.getLocalPort()));
      String output = new String(app.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(app.waitFor(60, TimeUnit.SECONDS), "the app exits");

      assertEquals(2, app.exitValue(), output);
      assertTrue(
          output.contains(
              "Invalid configuration: cannot serve metrics on 127.0.0.1:" + taken.getLocalPort()),
          output);
    }
  }
}
