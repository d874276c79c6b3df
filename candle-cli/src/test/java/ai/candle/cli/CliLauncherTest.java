package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The {@code ./candle} launcher at the repository root: present, executable, valid bash. */
class CliLauncherTest {
  /** Surefire runs in the module directory; the launcher is one level up. */
  private static final Path LAUNCHER = Path.of("").toAbsolutePath().getParent().resolve("candle");

  @Test
  void launcherIsExecutableBash() throws Exception {
    assertTrue(Files.isRegularFile(LAUNCHER), LAUNCHER + " missing");
    assertTrue(Files.isExecutable(LAUNCHER), LAUNCHER + " is not executable");
    String script = Files.readString(LAUNCHER);
    assertTrue(script.startsWith("#!/usr/bin/env bash"), "shebang");
    assertTrue(script.contains("ai.candle.cli.Main"), "runs Main");
    assertTrue(
        script.contains("OMP_WAIT_POLICY=\"${OMP_WAIT_POLICY:-PASSIVE}\""),
        "passive OpenMP wait by default");
    assertTrue(
        script.contains("GLIBC_TUNABLES=\"${GLIBC_TUNABLES:-glibc.malloc.arena_max=1:"),
        "allocator settings by default");
    assertTrue(script.contains("-Dai.djl.offline=true"), "DJL offline");
    assertTrue(script.contains("building candle-stream (first run)..."), "build notice");
  }

  @Test
  void launcherParses() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")),
        "no bash here");
    Process p =
        new ProcessBuilder("bash", "-n", LAUNCHER.toString()).redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bash -n timed out");
    String output = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.exitValue(), output);
  }
}
