package ai.candle.streams.model;

import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.VersionChunks;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.config.ScoringConfig;
import ai.candle.streams.internals.TopicTail;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds every version of this model on {@code candle.models} to a {@link ModelHolder}: a dedicated
 * consumer thread that reads every partition of the topic from the beginning (no group: every
 * scorer instance sees every version, whichever partitions it scores), with {@link
 * ModelVersions#consumerConfig}. Records of other model names and tombstones are skipped; this
 * model's chunks go to the holder with its versions, which joins them. Loading runs on this thread,
 * never on a stream thread.
 *
 * <p>At start the feed reads the topic to the end offsets it saw then ({@link #caughtUp}), so that
 * a restarted process starts scoring with the newest version, not with one of the first it replays.
 * If the feed's thread stops (a Kafka error, or a fatal {@link Error} such as running out of
 * memory), the {@code onStop} listener hears why: a process whose models no longer move must not go
 * on serving quietly.
 */
public final class ModelVersionFeed implements AutoCloseable {

  /**
   * Records per poll: chunks of at most about 1 MB, or one-record versions written before chunking
   * (larger, where the topic allowed it).
   */
  static final int MAX_POLL_RECORDS = 16;

  private static final Logger LOG = LoggerFactory.getLogger(ModelVersionFeed.class);

  private final String topic;
  private final String modelName;
  private final ModelHolder holder;
  private final TopicTail tail;
  private final long startNanos = System.nanoTime();

  private ModelVersionFeed(
      IngestConfig ingest, ScoringConfig scoring, ModelHolder holder, Consumer<Throwable> onStop) {
    this.topic = ingest.topics().models();
    this.modelName = scoring.modelName();
    this.holder = holder;
    Map<String, Object> settings = new HashMap<>(ModelVersions.consumerConfig());
    settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
    settings.putAll(ingest.clientOverrides());
    this.tail =
        new TopicTail(
            scoring.applicationId() + "-model-versions",
            ingest.bootstrapServers(),
            topic,
            settings,
            this::offer,
            onStop);
  }

  /** Starts following the models topic; a feed that stops by itself is only logged. */
  public static ModelVersionFeed start(
      IngestConfig ingest, ScoringConfig scoring, ModelHolder holder) {
    return start(ingest, scoring, holder, error -> {});
  }

  /**
   * Starts following the models topic.
   *
   * @param onStop told, on the feed's thread, why the feed stopped by itself
   */
  public static ModelVersionFeed start(
      IngestConfig ingest, ScoringConfig scoring, ModelHolder holder, Consumer<Throwable> onStop) {
    ModelVersionFeed feed = new ModelVersionFeed(ingest, scoring, holder, onStop);
    feed.tail.start();
    return feed;
  }

  /**
   * Completes once the feed has offered every version the topic held when it started (true), or
   * when {@code timeout} passed first (false); logs which, with the version that serves then.
   */
  public CompletableFuture<Boolean> caughtUp(Duration timeout) {
    return tail.caughtUp()
        .thenApply(
            end -> {
              LOG.info(
                  "Read {} to its end offsets at start {} in {} ms; serving {}",
                  topic,
                  end,
                  (System.nanoTime() - startNanos) / 1_000_000,
                  serving());
              return true;
            })
        .completeOnTimeout(false, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(
            done -> {
              if (!done) {
                LOG.warn(
                    "The models feed has not read {} to its end offsets at start within {} ms"
                        + " (model.catch-up.ms), at {}; starting with {}",
                    topic,
                    timeout.toMillis(),
                    tail.lastPositions(),
                    serving());
              }
              return done;
            });
  }

  private String serving() {
    return holder.servingVersion().isPresent()
        ? "version " + holder.servingVersion().getAsLong()
        : "no version yet";
  }

  private void offer(ConsumerRecords<byte[], byte[]> records) {
    List<ModelHolder.RawVersion> batch = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (r.value() != null
          && r.key() != null
          && VersionChunks.isKeyOf(modelName, new String(r.key(), StandardCharsets.UTF_8))) {
        batch.add(
            new ModelHolder.RawVersion(
                r.value(), r.topic() + "-" + r.partition() + "@" + r.offset()));
      }
    }
    holder.offerNewestFirst(batch);
  }

  @Override
  public void close() throws InterruptedException {
    tail.close();
  }
}
