package ai.candle.cli.ops;

import ai.candle.cli.internals.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code candle tail}: follow what the services write. */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = {"Follow a topic the services write, decoded.", ""},
    subcommands = {TailPredictionsCommand.class})
public final class TailCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine()
        .getErr()
        .println("candle tail: name what to follow (predictions); see candle tail --help");
    return ExitCodes.USAGE;
  }
}
