package ai.candle.cli;

import ai.candle.cli.internals.UserException;
import ai.candle.cli.ops.DeadLettersCommand;
import ai.candle.cli.ops.ModelsCommand;
import ai.candle.cli.ops.SendCommand;
import ai.candle.cli.ops.TailCommand;
import ai.candle.core.io.FeaturesDatasetException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code candle} command line (run it with {@code ./candle} at the repository root). Each
 * command is a picocli subcommand; {@link #commandLine()} builds the whole tree with its error
 * handling, so tests run commands in-process exactly as the launcher does.
 *
 * <p>Exit codes: 0 success, {@link #EXIT_USAGE} (2) for mistakes a person can fix (bad options, a
 * missing or malformed dataset, an unknown device; one line on stderr), {@link #EXIT_INTERNAL} (1)
 * for anything else. {@code --verbose} adds the stack trace.
 */
@Command(
    name = "candle",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Candle (KDD 2024) on cached CLIP features: fit, score and measure accuracy.",
      "",
      "Try it: ./candle evaluate                 (a synthetic benchmark)%n"
          + "        ./candle generate --out demo --benchmark lt-4shot && ./candle evaluate --dataset demo",
      "",
      "Operate a deployment: send, tail predictions, models list|show|rollback|pin, dead-letters list|replay"
          + " (--bootstrap-servers, --kafka-config).",
      ""
    },
    subcommands = {
      EvaluateCommand.class,
      GenerateCommand.class,
      BenchCommand.class,
      ai.candle.cli.demo.DemoCommand.class,
      ai.candle.cli.soak.SoakCommand.class,
      SettingsCommand.class,
      SendCommand.class,
      TailCommand.class,
      ModelsCommand.class,
      DeadLettersCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Exit codes: 0 ok, 2 a mistake in the command or its input (one line on stderr), 1 an internal error."
    })
public final class Main implements Callable<Integer> {
  /** Exit code of a mistake the user can fix. */
  public static final int EXIT_USAGE = ai.candle.cli.internals.ExitCodes.USAGE;

  /** Exit code of an unexpected failure. */
  public static final int EXIT_INTERNAL = ai.candle.cli.internals.ExitCodes.INTERNAL;

  @Spec CommandSpec spec;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "On an error, print the full stack trace as well as the one-line message.")
  boolean verbose;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    err.println(
        "candle: name a command (evaluate, generate, demo, send, tail, models, dead-letters, ...); "
            + "see candle --help");
    return EXIT_USAGE;
  }

  /** The command tree with the CLI's error handling; set its out/err writers to capture output. */
  public static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setParameterExceptionHandler(Main::handleParameterError);
    cmd.setExecutionExceptionHandler(Main::handleExecutionError);
    return cmd;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  private static int handleParameterError(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    String name = cmd.getCommandSpec().qualifiedName();
    cmd.getErr().println(name + ": " + oneLine(ex.getMessage()) + " (see " + name + " --help)");
    return EXIT_USAGE;
  }

  private static int handleExecutionError(Exception ex, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    boolean verbose = verboseRequested(parsed);
    if (verbose) {
      ex.printStackTrace(err);
    }
    String name = cmd.getCommandSpec().qualifiedName();
    if (isUserError(ex)) {
      err.println(name + ": " + oneLine(ex.getMessage()));
      return EXIT_USAGE;
    }
    err.println(
        name
            + ": internal error: "
            + oneLine(String.valueOf(ex))
            + (verbose ? "" : " (run again with --verbose for the stack trace)"));
    return EXIT_INTERNAL;
  }

  /**
   * Errors whose message tells a person what to fix: the CLI's own, the dataset reader's, I/O on
   * the paths they named, and argument checks of the core library (hyper-parameters, a training set
   * without images for a base class, a device that is not there).
   */
  static boolean isUserError(Throwable ex) {
    return ex instanceof UserException
        || ex instanceof FeaturesDatasetException
        || ex instanceof IOException
        || ex instanceof IllegalArgumentException;
  }

  private static boolean verboseRequested(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  private static String oneLine(String message) {
    return message == null ? "(no message)" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
  }

  /** The version from the jar's manifest, or a development marker when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"candle-stream " + (v != null ? v : "(development build)")};
    }
  }
}
