package ai.candle.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.EmbeddedKafkaBroker;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.TopicSpecs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kafka/create-topics.sh, the compose file's topic job, run for real: with POSIX sh against
 * the embedded broker, through Kafka's own kafka-topics tool (TopicCommand, the class behind the
 * image's kafka-topics.sh). The topics it creates must be TopicSpecs' exactly: names, partitions
 * and configs.
 */
class ComposeTopicsTest {

  static final int PARTITIONS = 3;

  @Test
  void theScriptCreatesExactlyTheTopicsTopicSpecsLists(@TempDir Path dir) throws Exception {
    Path kafkaTopics = dir.resolve("kafka-topics.sh");
    // the tool on this JVM's classpath; a short-lived JVM, so no JIT beyond C1
    Files.writeString(
        kafkaTopics,
        "#!/bin/sh\nexec '"
            + Path.of(System.getProperty("java.home"), "bin", "java")
            + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '"
            + System.getProperty("java.class.path")
            + "' org.apache.kafka.tools.TopicCommand \"$@\"\n");
    Files.setPosixFilePermissions(kafkaTopics, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder().dataDir(dir.resolve("kafka")).start()) {
      ProcessBuilder script =
          new ProcessBuilder("sh", RepoFiles.resolve("deploy/kafka/create-topics.sh").toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("create-topics.log").toFile());
      script
          .environment()
          .putAll(
              Map.of(
                  "BOOTSTRAP_SERVERS",
                  broker.bootstrapServers(),
                  "TOPIC_PARTITIONS",
                  Integer.toString(PARTITIONS),
                  "KAFKA_TOPICS",
                  kafkaTopics.toString()));
      Process p = script.start();
      assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the script finished");
      String log = Files.readString(dir.resolve("create-topics.log"), StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), "create-topics.sh:\n" + log);
      assertSameTopics(broker.bootstrapServers(), log);
    }
  }

  private static void assertSameTopics(String bootstrap, String log) throws Exception {
    List<NewTopic> expected = TopicSpecs.all(TopicNames.defaults(), PARTITIONS, (short) 1);
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      assertEquals(expected.stream().map(NewTopic::name).collect(Collectors.toSet()), names, log);
      Map<String, TopicDescription> described =
          admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
      Map<ConfigResource, Config> configs =
          admin
              .describeConfigs(
                  names.stream()
                      .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                      .toList())
              .all()
              .get(30, TimeUnit.SECONDS);
      for (NewTopic spec : expected) {
        assertEquals(
            spec.numPartitions(),
            described.get(spec.name()).partitions().size(),
            spec.name() + " partitions");
        Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
        spec.configs()
            .forEach(
                (key, value) ->
                    assertEquals(value, config.get(key).value(), spec.name() + " " + key));
      }
    }
  }
}
