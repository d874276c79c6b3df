package ai.candle.cli.demo;

import ai.candle.schemas.ModelVersions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads what the services produce (e.g. predictions and model versions) from the beginning (or the
 * end) of every partition of some topics, read committed and without a consumer group, on a daemon
 * thread; hands each non-null record to a handler with the wall-clock time it arrived. Fetches are
 * sized for model versions ({@link ModelVersions#consumerConfig}). A failure of the thread (say, an
 * authorization error) ends it and is kept for {@link #failure()}.
 */
public final class TopicFollower implements AutoCloseable {

  /** What to do with a record; runs on the follower's thread. */
  public interface Handler {
    void accept(ConsumerRecord<String, byte[]> record, long arrivedMillis);
  }

  private final KafkaConsumer<String, byte[]> consumer;
  private final Handler handler;
  private final Thread thread;
  private volatile boolean closing;
  private volatile RuntimeException failure;

  /** Follows the topics from their beginning. */
  public TopicFollower(
      String bootstrapServers, List<String> topics, String threadName, Handler handler) {
    this(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
        topics,
        true,
        threadName,
        handler);
  }

  /**
   * Follows the topics with these client settings (bootstrap servers, security), from their
   * beginning or from their end as it is when this returns.
   *
   * @throws IllegalArgumentException when a topic does not exist
   */
  public TopicFollower(
      Map<String, Object> clientConfig,
      List<String> topics,
      boolean fromBeginning,
      String threadName,
      Handler handler) {
    this.handler = handler;
    Map<String, Object> props = new HashMap<>(ModelVersions.consumerConfig());
    props.putAll(clientConfig);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    try {
      List<TopicPartition> parts = new ArrayList<>();
      for (String topic : topics) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
          throw new IllegalArgumentException("the topic " + topic + " does not exist");
        }
        for (PartitionInfo p : infos) {
          parts.add(new TopicPartition(topic, p.partition()));
        }
      }
      consumer.assign(parts);
      if (fromBeginning) {
        consumer.seekToBeginning(parts);
      } else {
        consumer.seekToEnd(parts);
        // resolve the end now: a record written after this constructor returns is followed
        parts.forEach(consumer::position);
      }
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw e;
    }
    thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (!closing) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.value() != null) {
            handler.accept(r, System.currentTimeMillis());
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /** What ended the follower's thread, or null while it runs (or once it was closed). */
  public RuntimeException failure() {
    return failure;
  }

  /** Whether the follower's thread still reads. */
  public boolean isRunning() {
    return thread.isAlive();
  }

  @Override
  public void close() {
    closing = true;
    consumer.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
