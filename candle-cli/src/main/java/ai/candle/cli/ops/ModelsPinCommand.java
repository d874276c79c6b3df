package ai.candle.cli.ops;

import ai.candle.cli.internals.UserException;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.TopicNames;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code candle models pin}: checks a version can be pinned and prints the scorer setting that pins
 * it.
 */
@Command(
    name = "pin",
    mixinStandardHelpOptions = true,
    description = {
      "Pinning is a setting of the scorers (the streams app), "
          + ModelsPinCommand.PROPERTY
          + ": a pinned scorer "
          + "serves that version only, once it reads it on the models topic, and ignores every other, newer or "
          + "older. This command checks that the version is on the models topic (the history, --topic, says which "
          + "versions there were) and that its parameters match its "
          + "checksum, and prints the setting as a property, an environment variable and a flag; set it on every "
          + "scorer and restart them. 'none' prints the setting that unpins (-1).",
      "",
      "The models topic is compacted: a pinned version that the log cleaner removes is no longer there for a "
          + "scorer that starts later, and a version only the history still holds cannot be pinned. To serve an old "
          + "version for good, roll back to it (candle models rollback VERSION, which republishes it as the newest) "
          + "and pin the new number.",
      ""
    })
final class ModelsPinCommand implements Callable<Integer> {
  static final String PROPERTY = "scoring.model.pin";
  static final String ENVIRONMENT = "CANDLE_SCORING_MODEL_PIN";
  static final String FLAG = "--scoring-model-pin";

  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Parameters(index = "0", paramLabel = "VERSION", description = "The version to pin, or 'none'.")
  String version;

  @Option(
      names = "--topic",
      paramLabel = "NAME",
      description =
          "The models' history, where the version is looked " + "up. Default: ${DEFAULT-VALUE}.")
  String topic = TopicNames.defaults().modelHistory();

  @Option(
      names = "--models-topic",
      paramLabel = "NAME",
      description =
          "The models topic the scorers read: a pinned "
              + "version must still be there. Default: ${DEFAULT-VALUE}.")
  String modelsTopic = TopicNames.defaults().models();

  @Option(
      names = "--model-name",
      paramLabel = "NAME",
      description =
          "The model (the record key, the services' model.name). Default: the only model on the topic.")
  String modelName;

  @Option(
      names = "--json",
      description =
          "One JSON object on stdout: {\"model\", \"version\", \"property\", "
              + "\"environment\", \"flag\", \"value\"}.")
  boolean json;

  /** What --json prints. */
  record Pin(
      String model, Long version, String property, String environment, String flag, String value) {}

  @Override
  public Integer call() throws Exception {
    Pin pin;
    if (version.equalsIgnoreCase("none")) {
      pin = new Pin(modelName, null, PROPERTY, ENVIRONMENT, FLAG, "-1");
    } else {
      long wanted;
      try {
        wanted = Long.parseLong(version);
      } catch (NumberFormatException e) {
        throw new UserException(
            "VERSION must be a version number or 'none', not '" + version + "'");
      }
      if (wanted < 0) {
        throw new UserException("VERSION must not be negative, got " + wanted);
      }
      pin = KafkaErrors.explained(kafka, () -> check(wanted));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.document(pin));
    } else {
      out.printf(
          Locale.ROOT,
          "%s; set on every scorer, then restart them:%n",
          pin.version() == null
              ? "to unpin the scorers"
              : "version "
                  + pin.version()
                  + " of model "
                  + pin.model()
                  + " is on "
                  + modelsTopic
                  + " and its parameters match their checksum");
      out.printf(
          Locale.ROOT,
          "  %s=%s%n  %s=%s%n  %s %s%n",
          PROPERTY,
          pin.value(),
          ENVIRONMENT,
          pin.value(),
          FLAG,
          pin.value());
    }
    out.flush();
    return 0;
  }

  private Pin check(long wanted) {
    TreeSet<String> models = new TreeSet<>();
    TreeSet<Long> versions = new TreeSet<>();
    ModelVersion[] found = new ModelVersion[1];
    boolean[] onModels = new boolean[1];
    if (!modelsTopic.equals(topic)) {
      ModelEntry.read(
          kafka,
          modelsTopic,
          kafka.timeout(),
          f -> {
            if ((modelName == null || modelName.equals(f.model()))
                && f.version().getVersion() == wanted) {
              onModels[0] = true;
              // a version published before the history existed is found here
              models.add(f.model());
              found[0] = f.version();
            }
          },
          u -> {});
    } else {
      onModels[0] = true;
    }
    ModelEntry.read(
        kafka,
        topic,
        kafka.timeout(),
        f -> {
          if (modelName != null && !modelName.equals(f.model())) {
            return;
          }
          models.add(f.model());
          versions.add(f.version().getVersion());
          if (f.version().getVersion() == wanted && found[0] == null) {
            found[0] = f.version();
          }
        },
        u -> {});
    if (models.size() > 1) {
      throw new UserException(
          "the topic "
              + topic
              + " holds several models "
              + models
              + "; choose one with "
              + "--model-name");
    }
    if (found[0] == null) {
      throw new UserException(
          "no version "
              + wanted
              + " of "
              + (models.isEmpty() ? "any model" : "model " + models.first())
              + " on "
              + topic
              + (versions.isEmpty() ? "" : "; there are " + versions)
              + " (a history with a retention, or the compacted models topic, may have lost older versions)");
    }
    if (!onModels[0]) {
      throw new UserException(
          "version "
              + wanted
              + " of model "
              + models.first()
              + " is on "
              + topic
              + " but no "
              + "longer on "
              + modelsTopic
              + " (compacted): a pinned scorer would serve nothing; roll back to it (candle "
              + "models rollback "
              + wanted
              + ") and pin the new number");
    }
    if (!ModelEntry.checksumMatches(found[0])) {
      throw new UserException(
          "version "
              + wanted
              + "'s parameters do not match its checksum: a scorer would refuse "
              + "it, and serve nothing");
    }
    return new Pin(models.first(), wanted, PROPERTY, ENVIRONMENT, FLAG, Long.toString(wanted));
  }
}
