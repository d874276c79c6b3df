package ai.candle.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {

  @TempDir Path tmp;

  @Test
  void producesAndConsumesOnATopicItCreated() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start()) {
      kafka.createTopics(new NewTopic("greetings", 3, (short) 1));
      produce(kafka, "greetings", 30);
      assertEquals(30, consumeAll(kafka, "greetings").size());
    }
  }

  @Test
  void restartOnTheSameDataDirKeepsTopicsAndRecords() throws Exception {
    Path data = tmp.resolve("kafka");
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().dataDir(data).start()) {
      kafka.createTopic("kept", 2, Map.of());
      produce(kafka, "kept", 10);
    }
    assertTrue(
        Files.isDirectory(data.resolve("kafka-logs")), "a given data dir is kept after close");
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().dataDir(data).start()) {
      List<ConsumerRecord<String, String>> records = consumeAll(kafka, "kept");
      assertEquals(10, records.size());
      assertEquals(
          Set.of("k0", "k9"),
          records.stream()
              .map(ConsumerRecord::key)
              .filter(k -> k.equals("k0") || k.equals("k9"))
              .collect(Collectors.toSet()));
    }
  }

  @Test
  void closeFreesThePortsThreadsAndATempDataDir() throws Exception {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start();
    int port = kafka.port();
    int controllerPort = kafka.controllerPort();
    Path data = kafka.dataDir();
    assertFalse(canBind(port), "broker port is in use while running");
    kafka.close();
    kafka.close(); // idempotent
    assertTrue(canBind(port), "broker port " + port + " is free after close");
    assertTrue(
        canBind(controllerPort), "controller port " + controllerPort + " is free after close");
    assertFalse(Files.exists(data), "temp data dir " + data + " is deleted on close");
    List<String> leaked =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> !before.contains(t) && t.isAlive() && !t.isDaemon())
            .map(Thread::getName)
            .toList();
    assertEquals(List.of(), leaked, "non-daemon threads left running after close");
  }

  @Test
  void extraBrokerPropertiesApply() throws Exception {
    try (EmbeddedKafkaBroker kafka =
        EmbeddedKafkaBroker.builder().brokerProperty("message.max.bytes", 2_000).start()) {
      kafka.createTopic("small", 1, Map.of());
      try (KafkaProducer<String, String> producer = producer(kafka)) {
        ExecutionException e =
            assertThrows(
                ExecutionException.class,
                () -> producer.send(new ProducerRecord<>("small", "k", "x".repeat(5_000))).get());
        assertTrue(e.getCause() instanceof RecordTooLargeException, e.toString());
      }
    }
  }

  @Test
  void creatingAnExistingTopicFailsWithItsName() {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start()) {
      kafka.createTopic("twice", 1, Map.of());
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> kafka.createTopic("twice", 1, Map.of()));
      assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }
  }

  @Test
  void kafkaTargetGivesAWorkingBroker() throws Exception {
    try (KafkaTarget target = KafkaTarget.start();
        Admin admin = Admin.create(Map.of("bootstrap.servers", target.bootstrapServers()))) {
      assertEquals(1, admin.describeCluster().nodes().get().size(), target.description());
    }
  }

  private static boolean canBind(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static KafkaProducer<String, String> producer(EmbeddedKafkaBroker kafka) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 100_000);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  private static void produce(EmbeddedKafkaBroker kafka, String topic, int n) throws Exception {
    try (KafkaProducer<String, String> producer = producer(kafka)) {
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
      }
    }
  }

  private static List<ConsumerRecord<String, String>> consumeAll(
      EmbeddedKafkaBroker kafka, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, String>> out = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("timed out reading " + topic + ", got " + out.size());
        }
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }
}
