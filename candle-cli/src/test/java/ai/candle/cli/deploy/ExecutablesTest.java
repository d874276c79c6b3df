package ai.candle.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** A program the deployment tests need and cannot find fails the test with what to install. */
class ExecutablesTest {

  @Test
  void aMissingProgramFailsWithWhatToInstall() {
    AssertionFailedError e =
        assertThrows(
            AssertionFailedError.class,
            () -> Executables.require("candle-no-such-program", "a test needs it"));
    assertTrue(
        e.getMessage().contains("candle-no-such-program is not on the PATH"), e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install prometheus"), e.getMessage());
  }

  @Test
  void aProgramOnThePathIsFound() {
    assertTrue(
        Executables.require("sh", "the topic script runs with it").toString().endsWith("/sh"));
  }
}
