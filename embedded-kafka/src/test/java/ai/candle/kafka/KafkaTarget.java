package ai.candle.kafka;

import java.util.Locale;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The broker a real-broker test runs against: Testcontainers' Kafka (the apache/kafka image) where
 * a Docker engine answers, else an {@link EmbeddedKafkaBroker}. The choice is printed in the test
 * output. {@code -Dcandle.kafka.target=embedded|docker} forces one.
 */
public abstract class KafkaTarget implements AutoCloseable {

  /** Pinned to the Kafka version of the parent pom. */
  public static final String KAFKA_IMAGE = "apache/kafka:4.1.1";

  public static final String CHOICE_PROPERTY = "candle.kafka.target";

  public abstract String bootstrapServers();

  /** Which broker this is, for logs and failure messages. */
  public abstract String description();

  @Override
  public abstract void close();

  /** Starts a broker with default settings. */
  public static KafkaTarget start() {
    return start(Map.of());
  }

  /** Starts a broker with these extra broker properties (e.g. {@code message.max.bytes}). */
  public static KafkaTarget start(Map<String, String> brokerProperties) {
    String forced = System.getProperty(CHOICE_PROPERTY, "").trim().toLowerCase(Locale.ROOT);
    KafkaTarget target;
    if (forced.equals("embedded")) {
      target = new Embedded(brokerProperties);
      System.out.println(
          "[kafka-target] using embedded KRaft broker ("
              + CHOICE_PROPERTY
              + "=embedded) at "
              + target.bootstrapServers());
    } else if (forced.equals("docker") || dockerAvailable()) {
      target = new Container(brokerProperties);
      System.out.println(
          "[kafka-target] using Testcontainers "
              + KAFKA_IMAGE
              + " at "
              + target.bootstrapServers());
    } else {
      target = new Embedded(brokerProperties);
      System.out.println(
          "[kafka-target] using embedded KRaft broker (no Docker engine) at "
              + target.bootstrapServers());
    }
    return target;
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      System.out.println("[kafka-target] Docker check failed: " + e);
      return false;
    }
  }

  private static final class Embedded extends KafkaTarget {
    private final EmbeddedKafkaBroker broker;

    Embedded(Map<String, String> brokerProperties) {
      broker = EmbeddedKafkaBroker.builder().brokerProperties(brokerProperties).start();
    }

    @Override
    public String bootstrapServers() {
      return broker.bootstrapServers();
    }

    @Override
    public String description() {
      return "embedded KRaft broker " + broker.bootstrapServers();
    }

    @Override
    public void close() {
      broker.close();
    }
  }

  private static final class Container extends KafkaTarget {
    private final KafkaContainer container;

    Container(Map<String, String> brokerProperties) {
      container = new KafkaContainer(DockerImageName.parse(KAFKA_IMAGE));
      // The apache/kafka image maps KAFKA_SOME_KEY to the broker property some.key.
      brokerProperties.forEach(
          (k, v) -> container.withEnv("KAFKA_" + k.toUpperCase(Locale.ROOT).replace('.', '_'), v));
      container.withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
      container.start();
    }

    @Override
    public String bootstrapServers() {
      return container.getBootstrapServers();
    }

    @Override
    public String description() {
      return "Testcontainers " + KAFKA_IMAGE + " " + container.getBootstrapServers();
    }

    @Override
    public void close() {
      container.stop();
    }
  }
}
