package ai.candle.cli.ops;

import ai.candle.cli.internals.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code candle models}: the model versions on the models topic and its history. */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = {
      "The model versions the trainer published on the models topic (candle.models): list them, show one, roll "
          + "back to one (republished as the newest), or pin the scorers to one (a scorer setting).",
      "",
      "The models topic is compacted: Kafka keeps at least the newest version of each model, and older ones until "
          + "the log cleaner removes them. Every version is written to the models' history too (candle.models.history, "
          + "uncompacted, in the same transaction), which these commands read by default (--topic), so versions the "
          + "cleaner removed can still be listed, shown and rolled back to.",
      ""
    },
    subcommands = {
      ModelsListCommand.class,
      ModelsShowCommand.class,
      ModelsRollbackCommand.class,
      ModelsPinCommand.class
    })
public final class ModelsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine()
        .getErr()
        .println(
            "candle models: name a subcommand (list, show, rollback, pin); see candle models --help");
    return ExitCodes.USAGE;
  }
}
