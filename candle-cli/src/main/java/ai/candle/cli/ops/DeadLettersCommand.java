package ai.candle.cli.ops;

import ai.candle.cli.internals.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code candle dead-letters}: what the streams app rejected, and sending it back. */
@Command(
    name = "dead-letters",
    mixinStandardHelpOptions = true,
    description = {
      "The records the streams app rejected (candle.dead-letter): each keeps the original key and value, where it "
          + "came from (topic, partition, offset) and why (a bounded reason and a sentence). List them, or replay "
          + "them: send the originals back to their topic once the cause is fixed.",
      ""
    },
    subcommands = {DeadLettersListCommand.class, DeadLettersReplayCommand.class})
public final class DeadLettersCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine()
        .getErr()
        .println(
            "candle dead-letters: name a subcommand (list, replay); "
                + "see candle dead-letters --help");
    return ExitCodes.USAGE;
  }
}
