package ai.candle.streams.model;

import ai.candle.schemas.ModelVersions;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.config.ScoringConfig;
import ai.candle.streams.internals.TopicTail;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;

/**
 * Feeds every version of this model on {@code candle.models} to a {@link ModelHolder}: a
 * dedicated consumer thread that reads every partition of the topic from the beginning (no
 * group: every scorer instance sees every version, whichever partitions it scores), sized by
 * {@link ModelVersions#consumerConfig} to {@code model.max.bytes}. Records of other model names
 * and tombstones are skipped. Loading runs on this thread, never on a stream thread.
 */
public final class ModelVersionFeed implements AutoCloseable {

  /** Versions per poll: each may be up to model.max.bytes. */
  static final int MAX_POLL_RECORDS = 4;

  private final byte[] modelKey;
  private final ModelHolder holder;
  private final TopicTail tail;

  private ModelVersionFeed(IngestConfig ingest, ScoringConfig scoring, ModelHolder holder) {
    this.modelKey = scoring.modelName().getBytes(StandardCharsets.UTF_8);
    this.holder = holder;
    Map<String, Object> settings = new HashMap<>(
        ModelVersions.consumerConfig(scoring.modelMaxBytes()));
    settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
    settings.putAll(ingest.clientOverrides());
    this.tail = new TopicTail(scoring.applicationId() + "-model-versions",
        ingest.bootstrapServers(), ingest.topics().models(), settings, this::offer);
  }

  /** Starts following the models topic. */
  public static ModelVersionFeed start(IngestConfig ingest, ScoringConfig scoring,
      ModelHolder holder) {
    ModelVersionFeed feed = new ModelVersionFeed(ingest, scoring, holder);
    feed.tail.start();
    return feed;
  }

  private void offer(ConsumerRecords<byte[], byte[]> records) {
    List<ModelHolder.RawVersion> batch = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (r.value() != null && Arrays.equals(modelKey, r.key())) {
        batch.add(new ModelHolder.RawVersion(r.value(),
            r.topic() + "-" + r.partition() + "@" + r.offset()));
      }
    }
    holder.offerNewestFirst(batch);
  }

  @Override
  public void close() throws InterruptedException {
    tail.close();
  }
}
