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
 * Reads what the services produce (e.g. predictions and model versions) from the beginning of
 * every partition of some topics, read committed and without a consumer group, on a daemon
 * thread; hands each non-null record to a handler with the wall-clock time it arrived. Fetches
 * are sized for model versions ({@link ModelVersions#consumerConfig}).
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

  public TopicFollower(String bootstrapServers, List<String> topics, String threadName, Handler handler) {
    this.handler = handler;
    Map<String, Object> props = new HashMap<>(ModelVersions.consumerConfig(ModelVersions.DEFAULT_MAX_BYTES));
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = new ArrayList<>();
    for (String topic : topics) {
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, p.partition()));
      }
    }
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
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
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
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
