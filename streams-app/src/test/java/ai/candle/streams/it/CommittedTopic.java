package ai.candle.streams.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads one topic from the beginning with a read_committed consumer (no group), keeping a mapped
 * view of each record so that large values need not stay in memory.
 */
final class CommittedTopic<T> implements AutoCloseable {

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Function<ConsumerRecord<byte[], byte[]>, T> mapper;
  private final List<T> records = new ArrayList<>();
  private List<TopicPartition> partitions = List.of();

  CommittedTopic(
      String bootstrapServers, String topic, Function<ConsumerRecord<byte[], byte[]>, T> mapper) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 32 * 1024 * 1024);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    this.topic = topic;
    this.mapper = mapper;
    this.consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Everything read so far. */
  List<T> records() {
    return List.copyOf(records);
  }

  /**
   * Reads until {@code done} holds for what was read, or fails after {@code timeout} naming {@code
   * what}.
   */
  List<T> readUntil(Predicate<List<T>> done, Duration timeout, Function<List<T>, String> progress) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(records)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + timeout + " reading " + topic + ": " + progress.apply(records));
      }
      poll();
    }
    return records();
  }

  /** Reads up to the current last stable offset of every partition (what is committed now). */
  List<T> readToEnd(Duration timeout) {
    assignIfNeeded();
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after "
                + timeout
                + " reading "
                + topic
                + " to "
                + end
                + "; read "
                + records.size());
      }
      poll();
    }
    return records();
  }

  private void poll() {
    assignIfNeeded();
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
      records.add(mapper.apply(r));
    }
  }

  private void assignIfNeeded() {
    if (!partitions.isEmpty()) {
      return;
    }
    partitions =
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
            .map(info -> new TopicPartition(topic, info.partition()))
            .toList();
    if (partitions.isEmpty()) {
      throw new AssertionError("topic " + topic + " has no partitions");
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
