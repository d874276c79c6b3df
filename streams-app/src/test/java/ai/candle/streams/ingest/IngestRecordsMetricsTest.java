package ai.candle.streams.ingest;

import static ai.candle.streams.ingest.IngestFixture.T0;
import static ai.candle.streams.ingest.IngestFixture.announcement;
import static ai.candle.streams.ingest.IngestFixture.utf8;
import static ai.candle.streams.ingest.IngestFixture.vector;
import static ai.candle.streams.ingest.IngestFixture.withFeature;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.candle.streams.encode.Encoders;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** candle.ingest.records counts every consumed input record once, by kind and outcome. */
class IngestRecordsMetricsTest {

  @TempDir Path stateDir;

  private static Map<String, Double> counts(IngestFixture fx) {
    return fx.registry.get(IngestRecords.METRIC).counters().stream()
        .collect(
            Collectors.toMap(
                c ->
                    c.getId().getTag(IngestRecords.KIND_TAG)
                        + "/"
                        + c.getId().getTag(IngestRecords.OUTCOME_TAG),
                Counter::count));
  }

  @Test
  void everyKindAndOutcomeIsRegisteredAtZero() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      assertEquals(
          Map.of(
              "labeled/valid",
              0.0,
              "labeled/rejected",
              0.0,
              "announcement/valid",
              0.0,
              "announcement/rejected",
              0.0),
          counts(fx));
    }
  }

  @Test
  void validAndRejectedRecordsAreCountedByKind() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      fx.pipe(withFeature("img-1", "cat", vector(1, 0, 0, 0)));
      fx.pipe(withFeature("img-2", "cat", vector(0, 1, 0, 0)));
      fx.pipe(withFeature("img-3", "cat", vector(1, 2)));
      fx.labeled.pipeInput(utf8("img-4"), utf8("junk"), T0);
      fx.announce(announcement("dog").setTextFeature(vector(0, 0, 1, 0)).build());
      fx.announcements.pipeInput(utf8("bird"), utf8("junk"), T0);
      fx.announcements.pipeInput(utf8("fish"), utf8("junk"), T0);

      assertEquals(
          Map.of(
              "labeled/valid",
              2.0,
              "labeled/rejected",
              2.0,
              "announcement/valid",
              1.0,
              "announcement/rejected",
              2.0),
          counts(fx));
      assertEquals(
          4, fx.deadLetters.readValuesToList().size(), "each rejected one is a dead letter");
    }
  }
}
