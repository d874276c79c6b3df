package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.io.FeaturesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes a person can make: one line on stderr, nothing on stdout, exit code 2. */
class CliErrorsTest {
  @TempDir Path tmp;

  private static void assertOneLineError(CliRun run, String expectedFragment) {
    assertEquals(Main.EXIT_USAGE, run.exitCode(), run.err());
    assertEquals("", run.out());
    assertEquals(1, run.errLines().size(), "one line on stderr: " + run.err());
    assertTrue(run.err().contains(expectedFragment), run.err());
  }

  @Test
  void missingDatasetDirectory() {
    Path missing = tmp.resolve("no-such-dataset");
    CliRun run = CliRun.of("evaluate", "--dataset", missing.toString(), "--json");
    assertOneLineError(run, "does not exist");
    assertTrue(run.err().startsWith("candle evaluate: "), run.err());
    assertTrue(run.err().contains(missing.toString()), run.err());
  }

  @Test
  void directoryWithoutFeatures() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("empty"));
    assertOneLineError(CliRun.of("evaluate", "--dataset", dir.toString()), "features.npz");
  }

  @Test
  void arraysThatDoNotFit() throws Exception {
    Path dir = tmp.resolve("bad");
    assertEquals(
        0,
        CliRun.of(
                "generate",
                "--out",
                dir.toString(),
                "--classes",
                "4",
                "--dim",
                "16",
                "--shots",
                "2",
                "--test-per-class",
                "2")
            .exitCode());
    Files.writeString(dir.resolve("classes.txt"), "a\nb\nc\n"); // 3 names for 4 text features
    assertOneLineError(CliRun.of("evaluate", "--dataset", dir.toString(), "--json"), "class names");
  }

  @Test
  void baseClassWithoutTrainingImages() throws Exception {
    Path dir = tmp.resolve("unfittable");
    assertEquals(
        0,
        CliRun.of(
                "generate",
                "--out",
                dir.toString(),
                "--classes",
                "4",
                "--base-classes",
                "2",
                "--dim",
                "16",
                "--shots",
                "2",
                "--test-per-class",
                "2")
            .exitCode());
    FeaturesDataset d = FeaturesDataset.read(dir);
    // class 2 has no training images but is declared base
    new FeaturesDataset(
            d.trainFeatures(),
            d.trainLabels(),
            d.testFeatures(),
            d.testLabels(),
            d.textFeatures(),
            3,
            d.classNames())
        .write(dir);
    assertOneLineError(
        CliRun.of("evaluate", "--dataset", dir.toString(), "--json"), "base class 2");
  }

  @Test
  void unknownDevice() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("any"));
    assertOneLineError(
        CliRun.of("evaluate", "--dataset", dir.toString(), "--device", "tpu"),
        "unknown device 'tpu'");
    assertOneLineError(
        CliRun.of("evaluate", "--dataset", dir.toString(), "--device", "gpu:x"),
        "unknown device 'gpu:x'");
  }

  @Test
  void badOptionValues() {
    assertOneLineError(
        CliRun.of("evaluate", "--dataset", "x", "--epochs", "many"), "'many' is not an int");
    assertOneLineError(CliRun.of("evaluate", "--benchmark", "nope"), "unknown benchmark 'nope'");
    assertOneLineError(CliRun.of("evaluate", "--dataset", "x", "--bogus"), "--bogus");
    assertOneLineError(
        CliRun.of("generate", "--out", tmp.resolve("g").toString(), "--dim", "60"),
        "multiple of 8");
    assertOneLineError(
        CliRun.of("generate", "--out", tmp.resolve("g").toString(), "--benchmark", "lt-3shot"),
        "lt-16shot");
    assertOneLineError(CliRun.of(), "name a command");
  }

  @Test
  void verboseAddsTheStackTrace() {
    CliRun run = CliRun.of("evaluate", "--dataset", tmp.resolve("missing").toString(), "--verbose");
    assertEquals(Main.EXIT_USAGE, run.exitCode());
    assertTrue(run.err().contains("\tat ai.candle.cli."), run.err());
    assertTrue(run.err().contains("candle evaluate: dataset directory"), run.err());
  }
}
