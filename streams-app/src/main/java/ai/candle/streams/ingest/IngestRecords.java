package ai.candle.streams.ingest;

import ai.candle.streams.validation.internals.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;

/**
 * {@code candle.ingest.records{kind, outcome}}: every record the ingest topology consumed from an
 * input topic, by {@code kind} ({@code labeled} images, class {@code announcement}s) and {@code
 * outcome} ({@code valid}: on to the features or the registry; {@code rejected}: dead-lettered,
 * with its reason in {@code candle.dead.letters}). Its rate is the ingest rate. Counted when the
 * validator decides, so a task retried after a crash may count a record twice (like every
 * in-process metric); the topics hold the exact numbers.
 */
final class IngestRecords {

  static final String METRIC = "candle.ingest.records";
  static final String KIND_TAG = "kind";
  static final String OUTCOME_TAG = "outcome";

  /** Which input a record came from. */
  enum Kind {
    LABELED,
    ANNOUNCEMENT;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Counter[] counters = new Counter[Kind.values().length * 2];

  IngestRecords(MeterRegistry registry) {
    for (Kind kind : Kind.values()) {
      counters[index(kind, true)] = counter(registry, kind, "valid");
      counters[index(kind, false)] = counter(registry, kind, "rejected");
    }
  }

  /** Counts one validated record. */
  void count(Kind kind, Outcome<?> outcome) {
    counters[index(kind, outcome instanceof Outcome.Valid)].increment();
  }

  private static int index(Kind kind, boolean valid) {
    return kind.ordinal() * 2 + (valid ? 0 : 1);
  }

  private static Counter counter(MeterRegistry registry, Kind kind, String outcome) {
    return Counter.builder(METRIC)
        .description("Records the ingest consumed, by input kind and outcome (valid or rejected)")
        .tag(KIND_TAG, kind.tag())
        .tag(OUTCOME_TAG, outcome)
        .register(registry);
  }
}
