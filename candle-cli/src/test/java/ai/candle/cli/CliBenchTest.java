package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Smoke runs of {@code candle bench} at tiny sizes: the figures come out and are positive. */
class CliBenchTest {
  @Test
  void stepReportsSecondsAndGflops() {
    CliRun run = CliRun.of("bench", "step", "--classes", "16", "--steps", "1", "--device", "cpu");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("machine: "), run.out());
    Matcher m =
        Pattern.compile(
                "step B=128 C=16 \\(new 8\\) D=512: ([0-9.]+) s/step, CPU ([0-9.]+) s/step,"
                    + " ([0-9.]+) GFLOP/step, ([0-9.]+) GFLOP/s")
            .matcher(run.out());
    assertTrue(m.find(), run.out());
    assertTrue(Double.parseDouble(m.group(1)) > 0);
    assertTrue(Double.parseDouble(m.group(2)) > 0, "CPU seconds per step");
    assertTrue(Double.parseDouble(m.group(4)) > 0);
  }

  @Test
  void scoreReportsThroughputAndNaiveCost() {
    CliRun run =
        CliRun.of(
            "bench",
            "score",
            "--classes",
            "8",
            "--batches",
            "1,4",
            "--seconds",
            "0.2",
            "--naive-images",
            "1",
            "--device",
            "cpu");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("C=8 D=512 batch=1: "), run.out());
    assertTrue(run.out().contains("C=8 D=512 batch=4: "), run.out());
    assertTrue(run.out().contains("naive full attention C=8 D=512: "), run.out());
  }

  @Test
  void scoreMeasuresTheAdaptiveConfigurationOnRequest() {
    // 24 classes, 16 of them base: the Gaussian prior term, not its zero-shot fallback
    CliRun run =
        CliRun.of(
            "bench",
            "score",
            "--mode",
            "adaptive",
            "--classes",
            "24",
            "--batches",
            "2",
            "--seconds",
            "0.2",
            "--naive-images",
            "0",
            "--device",
            "cpu");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("adaptive C=24 D=512 batch=2: "), run.out());
    CliRun bad =
        CliRun.of("bench", "score", "--mode", "fast", "--classes", "8", "--naive-images", "0");
    assertEquals(Main.EXIT_USAGE, bad.exitCode());
    assertTrue(bad.err().contains("unknown --mode 'fast'"), bad.err());
  }

  @Test
  void unknownBenchmarkIsAUsageError() {
    CliRun run = CliRun.of("bench", "everything");
    assertEquals(Main.EXIT_USAGE, run.exitCode());
    assertTrue(run.err().contains("unknown benchmark 'everything'"), run.err());
  }
}
