package ai.candle.cli.ops;

import ai.candle.cli.internals.UserException;
import ai.candle.schemas.TopicNames;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code candle dead-letters list}. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = {
      "List the dead letters in topic order (partition by partition), one line each: its id (PARTITION@OFFSET on "
          + "the dead-letter topic, for --id), the reason, where the original came from (topic-partition@offset), "
          + "the original's time, key and size, and the reason in words; then the count per reason.",
      ""
    })
final class DeadLettersListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Mixin DeadLetterFilter filter;

  @Option(
      names = "--topic",
      paramLabel = "NAME",
      description = "The dead-letter topic. Default: ${DEFAULT-VALUE}.")
  String topic = TopicNames.defaults().deadLetter();

  @Option(
      names = "--max",
      paramLabel = "N",
      description = "Print at most N dead letters (the count covers all).")
  Integer max;

  @Option(
      names = "--json",
      description =
          "One JSON object on stdout: {\"topic\", \"total\", \"by_reason\", "
              + "\"dead_letters\": [...]}.")
  boolean json;

  /** What --json prints. */
  record Listing(
      String topic,
      int total,
      Map<String, Integer> byReason,
      List<DeadLetterEntry> deadLetters,
      List<String> unreadable) {}

  @Override
  public Integer call() throws Exception {
    filter.validate();
    if (max != null && max < 0) {
      throw new UserException("--max must not be negative, got " + max);
    }
    List<DeadLetterEntry> matched = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    KafkaErrors.explained(
        kafka,
        () -> {
          DeadLetterEntry.read(
              kafka,
              topic,
              kafka.timeout(),
              f -> {
                DeadLetterEntry e = f.entry();
                if (filter.accepts(e)) {
                  matched.add(e);
                }
              },
              unreadable::add);
          return null;
        });
    Map<String, Integer> byReason = new TreeMap<>();
    matched.forEach(e -> byReason.merge(e.reason(), 1, Integer::sum));
    List<DeadLetterEntry> shown =
        max == null ? matched : matched.subList(0, Math.min(max, matched.size()));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.document(new Listing(topic, matched.size(), byReason, shown, unreadable)));
    } else {
      print(out, shown, matched.size(), byReason);
      unreadable.forEach(
          u -> spec.commandLine().getErr().println("candle dead-letters list: skipped " + u));
    }
    out.flush();
    return 0;
  }

  private void print(
      PrintWriter out, List<DeadLetterEntry> shown, int total, Map<String, Integer> byReason) {
    if (total == 0) {
      out.println("no dead letters on " + topic + filter.describe());
      return;
    }
    String format = "%-8s %-20s %-34s %-24s %-20s %9s  %s%n";
    out.printf(
        Locale.ROOT, format, "id", "reason", "origin", "original time", "key", "size", "detail");
    for (DeadLetterEntry e : shown) {
      out.printf(
          Locale.ROOT,
          format,
          e.id(),
          e.reason(),
          e.originTopic() + "-" + e.originPartition() + "@" + e.originOffset(),
          e.originalTime(),
          Text.cut(e.key() == null ? "(none)" : e.key(), 20),
          Text.bytes(e.valueBytes()) + (e.truncated() ? "+" : ""),
          Text.cut(e.detail(), 100));
    }
    long replayable = shown.stream().filter(DeadLetterEntry::replayable).count();
    out.printf(
        Locale.ROOT,
        "%d dead letter%s%s%s: %s; %d of those shown replayable%n",
        total,
        total == 1 ? "" : "s",
        filter.describe(),
        shown.size() < total ? " (" + shown.size() + " shown)" : "",
        byReason.entrySet().stream()
            .map(r -> r.getKey() + " " + r.getValue())
            .collect(Collectors.joining(", ")),
        replayable);
  }
}
