package ai.candle.cli;

import ai.candle.cli.internals.UserException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the plain PyTorch step of {@code candle-bench/python/torch_step.py} beside {@code bench
 * step}: a child process with this process's environment (so the same OpenMP wait policy), its
 * output copied through, its figures parsed from its last line.
 */
final class TorchStep {
  static final Path SCRIPT = Path.of("candle-bench", "python", "torch_step.py");
  private static final Pattern FIGURES = Pattern.compile("([0-9.]+) s/step .*CPU ([0-9.]+) s/step");

  private TorchStep() {}

  /** Seconds per step of the plain PyTorch step, wall and CPU. */
  record Result(double secondsPerStep, double cpuSecondsPerStep) {}

  static Result run(String python, int classes, int steps, PrintWriter out)
      throws IOException, InterruptedException {
    if (!Files.isRegularFile(SCRIPT)) {
      throw new UserException(
          "--torch: " + SCRIPT + " not found; run the command from the repository root");
    }
    Process p =
        new ProcessBuilder(
                List.of(
                    python,
                    SCRIPT.toString(),
                    "--classes",
                    Integer.toString(classes),
                    "--steps",
                    Integer.toString(steps)))
            .redirectErrorStream(true)
            .start();
    Result result = null;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        out.println(line);
        out.flush();
        Matcher m = FIGURES.matcher(line);
        if (m.find()) {
          result = new Result(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
        }
      }
    }
    int rc = p.waitFor();
    if (rc != 0 || result == null) {
      throw new UserException("--torch: " + python + " " + SCRIPT + " failed (exit " + rc + ")");
    }
    return result;
  }
}
