package ai.candle.streams.internals;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition of one topic from the beginning and follows it, on its own daemon
 * thread: a plain consumer with {@code assign()}, no group, no committed offsets,
 * {@code read_committed}. Every process sees every record, whichever tasks it owns. Waits (and
 * says so once) while the topic does not exist; partitions added later are not followed.
 */
public final class TopicTail implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TopicTail.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Consumer<ConsumerRecords<byte[], byte[]>> handler;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean started;

  /**
   * @param name the thread's name and the consumer's client id
   * @param settings consumer settings beyond the bootstrap servers (e.g. fetch sizes)
   * @param handler called on the tail's thread with every non-empty batch, in offset order per
   *     partition; an exception it throws is logged and the batch is skipped
   */
  public TopicTail(String name, String bootstrapServers, String topic, Map<String, Object> settings,
      Consumer<ConsumerRecords<byte[], byte[]>> handler) {
    Map<String, Object> props = new HashMap<>(settings);
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    this.topic = topic;
    this.handler = handler;
    this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
  }

  /** Starts the tail's thread. */
  public void start() {
    started = true;
    thread.start();
  }

  private void run() {
    try {
      if (!assign()) {
        return;
      }
      while (running) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        if (!records.isEmpty()) {
          handle(records);
        }
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
    } catch (KafkaException e) {
      LOG.error("Stopped following {}: {}", topic, e.toString(), e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void handle(ConsumerRecords<byte[], byte[]> records) {
    try {
      handler.accept(records);
    } catch (RuntimeException e) {
      LOG.error("Failed to handle {} records of {}; skipped", records.count(), topic, e);
    }
  }

  /** Assigns every partition once the topic exists; false when closed before. */
  private boolean assign() {
    boolean said = false;
    while (running) {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        infos = List.of();
      }
      if (infos != null && !infos.isEmpty()) {
        List<TopicPartition> partitions =
            infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        LOG.info("Following {} ({} partitions) from the beginning", topic, partitions.size());
        return true;
      }
      if (!said) {
        LOG.warn("Topic {} does not exist (yet); waiting for it", topic);
        said = true;
      }
      try {
        Thread.sleep(RETRY.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      // (close() stops this loop through running and wakes a blocked partitionsFor up)
    }
    return false;
  }

  /** Stops following and closes the consumer (waits up to 10 s for the thread). */
  @Override
  public void close() throws InterruptedException {
    running = false;
    if (!started) {
      consumer.close(Duration.ZERO);
      return;
    }
    consumer.wakeup();
    thread.join(Duration.ofSeconds(10).toMillis());
  }
}
