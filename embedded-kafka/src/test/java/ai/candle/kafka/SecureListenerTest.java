package ai.candle.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded broker's SASL_SSL listener, with certificates generated at test time. */
class SecureListenerTest {
  static final String PASSWORD = "alice-Secret-7f3e";
  static final String STORE_PASSWORD = "store-Secret-91ac";
  @TempDir static Path dir;
  static EmbeddedKafkaBroker kafka;
  static TestCertificates certs;

  @BeforeAll
  static void start() throws Exception {
    certs = TestCertificates.generate(dir.resolve("broker"), "broker", STORE_PASSWORD);
    kafka =
        EmbeddedKafkaBroker.builder()
            .secureListener(
                new SecureListener(certs.keyStore(), STORE_PASSWORD, Map.of("alice", PASSWORD)))
            .start();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  @Test
  void clientsAuthenticateWithPlainAndScramOverTls() throws Exception {
    for (String mechanism : List.of("PLAIN", "SCRAM-SHA-512")) {
      Map<String, Object> client =
          certs.clientConfig(kafka.secureBootstrapServers(), mechanism, "alice", PASSWORD);
      String topic = "secure-" + mechanism.toLowerCase();
      try (Admin admin = Admin.create(client)) {
        admin
            .createTopics(List.of(new NewTopic(topic, 1, (short) 1)))
            .all()
            .get(30, TimeUnit.SECONDS);
      }
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(client, new StringSerializer(), new StringSerializer())) {
        producer
            .send(new ProducerRecord<>(topic, "k", "over " + mechanism))
            .get(30, TimeUnit.SECONDS);
      }
      try (KafkaConsumer<String, String> consumer =
          new KafkaConsumer<>(client, new StringDeserializer(), new StringDeserializer())) {
        TopicPartition p = new TopicPartition(topic, 0);
        consumer.assign(List.of(p));
        consumer.seekToBeginning(List.of(p));
        ConsumerRecords<String, String> records = ConsumerRecords.empty();
        for (int i = 0; i < 50 && records.isEmpty(); i++) {
          records = consumer.poll(Duration.ofMillis(200));
        }
        assertEquals("over " + mechanism, records.iterator().next().value());
      }
    }
  }

  @Test
  void aWrongPasswordFailsFastWithoutTheSecretInTheError() {
    for (String mechanism : List.of("PLAIN", "SCRAM-SHA-512")) {
      String wrong = "wrong-Secret-" + mechanism;
      Map<String, Object> client =
          new HashMap<>(
              certs.clientConfig(kafka.secureBootstrapServers(), mechanism, "alice", wrong));
      long start = System.nanoTime();
      try (Admin admin = Admin.create(client)) {
        ExecutionException e =
            assertThrows(
                ExecutionException.class,
                () -> admin.listTopics().names().get(60, TimeUnit.SECONDS));
        double secs = (System.nanoTime() - start) / 1e9;
        String message = String.valueOf(e.getCause());
        assertTrue(
            e.getCause() instanceof org.apache.kafka.common.errors.SaslAuthenticationException,
            message);
        assertFalse(
            message.contains(wrong) || message.contains(PASSWORD), "no secret in: " + message);
        assertTrue(secs < 20, "fails fast, took " + secs + " s");
      }
    }
  }

  @Test
  void anUntrustedCertificateFailsFast() throws Exception {
    TestCertificates other =
        TestCertificates.generate(dir.resolve("other"), "other", STORE_PASSWORD);
    Map<String, Object> client =
        other.clientConfig(kafka.secureBootstrapServers(), "PLAIN", "alice", PASSWORD);
    try (Admin admin = Admin.create(client)) {
      ExecutionException e =
          assertThrows(
              ExecutionException.class, () -> admin.listTopics().names().get(60, TimeUnit.SECONDS));
      String message = String.valueOf(e.getCause());
      assertTrue(
          e.getCause() instanceof org.apache.kafka.common.errors.SslAuthenticationException,
          message);
      assertFalse(
          message.contains(PASSWORD) || message.contains(STORE_PASSWORD),
          "no secret in: " + message);
    }
  }
}
