package ai.candle.cli.ops;

import ai.candle.schemas.TopicNames;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code candle models list}: one line per version on the models' history (or the models topic).
 */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = {
      "List the model versions on the models' history topic (every version published on the models topic, which "
          + "compaction does not erase), oldest first: model, version, origin (FIT, EXTEND, INITIAL), "
          + "classes and base classes, when it was made, its size, the score's weights (text, prior, head) and its "
          + "holdout accuracy (balanced over classes) beside zero-shot CLIP's on the same holdout.",
      ""
    })
final class ModelsListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--topic",
      paramLabel = "NAME",
      description =
          "The topic to read: the models' history (every "
              + "version, uncompacted), or the models topic itself. Default: ${DEFAULT-VALUE}.")
  String topic = TopicNames.defaults().modelHistory();

  @Option(
      names = "--model-name",
      paramLabel = "NAME",
      description =
          "Only this model's versions (the record key, the services' model.name). Default: every model.")
  String modelName;

  @Option(
      names = "--json",
      description =
          "One JSON object on stdout: {\"topic\", \"versions\": [...]}, "
              + "each version with the keys of the text columns and every holdout metric.")
  boolean json;

  /** What --json prints. */
  record Listing(String topic, List<ModelEntry> versions, List<String> unreadable) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    List<ModelEntry> versions = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    KafkaErrors.explained(
        kafka,
        () -> {
          ModelEntry.read(
              kafka,
              topic,
              kafka.timeout(),
              f -> {
                if (modelName == null || modelName.equals(f.model())) {
                  versions.add(f.entry());
                }
              },
              unreadable::add);
          return null;
        });
    if (json) {
      out.println(Json.document(new Listing(topic, versions, unreadable)));
    } else {
      printTable(out, versions);
      unreadable.forEach(
          u -> spec.commandLine().getErr().println("candle models list: skipped " + u));
    }
    out.flush();
    return 0;
  }

  private void printTable(PrintWriter out, List<ModelEntry> versions) {
    if (versions.isEmpty()) {
      out.println(
          "no model versions on "
              + topic
              + (modelName == null ? "" : " for model " + modelName)
              + " (the trainer publishes the first once a class is registered)");
      return;
    }
    String format = "%-10s %7s  %-7s %7s %5s  %-24s %9s  %-17s  %-17s %7s%n";
    out.printf(
        Locale.ROOT,
        format,
        "model",
        "version",
        "origin",
        "classes",
        "base",
        "created at",
        "size",
        "weights t/p/h",
        "holdout (0-shot)",
        "images");
    for (ModelEntry v : versions) {
      out.printf(
          Locale.ROOT,
          format,
          v.model(),
          v.version(),
          v.origin(),
          v.classes(),
          v.baseClasses() < 0 ? "?" : Integer.toString(v.baseClasses()),
          v.createdAt(),
          Text.bytes(v.recordBytes()),
          weights(v),
          holdout(v),
          images(v));
    }
  }

  private static String weights(ModelEntry v) {
    if (v.weights().isEmpty()) {
      return "-";
    }
    return String.format(
        Locale.ROOT,
        "%.2f/%.2f/%.2f",
        v.weights().getOrDefault("text", Double.NaN),
        v.weights().getOrDefault("prior", Double.NaN),
        v.weights().getOrDefault("head", Double.NaN));
  }

  private static String holdout(ModelEntry v) {
    Double candle = v.holdoutMetrics().get("holdout.balanced");
    if (candle == null) {
      return "-";
    }
    return Text.decimal(candle)
        + " ("
        + Text.decimal(v.holdoutMetrics().get("zero_shot.balanced"))
        + ")";
  }

  private static String images(ModelEntry v) {
    Double n = v.holdoutMetrics().get("holdout.images");
    return n == null ? "-" : Long.toString(Math.round(n));
  }
}
