package ai.candle.cli.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Programs the deployment tests run, found on the PATH. */
public final class Executables {

  private Executables() {}

  /**
   * The program {@code name} on the PATH; fails the test, saying how to install it, when it is
   * missing (these tests never skip: CI's .ci/run installs what they need).
   */
  public static Path require(String name, String why) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return fail(
        name
            + " is not on the PATH ("
            + path
            + "), and "
            + why
            + ". Install Prometheus, which brings "
            + "prometheus and promtool: 'apt-get install prometheus' on Debian/Ubuntu (CI's .ci/run does), or "
            + "put the release's binaries on the PATH.");
  }
}
