package ai.candle.cli.outside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.cli.demo.DemoServices;
import ai.candle.schemas.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 21, an outside client: examples/python/candle_client.py (Debian's python3-confluent-kafka
 * and python3-avro, written from the documented wire formats) announces classes, sends labelled
 * features and images to score to the embedded default, and reads every image's prediction exactly
 * once, in both wire formats. In registry mode it registers its own copies of the schemas through
 * python3-confluent-kafka's serializer, so the services read writer schemas by id.
 */
class PythonClientTest {
  static final Path SCRIPT = Path.of("..", "examples", "python", "candle_client.py");
  static final int D = 64;
  static final int IMAGES = 20;

  @BeforeAll
  static void pythonHasTheClientLibraries() throws Exception {
    Process p =
        new ProcessBuilder(python(), "-c", "import confluent_kafka, avro, requests")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(
        0,
        p.waitFor(),
        "the Python client test needs python3 with python3-confluent-kafka, python3-avro "
            + "and python3-requests (Debian packages; .ci/run installs them): "
            + out);
  }

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void aPythonClientAnnouncesSendsAndReadsEachPredictionOnce(
      WireFormat serde, @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    DemoServices.quietBrokerLogs();
    try (DemoServices services =
        DemoServices.start(
            new DemoServices.Settings(dir.resolve("run"), D, "synthetic", 5, 64, 0, 0, serde))) {
      List<String> command =
          new ArrayList<>(
              List.of(
                  python(),
                  SCRIPT.toString(),
                  "--bootstrap-servers",
                  services.bootstrapServers(),
                  "--width",
                  Integer.toString(D),
                  "--classes",
                  "4",
                  "--shots",
                  "3",
                  "--images",
                  Integer.toString(IMAGES),
                  "--timeout",
                  "150"));
      if (serde == WireFormat.REGISTRY) {
        command.addAll(
            List.of(
                "--serde",
                "registry",
                "--registry-url",
                services.serde().registryUrl().orElseThrow().toString()));
      }
      Path log = dir.resolve("python.log");
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      boolean ended = p.waitFor(200, TimeUnit.SECONDS);
      if (!ended) {
        p.destroyForcibly();
      }
      String out = Files.readString(log);
      System.out.println("python client, " + serde.setting() + ":\n" + out);
      assertTrue(ended, "the Python client did not end in 200 s:\n" + out);
      assertEquals(0, p.exitValue(), "the Python client failed:\n" + out + "\n" + logs(dir));
      assertTrue(out.contains("predictions " + IMAGES + "/" + IMAGES + " "), out);
      assertTrue(out.contains("duplicates 0"), out);
      assertEachImageOnceThroughKcat(services.bootstrapServers(), out);
      services.assertAlive("after the Python client");
    }
  }

  /**
   * docs/clients.md's kcat line: the image ids predicted, read_committed; each of the client's
   * once.
   */
  private static void assertEachImageOnceThroughKcat(String bootstrap, String pythonOutput)
      throws Exception {
    List<String> ids =
        pythonOutput
            .lines()
            .filter(l -> l.startsWith("prediction "))
            .map(l -> l.split(" ")[1])
            .toList();
    assertEquals(IMAGES, ids.size(), pythonOutput);
    Process kcat =
        new ProcessBuilder(
                "kcat",
                "-b",
                bootstrap,
                "-C",
                "-t",
                "candle.predictions",
                "-X",
                "isolation.level=read_committed",
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                "%k\\n")
            .redirectErrorStream(true)
            .start();
    String keys = new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(kcat.waitFor(60, TimeUnit.SECONDS), "kcat did not end");
    List<String> lines = keys.lines().toList();
    for (String id : ids) {
      assertEquals(
          1, lines.stream().filter(id::equals).count(), "kcat lists " + id + " once:\n" + keys);
    }
  }

  private static String logs(Path dir) throws IOException {
    StringBuilder b = new StringBuilder();
    for (String name : List.of("streams-app.log", "trainer.log")) {
      Path f = dir.resolve("run").resolve(name);
      if (Files.exists(f)) {
        List<String> lines = Files.readAllLines(f);
        b.append("--- ")
            .append(name)
            .append(" (last 40 lines)\n")
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())))
            .append('\n');
      }
    }
    return b.toString();
  }

  private static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }
}
