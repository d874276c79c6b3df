package ai.candle.cli.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The flatness rule on made-up series: warm-up ignored, a sawtooth heap is flat, a leak is not. */
class FlatnessTest {
  private static final double RUN = 1800;

  @Test
  void warmUpGrowthAndASawtoothHeapAreFlat() {
    // RSS climbs during the first 20% then stays; heap saws between 100 and 400 MiB
    List<SoakSample> samples =
        series(
            i -> i * 10 < 360 ? 200 + i * 10 : 560,
            i -> i % 5 == 0 ? 100 : 100 + 60 * (i % 5),
            i -> 60);
    List<Flatness.Verdict> verdicts = Flatness.judge(samples, RUN, List.of("svc"));
    assertEquals(Flatness.METRICS.size(), verdicts.size());
    verdicts.forEach(v -> assertEquals(Flatness.Outcome.FLAT, v.outcome(), v.toString()));
  }

  @Test
  void steadyGrowthAfterWarmUpIsGrowingWithItsSlope() {
    // 1 MiB of RSS and a thread every 10 s sample: 360 MiB and 360 threads an hour
    List<SoakSample> samples = series(i -> 500 + i, i -> 100, i -> 40 + i);
    List<Flatness.Verdict> verdicts = Flatness.judge(samples, RUN, List.of("svc"));
    Flatness.Verdict rss = find(verdicts, "RSS");
    assertEquals(Flatness.Outcome.GROWING, rss.outcome(), rss.toString());
    assertEquals(360, rss.slopePerHour(), 1e-6);
    assertEquals(Flatness.Outcome.GROWING, find(verdicts, "threads").outcome());
    assertEquals(Flatness.Outcome.FLAT, find(verdicts, "heap used (floor)").outcome());
  }

  @Test
  void tooFewSamplesAfterWarmUpGiveNoVerdict() {
    List<SoakSample> samples = series(i -> 500, i -> 100, i -> 40).subList(0, 40);
    assertTrue(
        Flatness.judge(samples, RUN, List.of("svc")).stream()
            .allMatch(v -> v.outcome() == Flatness.Outcome.TOO_SHORT));
  }

  @Test
  void latencyPercentilesAreExactToTheMillisecond() {
    LatencyHistogram h = new LatencyHistogram();
    assertTrue(Double.isNaN(h.percentile(0.99)));
    for (int ms = 1; ms <= 100; ms++) {
      h.record(ms);
    }
    h.record(1_000_000);
    assertEquals(51, h.percentile(0.5));
    assertEquals(100, h.percentile(0.99));
    assertEquals(LatencyHistogram.MAX_MILLIS, h.percentile(1.0));
  }

  private static Flatness.Verdict find(List<Flatness.Verdict> verdicts, String metric) {
    return verdicts.stream()
        .filter(v -> v.metric().name().equals(metric))
        .findFirst()
        .orElseThrow();
  }

  /** 180 samples, one every 10 s, of one process "svc". */
  private static List<SoakSample> series(
      IntToDoubleFunction rss, IntToDoubleFunction heap, IntToDoubleFunction threads) {
    List<SoakSample> samples = new ArrayList<>();
    for (int i = 1; i <= 180; i++) {
      ProcessSample p =
          new ProcessSample(
              "svc",
              1,
              heap.applyAsDouble(i),
              512,
              80,
              rss.applyAsDouble(i),
              100,
              (int) threads.applyAsDouble(i),
              i);
      samples.add(new SoakSample(i * 10, 10, 400, 400, 50, 100, i, 90, 1.0, List.of(p)));
    }
    return samples;
  }
}
