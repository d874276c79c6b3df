package ai.candle.streams.internals;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 * Reads every partition of one topic from the beginning and follows it, on its own daemon thread: a
 * plain consumer with {@code assign()}, no group, no committed offsets, {@code read_committed}.
 * Every process sees every record, whichever tasks it owns. Waits (and says so once) while the
 * topic does not exist; partitions added later are not followed.
 *
 * <p>{@link #caughtUp()} completes once the tail has handled every record below the end offsets it
 * saw when it assigned the partitions (what the topic held at start), or at once when the topic did
 * not exist then. When the tail stops by itself (a Kafka error, or an {@link Error} out of the
 * handler), the {@code onStop} listener hears why, so the process need not go on with a view that
 * no longer moves.
 */
public final class TopicTail implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TopicTail.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Consumer<ConsumerRecords<byte[], byte[]>> handler;
  private final Consumer<Throwable> onStop;
  private final CompletableFuture<Map<TopicPartition, Long>> caughtUp = new CompletableFuture<>();
  private final Thread thread;
  private final Map<TopicPartition, Long> lastPositions = new ConcurrentHashMap<>();
  private Map<TopicPartition, Long> startEnd = Map.of();
  private volatile boolean running = true;
  private volatile boolean started;

  /**
   * @param name the thread's name and the consumer's client id
   * @param settings consumer settings beyond the bootstrap servers (e.g. fetch sizes)
   * @param handler called on the tail's thread with every non-empty batch, in offset order per
   *     partition; an exception it throws is logged and the batch is skipped
   */
  public TopicTail(
      String name,
      String bootstrapServers,
      String topic,
      Map<String, Object> settings,
      Consumer<ConsumerRecords<byte[], byte[]>> handler) {
    this(name, bootstrapServers, topic, settings, handler, error -> {});
  }

  /**
   * As above; {@code onStop} is called on the tail's thread if it stops by itself: a {@link
   * KafkaException} of the consumer, or an {@link Error} out of the handler (which then goes on up
   * the thread).
   */
  public TopicTail(
      String name,
      String bootstrapServers,
      String topic,
      Map<String, Object> settings,
      Consumer<ConsumerRecords<byte[], byte[]>> handler,
      Consumer<Throwable> onStop) {
    Map<String, Object> props = new HashMap<>(settings);
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    this.topic = topic;
    this.handler = handler;
    this.onStop = onStop;
    this.consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
  }

  /** Starts the tail's thread. */
  public void start() {
    started = true;
    thread.start();
  }

  /**
   * Completes with the end offsets the tail saw at start (empty when the topic did not exist then)
   * once it has handled every record below them.
   */
  public CompletableFuture<Map<TopicPartition, Long>> caughtUp() {
    return caughtUp;
  }

  /** Where the tail is: its position on each partition, for logs (call on the tail's thread). */
  private Map<TopicPartition, Long> positions() {
    Map<TopicPartition, Long> out = new HashMap<>();
    for (TopicPartition p : startEnd.keySet()) {
      out.put(p, consumer.position(p));
    }
    return out;
  }

  /** The tail's positions while catching up, as last seen on its thread (for logs elsewhere). */
  public Map<TopicPartition, Long> lastPositions() {
    return Map.copyOf(lastPositions);
  }

  private void run() {
    try {
      if (!assign()) {
        return;
      }
      checkCaughtUp();
      while (running) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        if (!records.isEmpty()) {
          handle(records);
        }
        checkCaughtUp();
      }
    } catch (WakeupException e) {
      if (running) {
        stopped(e);
        throw e;
      }
    } catch (KafkaException e) {
      LOG.error("Stopped following {}: {}", topic, e.toString(), e);
      stopped(e);
    } catch (Error e) {
      LOG.error("Stopped following {}: {}", topic, e.toString(), e);
      stopped(e);
      throw e;
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void stopped(Throwable why) {
    try {
      onStop.accept(why);
    } catch (RuntimeException e) {
      LOG.error("The stop listener of the tail of {} failed", topic, e);
    }
  }

  /** Completes {@link #caughtUp()} once every partition's position reached its end at start. */
  private void checkCaughtUp() {
    if (caughtUp.isDone()) {
      return;
    }
    Map<TopicPartition, Long> now = positions();
    lastPositions.putAll(now);
    if (startEnd.entrySet().stream().allMatch(e -> now.get(e.getKey()) >= e.getValue())) {
      caughtUp.complete(startEnd);
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
        if (!caughtUp.isDone()) {
          startEnd = Map.copyOf(consumer.endOffsets(partitions));
        }
        LOG.info(
            "Following {} ({} partitions) from the beginning, up to {} at start",
            topic,
            partitions.size(),
            startEnd);
        return true;
      }
      if (!said) {
        LOG.warn("Topic {} does not exist (yet); waiting for it", topic);
        said = true;
        caughtUp.complete(Map.of()); // nothing to catch up on
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
