package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** {@code --help} on every command lists and explains every option. */
class CliHelpTest {

  @ParameterizedTest
  @ValueSource(strings = {"", "evaluate", "generate"})
  void helpListsEveryOption(String command) {
    String[] args = command.isEmpty() ? new String[] {"--help"} : new String[] {command, "--help"};
    CliRun run = CliRun.of(args);
    assertEquals(0, run.exitCode(), run.err());
    CommandLine cmd = Main.commandLine();
    CommandLine target = command.isEmpty() ? cmd : cmd.getSubcommands().get(command);
    List<OptionSpec> options = target.getCommandSpec().options();
    assertFalse(options.isEmpty());
    for (OptionSpec option : options) {
      assertTrue(
          run.out().contains(option.longestName()),
          option.longestName() + " missing from:\n" + run.out());
      String description = String.join(" ", option.description());
      assertFalse(description.isBlank(), option.longestName() + " has no description");
    }
    assertTrue(run.out().contains("--verbose"), run.out());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--dataset",
        "--epochs",
        "--batch",
        "--lr",
        "--scale",
        "--seed",
        "--device",
        "--json"
      })
  void evaluateHelpNamesTheIssueOptions(String option) {
    assertTrue(CliRun.of("evaluate", "--help").out().contains(option));
  }
}
