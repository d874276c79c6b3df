package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.EmbeddedKafkaBroker;
import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.SecureListener;
import ai.candle.kafka.TestCertificates;
import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.TopicSpecs;
import ai.candle.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, security: the streams app and the trainer on a broker that only lets authenticated TLS
 * clients in (SASL_SSL, SCRAM-SHA-512 and PLAIN), configured from a properties file; secrets never
 * appear in their logs, metrics, --help output or dead letters; a wrong password fails fast.
 */
class SecureServicesTest {
  static final String STORE_SECRET = "storePw-5b1d9e";
  static final String ALICE_SECRET = "alicePw-c4f7a2";
  static final String BOB_SECRET = "bobPw-83e6d0";
  static final List<String> SECRETS = List.of(STORE_SECRET, ALICE_SECRET, BOB_SECRET);
  static final int D = 16;

  @Test
  void theServicesRunOverSaslSslAndNeverShowASecret(@TempDir Path dir) throws Exception {
    TestCertificates certs = TestCertificates.generate(dir.resolve("tls"), "broker", STORE_SECRET);
    try (EmbeddedKafkaBroker kafka =
        EmbeddedKafkaBroker.builder()
            .secureListener(
                new SecureListener(
                    certs.keyStore(),
                    STORE_SECRET,
                    Map.of("alice", ALICE_SECRET, "bob", BOB_SECRET)))
            .start()) {
      TopicNames names = TopicNames.defaults();
      kafka.createTopics(TopicSpecs.all(names, 2, (short) 1));
      String secure = kafka.secureBootstrapServers();
      Path streamsConfig = dir.resolve("streams.properties");
      Files.writeString(
          streamsConfig,
          clientProperties("streams.", certs, "SCRAM-SHA-512", "alice", ALICE_SECRET));
      Path trainerConfig = dir.resolve("trainer.properties");
      Files.writeString(
          trainerConfig, clientProperties("kafka.", certs, "PLAIN", "bob", BOB_SECRET));
      Path streamsLog = dir.resolve("streams-app.log");
      Path trainerLog = dir.resolve("trainer.log");
      try (JvmProcess streams =
              JvmProcess.start(
                  "ai.candle.streams.StreamsApp",
                  List.of(
                      "--config",
                      streamsConfig.toString(),
                      "--bootstrap-servers",
                      secure,
                      "--state-dir",
                      dir.resolve("state").toString(),
                      "--feature-width",
                      "" + D,
                      "--metrics-port",
                      "0",
                      "--metrics-address",
                      "127.0.0.1"),
                  streamsLog);
          JvmProcess trainer =
              JvmProcess.start(
                  "ai.candle.trainer.TrainerApp",
                  List.of(
                      "--config",
                      trainerConfig.toString(),
                      "--bootstrap-servers",
                      secure,
                      "--feature-width",
                      "" + D,
                      "--fit-epochs",
                      "2",
                      "--refit-samples",
                      "10",
                      "--metrics-port",
                      "0",
                      "--metrics-address",
                      "127.0.0.1"),
                  trainerLog)) {
        streams.awaitLog("candle ingest RUNNING", 1, Duration.ofSeconds(90));
        trainer.awaitLog("candle trainer caught up", 1, Duration.ofSeconds(90));
        Map<String, Object> client =
            certs.clientConfig(secure, "SCRAM-SHA-512", "alice", ALICE_SECRET);
        Topics topics = Topics.of(names);
        send(client, topics);
        // a fitted version serves and an unlabelled image gets its prediction, all over SASL_SSL
        streams.awaitLog("candle scorer RUNNING", 1, Duration.ofSeconds(90));
        assertTrue(
            readAll(client, names.predictions(), 1, Duration.ofSeconds(60)) >= 1, "a prediction");
        assertTrue(
            readAll(client, names.deadLetter(), 1, Duration.ofSeconds(30)) >= 1,
            "the bad record's dead letter");
        List<String> places = new ArrayList<>();
        places.add(Files.readString(streamsLog));
        places.add(Files.readString(trainerLog));
        places.add(scrape(streams, "Serving Prometheus metrics at"));
        places.add(scrape(trainer, "candle trainer metrics on"));
        places.add(deadLetters(client, names.deadLetter()));
        places.add(help("ai.candle.streams.StreamsApp", dir.resolve("help1.log"), streamsConfig));
        places.add(help("ai.candle.trainer.TrainerApp", dir.resolve("help2.log"), trainerConfig));
        for (String place : places) {
          for (String secret : SECRETS) {
            assertFalse(
                place.contains(secret),
                "a secret leaked into: " + place.substring(0, Math.min(300, place.length())));
          }
        }
        System.out.printf(
            "[secure] streams app (SCRAM-SHA-512) and trainer (PLAIN) ran over SASL_SSL; %d places checked for %d secrets%n",
            places.size(), SECRETS.size());
      }
      // a wrong password: the service exits at once with an authentication error and no secret
      Path wrong = dir.resolve("wrong.properties");
      Files.writeString(
          wrong,
          clientProperties("kafka.", certs, "SCRAM-SHA-512", "alice", "wrongPw-77aa")
              .replace(STORE_SECRET, STORE_SECRET));
      Path wrongLog = dir.resolve("wrong.log");
      long start = System.nanoTime();
      try (JvmProcess failing =
          JvmProcess.start(
              "ai.candle.trainer.TrainerApp",
              List.of(
                  "--config",
                  wrong.toString(),
                  "--bootstrap-servers",
                  secure,
                  "--feature-width",
                  "" + D,
                  "--metrics-port",
                  "0"),
              wrongLog)) {
        failing.awaitExit(Duration.ofSeconds(60));
      }
      double secs = (System.nanoTime() - start) / 1e9;
      String log = Files.readString(wrongLog);
      assertTrue(log.contains("Authentication failed") || log.contains("authentication"), log);
      assertFalse(
          log.contains("wrongPw-77aa") || log.contains(STORE_SECRET), "no secret in the error");
      System.out.printf("[secure] a wrong password stopped the trainer in %.1f s%n", secs);
    }
  }

  static String clientProperties(
      String prefix, TestCertificates certs, String mechanism, String user, String password) {
    StringBuilder sb = new StringBuilder();
    certs
        .clientConfig("unused", mechanism, user, password)
        .forEach(
            (k, v) -> {
              if (!k.equals("bootstrap.servers")) {
                sb.append(prefix)
                    .append(k)
                    .append('=')
                    .append(String.valueOf(v).replace("\\", "\\\\"))
                    .append('\n');
              }
            });
    return sb.toString();
  }

  static void send(Map<String, Object> client, Topics topics) throws Exception {
    Random r = new Random(1);
    try (KafkaProducer<String, byte[]> p =
        new KafkaProducer<>(client, new StringSerializer(), new ByteArraySerializer())) {
      for (String c : List.of("cat", "dog")) {
        ClassAnnouncement a =
            ClassAnnouncement.newBuilder()
                .setName(c)
                .setPromptTemplate(null)
                .setPrompt(null)
                .setAliases(List.of())
                .setTextFeature(vector(r))
                .build();
        p.send(
                new ProducerRecord<>(
                    topics.classAnnouncements().name(),
                    c,
                    topics.classAnnouncements().valueSerde().serializer().serialize("t", a)))
            .get();
        for (int i = 0; i < 12; i++) {
          LabeledImage img =
              LabeledImage.newBuilder()
                  .setId(c + i)
                  .setEventTime(Instant.now())
                  .setLabel(c)
                  .setImageBytes(null)
                  .setImageUri(null)
                  .setFeature(vector(r))
                  .setSource(null)
                  .build();
          p.send(
              new ProducerRecord<>(
                  topics.labeledImages().name(),
                  c + i,
                  topics.labeledImages().valueSerde().serializer().serialize("t", img)));
        }
      }
      ImageToScore u =
          ImageToScore.newBuilder()
              .setId("u1")
              .setEventTime(Instant.now())
              .setImageBytes(null)
              .setImageUri(null)
              .setFeature(vector(r))
              .build();
      p.send(
          new ProducerRecord<>(
              topics.unlabeledImages().name(),
              "u1",
              topics.unlabeledImages().valueSerde().serializer().serialize("t", u)));
      p.send(new ProducerRecord<>(topics.labeledImages().name(), "bad", new byte[] {1, 2, 3}))
          .get();
    }
  }

  static List<Float> vector(Random r) {
    List<Float> v = new ArrayList<>();
    for (int k = 0; k < D; k++) {
      v.add((float) r.nextGaussian());
    }
    return v;
  }

  static int readAll(Map<String, Object> client, String topic, int atLeast, Duration timeout) {
    Map<String, Object> props = new HashMap<>(client);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    int n = 0;
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (n < atLeast && System.nanoTime() < deadline) {
        n += c.poll(Duration.ofMillis(200)).count();
      }
    }
    return n;
  }

  static String deadLetters(Map<String, Object> client, String topic) {
    Map<String, Object> props = new HashMap<>(client);
    StringBuilder sb = new StringBuilder();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      for (int i = 0; i < 10; i++) {
        for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(200))) {
          sb.append(new String(rec.value(), java.nio.charset.StandardCharsets.ISO_8859_1));
        }
      }
    }
    return sb.toString();
  }

  static String scrape(JvmProcess service, String marker) throws Exception {
    String line =
        service.logLines().stream().filter(l -> l.contains(marker)).findFirst().orElseThrow();
    Matcher m = Pattern.compile("(http://\\S+/metrics)").matcher(line);
    assertTrue(m.find(), line);
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(m.group(1))).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  static String help(String main, Path log, Path config) throws Exception {
    try (JvmProcess p =
        JvmProcess.start(main, List.of("--config", config.toString(), "--help"), log)) {
      p.awaitExit(Duration.ofSeconds(30));
    }
    String out = Files.readString(log);
    assertTrue(out.contains("Usage:"), out);
    return out;
  }
}
