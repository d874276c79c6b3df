package ai.candle.streams.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.schemas.TopicNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layers: defaults, then file, then environment, then flags. */
class IngestConfigTest {

  @TempDir Path dir;

  private Path file(String... lines) throws IOException {
    Path file = dir.resolve("ingest.properties");
    Files.write(file, List.of(lines));
    return file;
  }

  @Test
  void defaultsAreThoseOfTheDesign() {
    IngestConfig config = IngestConfig.defaults();
    assertEquals("localhost:9092", config.bootstrapServers());
    assertEquals("candle-ingest", config.applicationId());
    assertEquals(TopicNames.defaults(), config.topics());
    assertEquals(512, config.featureWidth());
    assertEquals(200, config.maxLabelLength());
    assertEquals(1024 * 1024, config.maxRecordBytes());
    assertEquals(512 * 1024, config.deadLetterMaxBytes());
    assertEquals("a photo of a {}.", config.promptTemplate());
    assertEquals(Map.of(), config.streamsOverrides());
  }

  @Test
  void fileThenEnvironmentThenFlagsWin() throws IOException {
    Path file =
        file(
            "feature.width=8",
            "label.max.length=10",
            "application.id=from-file",
            "topic.features=file.features");
    Map<String, String> env =
        Map.of(
            "CANDLE_CONFIG",
            file.toString(),
            "CANDLE_LABEL_MAX_LENGTH",
            "20",
            "CANDLE_APPLICATION_ID",
            "from-env");
    IngestConfig config = IngestConfig.load(List.of("--application-id=from-flag"), env);

    assertEquals(8, config.featureWidth(), "file over default");
    assertEquals(20, config.maxLabelLength(), "environment over file");
    assertEquals("from-flag", config.applicationId(), "flag over environment");
    assertEquals("file.features", config.topics().features());
    assertEquals("candle.class-counts", config.topics().classCounts());
  }

  @Test
  void theConfigFlagNamesTheFileAndTheChildProcessFlagsWork() throws IOException {
    Path file = file("record.max.bytes=99", "streams.commit.interval.ms=50");
    IngestConfig config =
        IngestConfig.load(
            List.of(
                "--config",
                file.toString(),
                "--bootstrap-servers",
                "broker:9093",
                "--state-dir",
                "state",
                "--application-id",
                "it-1",
                "--topic-class-counts",
                "counts",
                "--streams-config",
                "num.stream.threads=2"),
            Map.of());

    assertEquals(99, config.maxRecordBytes());
    assertEquals("broker:9093", config.bootstrapServers());
    assertEquals("state", config.stateDir());
    assertEquals("counts", config.topics().classCounts());
    assertEquals(
        Map.of("commit.interval.ms", "50", "num.stream.threads", "2"), config.streamsOverrides());
  }

  @Test
  void streamsPropertiesAreExactlyOnceWithOverridesLast() {
    Properties props =
        IngestConfig.load(
                List.of("--application-id", "app", "--streams-config", "commit.interval.ms=10"),
                Map.of())
            .streamsProperties();
    assertEquals(
        StreamsConfig.EXACTLY_ONCE_V2, props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    assertEquals("app", props.get(StreamsConfig.APPLICATION_ID_CONFIG));
    assertEquals("localhost:9092", props.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
    assertEquals("10", props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
  }

  @Test
  void ingestDefaultsFavourThroughput() {
    Properties props = IngestConfig.defaults().streamsProperties();
    assertEquals("1000", props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertEquals("2", props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
    assertEquals(Integer.toString(256 * 1024), props.get("producer.batch.size"));
  }

  @Test
  void namesMapToEnvironmentVariablesAndFlags() {
    assertEquals(
        "CANDLE_TOPIC_CLASS_COUNTS",
        ai.candle.service.LayeredSettings.envName("topic.class-counts"));
    assertEquals(
        "--topic-class-counts", ai.candle.service.LayeredSettings.flagName("topic.class-counts"));
    assertEquals(
        "CANDLE_BOOTSTRAP_SERVERS", ai.candle.service.LayeredSettings.envName("bootstrap.servers"));
  }

  @Test
  void mistakesAreReportedClearly() throws IOException {
    assertMessage("Unknown argument '--feature-wdth'", List.of("--feature-wdth", "3"), Map.of());
    assertMessage("Flag --feature-width needs a value", List.of("--feature-width"), Map.of());
    assertMessage(
        "feature.width must be an integer, got 'wide'",
        List.of("--feature-width", "wide"),
        Map.of());
    assertMessage(
        "feature.width must be positive, got 0", List.of(), Map.of("CANDLE_FEATURE_WIDTH", "0"));
    assertMessage(
        "prompt.template must contain '{}'", List.of("--prompt-template", "a photo"), Map.of());
    assertMessage(
        "Unknown key 'feature.widht' in config file",
        List.of("--config", file("feature.widht=3").toString()),
        Map.of());
  }

  private static void assertMessage(String start, List<String> args, Map<String, String> env) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IngestConfig.load(args, env));
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }

  @Test
  void theConnectionsSecurityReachesThePlainClientsToo() {
    IngestConfig c =
        IngestConfig.load(
            List.of(
                "--streams-config",
                "security.protocol=SASL_SSL",
                "--streams-config",
                "sasl.mechanism=PLAIN",
                "--streams-config",
                "ssl.truststore.type=PKCS12",
                "--streams-config",
                "num.stream.threads=4"),
            Map.of());
    assertEquals(
        Map.of(
            "security.protocol",
            "SASL_SSL",
            "sasl.mechanism",
            "PLAIN",
            "ssl.truststore.type",
            "PKCS12"),
        c.clientOverrides());
  }
}
