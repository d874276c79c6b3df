package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/settings.md is what the settings' declarations generate: it cannot drift from the code. */
class SettingsReferenceTest {
  @Test
  void docsSettingsIsTheGeneratedReference() throws Exception {
    Path doc = Path.of(System.getProperty("candle.repo", "..")).resolve("docs/settings.md");
    String generated = SettingsCommand.reference();
    assertTrue(
        generated.contains("`--feature-width`") && generated.contains("`CANDLE_FIT_HEAD`"),
        generated);
    assertEquals(
        generated,
        Files.readString(doc),
        "docs/settings.md is stale: regenerate it with ./candle settings > docs/settings.md");
  }

  @Test
  void theCommandPrintsIt() {
    CliRun run = CliRun.of("settings");
    assertEquals(0, run.exitCode(), run.err());
    assertEquals(SettingsCommand.reference(), run.out());
  }
}
