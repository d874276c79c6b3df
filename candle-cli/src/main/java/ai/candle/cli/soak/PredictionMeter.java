package ai.candle.cli.soak;

import ai.candle.cli.demo.TopicFollower;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.Prediction;
import ai.candle.schemas.Topics;
import ai.candle.schemas.VersionChunks;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Counts what the services produce during a soak, in fixed memory: predictions (read committed)
 * with their latency from the image's event time (the moment the soak sent it) to the moment the
 * prediction arrived here, and model versions published. {@link #drain} hands over one sample
 * interval's figures and starts the next; latencies after warm-up also go to a run-wide histogram.
 */
final class PredictionMeter implements AutoCloseable {

  /**
   * One interval's figures.
   *
   * @param predictions predictions that arrived (unlabelled and prequential)
   * @param p50Millis median latency, NaN without predictions
   * @param p99Millis 99th percentile latency, NaN without predictions
   * @param versionsSeen model versions that arrived since the start
   * @param latestVersion the highest version number seen, -1 before any
   */
  record Interval(
      long predictions,
      double p50Millis,
      double p99Millis,
      long versionsSeen,
      long latestVersion) {}

  private final Topics topics;
  private final LatencyHistogram interval = new LatencyHistogram();
  private final LatencyHistogram steady = new LatencyHistogram();
  private final TopicFollower follower;
  private boolean warmedUp;
  private long predictionsTotal;
  private long versionsSeen;
  private long latestVersion = -1;

  PredictionMeter(String bootstrapServers, Topics topics) {
    this.topics = topics;
    this.follower =
        new TopicFollower(
            bootstrapServers,
            List.of(topics.predictions().name(), topics.models().name()),
            "candle-soak-meter",
            this::arrived);
  }

  private synchronized void arrived(ConsumerRecord<String, byte[]> r, long now) {
    if (r.topic().equals(topics.models().name())) {
      ModelVersion v =
          topics.models().valueSerde().deserializer().deserialize(r.topic(), r.value());
      if (VersionChunks.isChunk(v)) {
        return; // counted once, at its manifest
      }
      versionsSeen++;
      latestVersion = Math.max(latestVersion, v.getVersion());
      return;
    }
    Prediction p =
        topics.predictions().valueSerde().deserializer().deserialize(r.topic(), r.value());
    long latency = now - p.getEventTime().toEpochMilli();
    interval.record(latency);
    if (warmedUp) {
      steady.record(latency);
    }
    predictionsTotal++;
  }

  /** From now on latencies also count in {@link #steadyPercentile}. */
  synchronized void warmUpEnded() {
    warmedUp = true;
  }

  /** The interval since the last drain; starts a new one. */
  synchronized Interval drain() {
    Interval i =
        new Interval(
            interval.count(),
            interval.percentile(0.5),
            interval.percentile(0.99),
            versionsSeen,
            latestVersion);
    interval.clear();
    return i;
  }

  /** A latency percentile over every prediction since the warm-up ended; NaN when none. */
  synchronized double steadyPercentile(double q) {
    return steady.percentile(q);
  }

  synchronized long predictionsTotal() {
    return predictionsTotal;
  }

  @Override
  public void close() {
    follower.close();
  }
}
