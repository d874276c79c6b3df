package ai.candle.streams.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.schemas.ModelVersions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scorer's settings, in the same layers as ingest's and on the same command line. */
class ScoringConfigTest {

  @TempDir Path dir;

  @Test
  void defaultsAreThoseOfTheIssue() {
    ScoringConfig config = ScoringConfig.defaults();
    assertEquals("candle-scorer", config.applicationId());
    assertEquals(5, config.topK());
    assertEquals(NoModelPolicy.WAIT, config.noModel());
    assertEquals(10, config.worstClasses());
    assertEquals(1000, config.accuracyWindow());
    assertEquals(10_000, config.catchUpMs());
    assertEquals("candle", config.modelName());
    assertEquals(-1, config.pinnedVersion(), "no pin: the newest version serves");
    assertEquals(ModelVersions.DEFAULT_MAX_BYTES, config.modelMaxBytes());
    assertEquals("0.0.0.0", config.metricsAddress());
    assertEquals(9464, config.metricsPort());
  }

  @Test
  void fileThenEnvironmentThenFlagsWin() throws IOException {
    Path file = dir.resolve("app.properties");
    Files.write(
        file,
        List.of(
            "scoring.top-k=3", "model.name=from-file", "metrics.port=1000", "feature.width=64"));
    Map<String, String> env =
        Map.of(
            "CANDLE_CONFIG",
            file.toString(),
            "CANDLE_MODEL_NAME",
            "from-env",
            "CANDLE_METRICS_PORT",
            "2000");
    List<String> args =
        List.of("--metrics-port=0", "--scoring-no-model", "dead-letter", "--feature-width", "32");

    ScoringConfig scoring = ScoringConfig.load(args, env);
    assertEquals(3, scoring.topK(), "file over default");
    assertEquals("from-env", scoring.modelName(), "environment over file");
    assertEquals(0, scoring.metricsPort(), "flag over environment");
    assertEquals(NoModelPolicy.DEAD_LETTER, scoring.noModel());
    assertEquals(
        32,
        IngestConfig.load(args, env).featureWidth(),
        "ingest reads the same command line and ignores the scoring flags");
  }

  @Test
  void aPinIsAVersionNumberFromAnyLayer() {
    assertEquals(
        7, ScoringConfig.load(List.of("--scoring-model-pin", "7"), Map.of()).pinnedVersion());
    assertEquals(
        3, ScoringConfig.load(List.of(), Map.of("CANDLE_SCORING_MODEL_PIN", "3")).pinnedVersion());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ScoringConfig.load(List.of("--scoring-model-pin", "-2"), Map.of()));
    assertTrue(e.getMessage().contains("scoring.model.pin"), e.getMessage());
  }

  @Test
  void theScoringClientHasItsOwnIdAndCommitIntervalAndTheOverridesWin() {
    IngestConfig ingest = IngestConfig.load(List.of("--application-id", "in"), Map.of());
    Properties props =
        ScoringConfig.load(List.of("--scoring-application-id", "out"), Map.of())
            .streamsProperties(ingest);
    assertEquals("out", props.get(StreamsConfig.APPLICATION_ID_CONFIG));
    assertEquals(
        StreamsConfig.EXACTLY_ONCE_V2, props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    assertEquals("100", props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));

    IngestConfig overridden =
        IngestConfig.load(List.of("--streams-config", "commit.interval.ms=20"), Map.of());
    assertEquals(
        "20",
        ScoringConfig.defaults()
            .streamsProperties(overridden)
            .get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
  }

  @Test
  void mistakesAreReportedClearly() {
    assertMessage(
        "scoring.no-model must be one of [wait, dead-letter], got drop",
        "--scoring-no-model",
        "drop");
    assertMessage("scoring.top-k must be positive, got 0", "--scoring-top-k", "0");
    assertMessage(
        "scoring.worst-classes must be at most 100, got 101", "--scoring-worst-classes", "101");
    assertMessage("metrics.port must be in 0..65535, got 70000", "--metrics-port", "70000");
    assertMessage("model.max.bytes must be an integer, got 'big'", "--model-max-bytes", "big");
    assertMessage("Unknown argument '--scoring-topk'", "--scoring-topk", "3");
  }

  private static void assertMessage(String start, String... args) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ScoringConfig.load(List.of(args), Map.of()));
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }
}
