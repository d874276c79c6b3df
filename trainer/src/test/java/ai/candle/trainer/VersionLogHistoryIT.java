package ai.candle.trainer;

import static ai.candle.trainer.TrainingSnapshotTest.registered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.KafkaTarget;
import ai.candle.kafka.TopicLeaders;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.TopicSpecs;
import ai.candle.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The models' history on a real broker: every version the trainer publishes lands on the models
 * topic and on the history topic in one transaction, so a reader that only sees committed records
 * sees it on both or on neither.
 */
class VersionLogHistoryIT {
  static final int WIDTH = 16;

  @Test
  void aPublishedVersionIsCommittedOnTheModelsTopicAndTheHistoryTogether() throws Exception {
    try (KafkaTarget kafka = KafkaTarget.start()) {
      TopicNames names = names("ok.");
      create(kafka, TopicSpecs.all(names, 1, (short) 1));
      TrainerConfig config = config(kafka, names);
      try (VersionLog log = new VersionLog(config)) {
        log.open();
        List<Long> published =
            log.publish(
                new VersionLog.Publication(List.of(draft(config, 3), draft(config, 4)), List.of()));
        assertEquals(List.of(0L, 1L), published);
        assertEquals(2L, log.publish(draft(config, 5)));
      }
      List<ModelVersion> models = read(kafka, names.models(), "read_committed");
      List<ModelVersion> history = read(kafka, names.modelHistory(), "read_committed");
      System.out.printf(
          "[version-history] models %s, history %s%n", summary(models), summary(history));
      assertEquals(
          summary(models),
          summary(history),
          "the same versions, in the same order, on both topics");
      assertEquals(
          List.of("0", "1", "2"), models.stream().map(v -> Long.toString(v.getVersion())).toList());
      assertEquals(models, history, "the very same records");
    }
  }

  @Test
  void aVersionTheHistoryRefusesIsNotCommittedOnTheModelsTopicEither() throws Exception {
    try (KafkaTarget kafka = KafkaTarget.start()) {
      TopicNames names = names("small.");
      List<NewTopic> specs = new ArrayList<>();
      for (NewTopic t : TopicSpecs.all(names, 1, (short) 1)) {
        if (t.name().equals(names.modelHistory())) {
          // a history too small for a version: the transaction's second record is refused
          Map<String, String> configs = new HashMap<>(t.configs());
          configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "2000");
          t = new NewTopic(t.name(), 1, (short) 1).configs(configs);
        }
        specs.add(t);
      }
      create(kafka, specs);
      TrainerConfig config = config(kafka, names);
      try (VersionLog log = new VersionLog(config)) {
        log.open();
        VersionLog.PublishFailedException e =
            assertThrows(
                VersionLog.PublishFailedException.class, () -> log.publish(draft(config, 6)));
        System.out.println("[version-history] refused: " + e.getMessage());
        assertEquals(-1, log.lastVersion());
      }
      assertEquals(
          List.of(),
          read(kafka, names.models(), "read_committed"),
          "the models topic holds no version its history lacks");
      assertEquals(List.of(), read(kafka, names.modelHistory(), "read_committed"));
      assertTrue(
          read(kafka, names.models(), "read_uncommitted").size() <= 1,
          "at most the aborted record itself");
    }
  }

  static TopicNames names(String prefix) {
    TopicNames d = TopicNames.defaults();
    return new TopicNames(
        prefix + d.labeledImages(),
        prefix + d.unlabeledImages(),
        prefix + d.classAnnouncements(),
        prefix + d.classes(),
        prefix + d.classCounts(),
        prefix + d.features(),
        prefix + d.models(),
        prefix + d.predictions(),
        prefix + d.deadLetter(),
        prefix + d.trainingStore(),
        prefix + d.modelHistory());
  }

  static void create(KafkaTarget kafka, List<NewTopic> specs) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin.createTopics(specs).all().get();
      TopicLeaders.await(
          admin, specs.stream().map(NewTopic::name).toList(), Duration.ofSeconds(30));
    }
  }

  static TrainerConfig config(KafkaTarget kafka, TopicNames names) {
    return TrainerConfig.load(
        List.of(
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--feature-width",
            Integer.toString(WIDTH),
            "--model-name",
            "hist",
            "--topic-classes",
            names.classes(),
            "--topic-class-counts",
            names.classCounts(),
            "--topic-features",
            names.features(),
            "--topic-models",
            names.models(),
            "--topic-training-store",
            names.trainingStore(),
            "--topic-model-history",
            names.modelHistory(),
            "--kafka-config",
            "max.block.ms=10000"),
        Map.of());
  }

  static VersionDraft draft(TrainerConfig config, int classes) {
    List<ClassInfo> infos = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      infos.add(registered("class-" + c, c, WIDTH));
    }
    return VersionDraft.initial(infos, WIDTH, config.hyperParameters());
  }

  static List<ModelVersion> read(KafkaTarget kafka, String topic, String isolation) {
    Map<String, Object> props = new HashMap<>(ModelVersions.consumerConfig());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    Topics topics = Topics.defaults();
    List<ModelVersion> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition p = new TopicPartition(topic, 0);
      c.assign(List.of(p));
      c.seekToBeginning(List.of(p));
      long end = c.endOffsets(List.of(p)).get(p);
      while (c.position(p) < end) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          assertEquals("hist", r.key(), "keyed by the model's name");
          out.add(topics.models().valueSerde().deserializer().deserialize(r.topic(), r.value()));
        }
      }
    }
    return out;
  }

  static List<String> summary(List<ModelVersion> versions) {
    return versions.stream()
        .map(v -> v.getVersion() + "/" + v.getChecksum().substring(0, 8))
        .toList();
  }
}
