package ai.candle.streams.validation.internals;

import static ai.candle.streams.ingest.IngestFixture.T0;
import static ai.candle.streams.ingest.IngestFixture.utf8;
import static ai.candle.streams.ingest.IngestFixture.vector;
import static ai.candle.streams.ingest.IngestFixture.withFeature;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.candle.streams.encode.Encoders;
import ai.candle.streams.ingest.IngestFixture;
import ai.candle.streams.validation.RejectReason;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** candle.dead.letters counts rejections by a bounded reason tag. */
class DeadLetterMetricsTest {

  @TempDir Path stateDir;

  private static Map<String, Double> countsByReason(IngestFixture fx) {
    return fx.registry.get(DeadLetters.METRIC).counters().stream()
        .collect(Collectors.toMap(c -> c.getId().getTag(DeadLetters.REASON_TAG), Counter::count));
  }

  @Test
  void everyReasonIsRegisteredAtZero() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      Map<String, Double> expected =
          Arrays.stream(RejectReason.values())
              .collect(Collectors.toMap(RejectReason::tag, r -> 0.0));
      assertEquals(expected, countsByReason(fx));
    }
  }

  @Test
  void eachRejectionIncrementsItsReasonOnly() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      fx.pipe(withFeature("img-1", "cat", vector(1)));
      fx.pipe(withFeature("img-2", "cat", vector(2)));
      fx.labeled.pipeInput(utf8("img-3"), utf8("junk"), T0);
      fx.pipe(withFeature("img-4", "cat", vector(1, 2, 3, 4)));

      Map<String, Double> counts = countsByReason(fx);
      assertEquals(2.0, counts.get("width"));
      assertEquals(1.0, counts.get("not_schema"));
      assertEquals(3.0, counts.values().stream().mapToDouble(Double::doubleValue).sum());
      assertEquals(3, fx.deadLetters.readValuesToList().size());
    }
  }
}
