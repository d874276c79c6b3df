package ai.candle.cli.ops;

import ai.candle.cli.internals.UserException;
import ai.candle.schemas.TopicNames;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code candle models show}: one version in detail. */
@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description = {
      "Show one model version in detail: where it lies on the topic, its size and whether its parameters match its "
          + "checksum, the CLIP model and feature width, the score's weights, the hyper-parameters, every holdout "
          + "metric, and its classes (registry index, base or new, the prior count of its fit, images seen and held "
          + "out).",
      ""
    })
final class ModelsShowCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "VERSION",
      description = "The version number, or 'latest'. Default: latest.")
  String version = "latest";

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
          "The model (the record key, the services' model.name). Default: the only model on the topic.")
  String modelName;

  @Option(
      names = "--json",
      description =
          "One JSON object on stdout: the version's fields (not its parameters), "
              + "checksum_matches, hyper_parameters and classes.")
  boolean json;

  /** What --json prints. */
  record Detail(
      ModelEntry version,
      String checksum,
      boolean checksumMatches,
      Map<String, String> hyperParameters,
      List<ModelEntry.ClassRow> classes) {}

  @Override
  public Integer call() throws Exception {
    Long wanted = parseVersion();
    ModelEntry.Found[] chosen = new ModelEntry.Found[1];
    TreeSet<String> models = new TreeSet<>();
    List<Long> versions = new ArrayList<>();
    KafkaErrors.explained(
        kafka,
        () -> {
          ModelEntry.read(
              kafka,
              topic,
              kafka.timeout(),
              f -> {
                models.add(f.model());
                if (modelName != null && !modelName.equals(f.model())) {
                  return;
                }
                versions.add(f.version().getVersion());
                boolean match =
                    wanted == null
                        ? chosen[0] == null
                            || f.version().getVersion() >= chosen[0].version().getVersion()
                        : f.version().getVersion() == wanted;
                if (match) {
                  chosen[0] = f;
                }
              },
              u -> {});
          return null;
        });
    ModelEntry.Found found = check(chosen[0], models, versions, wanted);
    Detail detail =
        new Detail(
            found.entry(),
            found.version().getChecksum(),
            ModelEntry.checksumMatches(found.version()),
            new TreeMap<>(found.version().getHyperParameters()),
            ModelEntry.classes(found.version()));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.document(detail));
    } else {
      print(out, detail);
    }
    out.flush();
    return 0;
  }

  private Long parseVersion() {
    if (version.equalsIgnoreCase("latest")) {
      return null;
    }
    try {
      return Long.parseLong(version);
    } catch (NumberFormatException e) {
      throw new UserException(
          "VERSION must be a version number or 'latest', not '" + version + "'");
    }
  }

  private ModelEntry.Found check(
      ModelEntry.Found found, TreeSet<String> models, List<Long> versions, Long wanted) {
    if (modelName == null && models.size() > 1) {
      throw new UserException(
          "the topic "
              + topic
              + " holds several models "
              + models
              + "; choose one with "
              + "--model-name");
    }
    if (found != null) {
      return found;
    }
    String which = modelName != null ? "model " + modelName : "any model";
    if (versions.isEmpty()) {
      throw new UserException(
          "no version of " + which + " on " + topic + " (candle models list shows what is there)");
    }
    throw new UserException(
        "no version "
            + wanted
            + " of "
            + which
            + " on "
            + topic
            + "; there are versions "
            + versions.get(0)
            + " to "
            + versions.get(versions.size() - 1)
            + " (see candle models list; a history with a "
            + "retention, or the compacted models topic, may have lost older versions)");
  }

  private static void print(PrintWriter out, Detail d) {
    ModelEntry v = d.version();
    out.printf(
        Locale.ROOT,
        "model %s, version %d (%s), created %s%n",
        v.model(),
        v.version(),
        v.origin(),
        v.createdAt());
    out.printf(
        Locale.ROOT,
        "  record: partition %d, offset %d, %s (parameters %s)%n",
        v.partition(),
        v.offset(),
        Text.bytes(v.recordBytes()),
        Text.bytes(v.parameterBytes()));
    out.printf(
        Locale.ROOT,
        "  checksum: %s (%s)%n",
        d.checksum(),
        d.checksumMatches()
            ? "matches the parameters"
            : "DOES NOT MATCH the parameters: the scorers refuse it");
    out.printf(
        Locale.ROOT, "  CLIP model: %s, feature width %d%n", v.clipModelId(), v.featureWidth());
    long base = d.classes().stream().filter(c -> Boolean.TRUE.equals(c.base())).count();
    out.printf(
        Locale.ROOT,
        "  classes: %d (%s)%n",
        v.classes(),
        v.baseClasses() < 0
            ? "base or new not recorded"
            : base + " base, " + (v.classes() - base) + " new");
    out.printf(
        Locale.ROOT, "  weights: %s%n", v.weights().isEmpty() ? "not recorded" : v.weights());
    out.printf(Locale.ROOT, "  hyper-parameters: %s%n", d.hyperParameters());
    out.println(
        "  holdout metrics:"
            + (v.holdoutMetrics().isEmpty() ? " none (no fit: an INITIAL or EXTEND version)" : ""));
    v.holdoutMetrics().forEach((k, x) -> out.printf(Locale.ROOT, "    %-32s %s%n", k, number(x)));
    out.println("  classes (model order):");
    out.printf(
        Locale.ROOT,
        "    %5s  %-32s %-4s %8s %8s %8s%n",
        "index",
        "name",
        "kind",
        "prior",
        "seen",
        "held out");
    for (ModelEntry.ClassRow c : d.classes()) {
      out.printf(
          Locale.ROOT,
          "    %5d  %-32s %-4s %8d %8d %8d%n",
          c.index(),
          c.name(),
          c.base() == null ? "?" : c.base() ? "base" : "new",
          c.count(),
          c.seen(),
          c.heldOut());
    }
  }

  private static String number(double x) {
    return x == Math.rint(x) && Math.abs(x) < 1e15
        ? Long.toString((long) x)
        : String.format(Locale.ROOT, "%.4f", x);
  }
}
