package ai.candle.trainer;

import static ai.candle.trainer.TrainingSnapshotTest.registered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.schemas.ClassInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** What VersionLog decides without a broker; recovery and sending run against one in TrainerIT. */
class VersionLogTest {

  static TrainerConfig config(String... flags) {
    List<String> args =
        new ArrayList<>(
            List.of("--bootstrap-servers", "broker:9092", "--model-max-bytes", "4000000"));
    args.addAll(List.of(flags));
    return TrainerConfig.load(args, Map.of());
  }

  @Test
  void consumersReadCommittedVersionsInChunkSizedFetchesWithoutAGroupAndOverridesWin() {
    Map<String, Object> p =
        VersionLog.consumerSettings(config("--kafka-config", "max.poll.records=10"));
    assertEquals("broker:9092", p.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG));
    assertEquals("read_committed", p.get(ConsumerConfig.ISOLATION_LEVEL_CONFIG));
    assertEquals(false, p.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG));
    assertEquals(8 * 1024 * 1024, p.get(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG));
    assertEquals("10", p.get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG));
    assertEquals(
        2000, VersionLog.consumerSettings(config()).get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG));
  }

  @Test
  void theProducerIsIdempotentWithAcksAllSizedForAChunk() {
    Map<String, Object> p =
        VersionLog.producerSettings(
            config("--model-chunk-bytes", "4000000", "--kafka-config", "security.protocol=SSL"));
    assertEquals("broker:9092", p.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
    assertEquals("all", p.get(ProducerConfig.ACKS_CONFIG));
    assertEquals(true, p.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
    assertEquals(4_000_000 + 64 * 1024, p.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
    assertEquals(
        1024 * 1024,
        VersionLog.producerSettings(config()).get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        "the default chunk fits Kafka's default request size");
    assertEquals("SSL", p.get("security.protocol"));
  }

  @Test
  void theProducerIsTransactionalWithOneIdPerModel() {
    assertEquals(
        "candle-trainer-candle",
        VersionLog.producerSettings(config()).get(ProducerConfig.TRANSACTIONAL_ID_CONFIG));
    assertEquals(
        "candle-trainer-cats",
        VersionLog.producerSettings(config("--model-name", "cats"))
            .get(ProducerConfig.TRANSACTIONAL_ID_CONFIG));
    assertEquals(
        "blue",
        VersionLog.producerSettings(config("--transactional-id", "blue"))
            .get(ProducerConfig.TRANSACTIONAL_ID_CONFIG));
    assertEquals(
        "candle-trainer-candle",
        VersionLog.producerSettings(config("--kafka-config", "transactional.id=other"))
            .get(ProducerConfig.TRANSACTIONAL_ID_CONFIG),
        "the id that fences a second trainer is not replaced by a client override");
  }

  @Test
  void aVersionOverModelMaxBytesIsRefusedBeforeSending() {
    List<ClassInfo> classes = new ArrayList<>();
    for (int c = 0; c < 50; c++) {
      classes.add(registered("class-" + c, c, 64));
    }
    VersionDraft draft = VersionDraft.initial(classes, 64, config().hyperParameters());
    // no producer: open() was never called, so the refusal cannot have come from a broker
    try (VersionLog log =
        new VersionLog(config("--model-max-bytes", "1000", "--feature-width", "64"))) {
      VersionLog.PublishFailedException e =
          assertThrows(VersionLog.PublishFailedException.class, () -> log.publish(draft));
      assertTrue(e.getMessage().contains("model.max.bytes"), e.getMessage());
      assertEquals(-1, log.lastVersion());
    }
  }

  @Test
  void aRecordTooLargeForTheTopicSaysWhichSettingsToRaise() {
    String hint = VersionLog.hint(new RecordTooLargeException("too large"));
    assertTrue(hint.contains("max.message.bytes") && hint.contains("model.chunk.bytes"), hint);
    assertEquals("", VersionLog.hint(new TimeoutException("no broker")));
  }
}
