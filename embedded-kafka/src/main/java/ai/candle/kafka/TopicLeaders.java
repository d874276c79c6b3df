package ai.candle.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Waits until the leader of every partition of some new topics takes requests.
 *
 * <p>Creating a topic returns once the controller has recorded it; the broker applies it a moment
 * later. An idempotent producer (the clients' default) that sends at once may have its first
 * request to a partition refused ({@code NOT_LEADER_OR_FOLLOWER}) and the next one accepted; every
 * retry of the first then fails with {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until {@code
 * delivery.timeout.ms} expires it, and its records are lost (KAFKA-15591, present in the Kafka
 * 4.1.1 used here; seen in this project's tests). A ListOffsets answer comes from the partition's
 * leader only once it has applied the partition, so after {@link #await} the first produce requests
 * are not refused.
 */
public final class TopicLeaders {

  private static final long RETRY_MS = 100;

  private TopicLeaders() {}

  /**
   * Returns once every partition of {@code topics} answers ListOffsets from its leader.
   *
   * @throws IllegalStateException after {@code timeout}, naming the topics
   */
  public static void await(Admin admin, Collection<String> topics, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> described =
            admin
                .describeTopics(topics)
                .allTopicNames()
                .get(remainingMs(deadline), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        described
            .values()
            .forEach(
                d ->
                    d.partitions()
                        .forEach(
                            p ->
                                latest.put(
                                    new TopicPartition(d.name(), p.partition()),
                                    OffsetSpec.latest())));
        admin.listOffsets(latest).all().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "The leaders of " + topics + " do not answer: " + e.getCause().getMessage(),
              e.getCause());
        }
      } catch (TimeoutException e) {
        throw new IllegalStateException(
            "The leaders of " + topics + " did not answer within " + timeout, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "Interrupted while waiting for the leaders of " + topics, e);
      }
      sleep();
    }
  }

  private static long remainingMs(long deadline) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
  }

  private static void sleep() {
    try {
      Thread.sleep(RETRY_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for topic leaders", e);
    }
  }
}
