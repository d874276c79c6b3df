package ai.candle.cli.ops;

import ai.candle.cli.internals.UserException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** Which dead letters a {@code candle dead-letters} command takes: a picocli mixin. */
public final class DeadLetterFilter {
  private static final Pattern ID = Pattern.compile("\\d+@\\d+");

  @Option(
      names = "--reason",
      paramLabel = "REASON",
      split = ",",
      description =
          "Only dead letters of these reasons (repeatable or comma-separated), e.g. no_model, no_encoder, "
              + "encoder_busy, width, not_schema; the reasons are the streams app's RejectReason tags.")
  List<String> reasons = List.of();

  @Option(
      names = "--origin-topic",
      paramLabel = "TOPIC",
      description =
          "Only dead letters of records that came from this topic, e.g. candle.images.unlabeled.")
  String originTopic;

  @Option(
      names = "--id",
      paramLabel = "PARTITION@OFFSET",
      split = ",",
      description =
          "Only these dead letters, by their place on the dead-letter topic as the list prints it "
              + "(repeatable or comma-separated).")
  List<String> ids = List.of();

  /** Whether the dead letter is one of those asked for. */
  boolean accepts(DeadLetterEntry e) {
    return (reasons.isEmpty() || reasons.contains(e.reason()))
        && (originTopic == null || originTopic.equals(e.originTopic()))
        && (ids.isEmpty() || ids.contains(e.id()));
  }

  /** Checks the options' values before anything is read. */
  void validate() {
    for (String id : ids) {
      if (!ID.matcher(id).matches()) {
        throw new UserException(
            "--id takes PARTITION@OFFSET of the dead-letter topic (e.g. 0@12), not '" + id + "'");
      }
    }
  }

  /** The filter in words, for "no dead letter matched ...". */
  String describe() {
    Set<String> parts = new LinkedHashSet<>();
    if (!reasons.isEmpty()) {
      parts.add("reason " + String.join(" or ", reasons));
    }
    if (originTopic != null) {
      parts.add("from " + originTopic);
    }
    if (!ids.isEmpty()) {
      parts.add("at " + String.join(", ", ids));
    }
    return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
  }
}
