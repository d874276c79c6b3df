package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The integration tests' own fixtures: the long-tailed dataset and kcat's framing. */
class IngestFixturesTest {

  @Test
  void longTailedCountsSumToTheTotalWithEveryClassPresent() {
    Map<String, Long> counts = IngestDataset.longTailedCounts(50_000, 200);
    assertEquals(200, counts.size());
    assertEquals(50_000, counts.values().stream().mapToLong(Long::longValue).sum());
    assertTrue(counts.values().stream().allMatch(n -> n >= 1));
    long head = counts.get(IngestDataset.className(0));
    long tail = counts.get(IngestDataset.className(199));
    assertTrue(head > 100 * tail, "head " + head + " vs tail " + tail);
  }

  @Test
  void datasetIsDeterministicAndHasEveryMalformedKind() {
    IngestDataset a = IngestDataset.generate(1, 400, 20, 40, 8);
    IngestDataset b = IngestDataset.generate(1, 400, 20, 40, 8);
    assertArrayEquals(a.valid().get(17).value(), b.valid().get(17).value());
    assertEquals(IngestDataset.Malformed.values().length, a.malformedKindCounts().size());
    assertEquals(40, a.malformedIds().size());
  }

  @Test
  void kcatFramingSeparatesKeyValueAndRecords() {
    byte[] value = {'a', '\t', '\n', (byte) 0xfe, 0};
    byte[] framed =
        Kcat.encode(
            List.of(new IngestDataset.Event("k1", value), new IngestDataset.Event("k2", value)));
    int first = Kcat.indexOf(framed, "<candle-kcat-record>".getBytes(StandardCharsets.ISO_8859_1));
    assertEquals("k1\t".length() + value.length + 2, first);
  }

  @Test
  void kcatFramingRefusesWhatWouldNotSurviveIt() {
    byte[] delimiter =
        "\u00fe\u00ff<candle-kcat-record>\u00ff\u00fe".getBytes(StandardCharsets.ISO_8859_1);
    assertThrows(
        IllegalArgumentException.class,
        () -> Kcat.encode(List.of(new IngestDataset.Event("k", delimiter))));
    assertThrows(
        IllegalArgumentException.class,
        () -> Kcat.encode(List.of(new IngestDataset.Event("tab\tkey", new byte[] {1}))));
    assertThrows(
        IllegalArgumentException.class,
        () -> Kcat.encode(List.of(new IngestDataset.Event("k", new byte[0]))));
  }
}
