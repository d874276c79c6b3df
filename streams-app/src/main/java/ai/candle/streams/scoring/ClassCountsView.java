package ai.candle.streams.scoring;

import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.internals.TopicTail;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's view of {@code candle.class-counts}: every partition, from the beginning,
 * read_committed, so it holds the committed live count of every class whichever ingest tasks the
 * process owns. It lags the count store by up to one ingest commit (1 s by default) plus a poll.
 */
public final class ClassCountsView implements ClassCounts, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClassCountsView.class);

  private final Map<String, Long> counts = new ConcurrentHashMap<>();
  private final LongDeserializer longs = new LongDeserializer();
  private final TopicTail tail;

  private ClassCountsView(IngestConfig config) {
    tail =
        new TopicTail(
            config.applicationId() + "-class-counts-view",
            config.bootstrapServers(),
            config.topics().classCounts(),
            config.clientOverrides(),
            this::apply);
  }

  /** Starts following the counts topic of {@code config}. */
  public static ClassCountsView start(IngestConfig config) {
    ClassCountsView view = new ClassCountsView(config);
    view.tail.start();
    return view;
  }

  @Override
  public long count(String className) {
    return counts.getOrDefault(className, 0L);
  }

  /** Classes with a count so far. */
  public int classes() {
    return counts.size();
  }

  private void apply(ConsumerRecords<byte[], byte[]> records) {
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (r.key() == null) {
        continue;
      }
      String className = new String(r.key(), StandardCharsets.UTF_8);
      try {
        Long count = longs.deserialize(r.topic(), r.value());
        if (count == null) {
          counts.remove(className);
        } else {
          counts.put(className, count);
        }
      } catch (SerializationException e) {
        LOG.warn(
            "Ignoring a class count that is not a long at {}-{}@{}: {}",
            r.topic(),
            r.partition(),
            r.offset(),
            e.getMessage());
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    tail.close();
  }
}
