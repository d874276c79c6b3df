package ai.candle.cli.ops;

import ai.candle.cli.internals.UserException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a whole topic as it is now: every partition from its beginning up to the end it had when
 * the read started, read committed (the services write in transactions), without a consumer group,
 * so nothing is committed and nothing changes on the broker.
 */
final class TopicSnapshot {

  private TopicSnapshot() {}

  /**
   * Hands every record of the topic, tombstones included, to {@code handler}, partition by
   * partition in offset order.
   *
   * @param clientConfig bootstrap servers, security and any other client setting
   * @param fetchConfig consumer settings for large records (model versions), may be empty
   * @param timeout how long the broker may take to answer, and to deliver the topic
   * @throws UserException when the topic does not exist or cannot be read to its end in time
   */
  static void read(
      Map<String, Object> clientConfig,
      Map<String, Object> fetchConfig,
      String topic,
      Duration timeout,
      Consumer<ConsumerRecord<byte[], byte[]>> handler) {
    Map<String, Object> props = new HashMap<>(fetchConfig);
    props.putAll(clientConfig);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = partitions(consumer, topic, timeout);
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
      long idleDeadline = System.nanoTime() + timeout.toNanos();
      while (!atEnd(consumer, end)) {
        var records = consumer.poll(Duration.ofMillis(200));
        records.forEach(handler);
        if (!records.isEmpty()) {
          idleDeadline = System.nanoTime() + timeout.toNanos();
        } else if (System.nanoTime() > idleDeadline) {
          throw new UserException(
              "reading "
                  + topic
                  + " stalled before its end (nothing for "
                  + timeout.toSeconds()
                  + " s); try again, or raise default.api.timeout.ms with --kafka-config");
        }
      }
    }
  }

  /**
   * Fails with a user error when a topic does not exist (a producer would only time out, as it does
   * when the broker is out of reach).
   */
  static void requireTopics(
      Map<String, Object> clientConfig, Collection<String> topics, Duration timeout)
      throws InterruptedException, ExecutionException {
    Map<String, Object> props = new HashMap<>();
    clientConfig.forEach(
        (k, v) -> {
          if (AdminClientConfig.configNames().contains(k)) {
            props.put(k, v);
          }
        });
    try (Admin admin = Admin.create(props)) {
      Set<String> missing = new TreeSet<>(topics);
      missing.removeAll(admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
      if (!missing.isEmpty()) {
        throw new UserException(
            "the topic"
                + (missing.size() > 1 ? "s " : " ")
                + String.join(", ", missing)
                + (missing.size() > 1 ? " do" : " does")
                + " not exist on this broker; create the topics first "
                + "(deploy/kafka/create-topics.sh), or name the right one with --topic");
      }
    } catch (java.util.concurrent.TimeoutException e) {
      throw new org.apache.kafka.common.errors.TimeoutException(
          "listing the topics took longer than " + timeout.toSeconds() + " s", e);
    }
  }

  /** The topic's partitions; a user error when it does not exist. */
  static List<TopicPartition> partitions(
      KafkaConsumer<?, ?> consumer, String topic, Duration timeout) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
    if (infos == null || infos.isEmpty()) {
      throw new UserException(
          "the topic "
              + topic
              + " does not exist on this broker; create the topics first "
              + "(deploy/kafka/create-topics.sh), or name the right one with --topic");
    }
    List<TopicPartition> parts = new ArrayList<>();
    infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
    return parts;
  }

  private static boolean atEnd(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
