package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.HyperParameters;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainerConfigTest {

  @Test
  void defaultsAreTheAdaptiveConfigurationWithTheStoreCappingSamples() {
    TrainerConfig c = TrainerConfig.defaults();
    assertEquals("localhost:9092", c.bootstrapServers());
    assertEquals("candle", c.modelName());
    assertEquals(512, c.featureWidth());
    assertEquals(100, c.storeMaxPerClass());
    assertEquals(HyperParameters.Mode.ADAPTIVE, c.hyperParameters().mode());
    assertTrue(c.fitHead(), "the head's weight is tried by default");
    assertEquals(4, c.selection().headWeights().length);
    assertEquals(
        0, c.hyperParameters().maxPerClass(), "the store caps; the fit must not cap again");
    assertEquals(Duration.ofMinutes(10), c.refitInterval());
    assertEquals("candle.models", c.topics().models());
    assertEquals(256 * 1024 * 1024, c.modelMaxBytes());
    assertEquals(900 * 1024, c.modelChunkBytes());
    assertEquals("0.0.0.0", c.metricsAddress());
    assertEquals(9465, c.metricsPort(), "beside the streams app's 9464");
  }

  @Test
  void theMetricsEndpointIsConfiguredInTheSameLayers() {
    TrainerConfig c =
        TrainerConfig.load(
            List.of("--metrics-port", "0"),
            Map.of("CANDLE_METRICS_ADDRESS", "127.0.0.1", "CANDLE_METRICS_PORT", "9999"));
    assertEquals("127.0.0.1", c.metricsAddress());
    assertEquals(0, c.metricsPort(), "flag over environment; 0 picks a free port");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainerConfig.load(List.of("--metrics-port", "70000"), Map.of()));
    assertEquals("metrics.port must be in 0..65535, got 70000", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainerConfig.load(List.of("--metrics-address", " "), Map.of()));
    assertEquals("metrics.address must not be empty", e.getMessage());
  }

  @Test
  void flagsAndEnvironmentOverrideAndPassThroughReachTheClients() {
    TrainerConfig c =
        TrainerConfig.load(
            List.of(
                "--fit-epochs", "7", "--topic-models=m", "--kafka-config", "security.protocol=SSL"),
            Map.of("CANDLE_FEATURE_WIDTH", "64", "CANDLE_FIT_EPOCHS", "9"));
    assertEquals(7, c.hyperParameters().epochs());
    assertEquals(64, c.featureWidth());
    assertEquals("m", c.topics().models());
    assertEquals(Map.of("security.protocol", "SSL"), c.kafkaOverrides());
  }

  @Test
  void sampledClassTrainingIsConfigurable() {
    assertEquals(
        HyperParameters.DEFAULT_SAMPLED_ABOVE,
        TrainerConfig.defaults().hyperParameters().sampledAbove());
    assertEquals(
        HyperParameters.DEFAULT_SAMPLED_OTHERS,
        TrainerConfig.defaults().hyperParameters().sampledOthers());
    TrainerConfig c =
        TrainerConfig.load(
            List.of("--fit-sampled-above", "5000"), Map.of("CANDLE_FIT_SAMPLED_OTHERS", "256"));
    assertEquals(5000, c.hyperParameters().sampledAbove());
    assertEquals(256, c.hyperParameters().sampledOthers());
    assertEquals(
        0,
        TrainerConfig.load(List.of("--fit-sampled-above=0"), Map.of())
            .hyperParameters()
            .sampledAbove());
    assertThrows(
        IllegalArgumentException.class,
        () -> TrainerConfig.load(List.of("--fit-sampled-above", "-1"), Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> TrainerConfig.load(List.of("--fit-sampled-others", "0"), Map.of()));
  }

  @Test
  void theTransactionalIdFollowsTheModelUnlessGivenAndTheTrainingStoreTopicIsConfigurable() {
    assertEquals("candle-trainer-candle", TrainerConfig.defaults().transactionalId());
    assertEquals("candle.training-store", TrainerConfig.defaults().topics().trainingStore());
    TrainerConfig c =
        TrainerConfig.load(
            List.of("--model-name", "birds", "--topic-training-store", "t.store"), Map.of());
    assertEquals(
        "candle-trainer-birds",
        c.transactionalId(),
        "one id per model: a second trainer of it fences the first");
    assertEquals("t.store", c.topics().trainingStore());
    assertEquals(
        "mine",
        TrainerConfig.load(List.of(), Map.of("CANDLE_TRANSACTIONAL_ID", "mine")).transactionalId());
  }

  @Test
  void theModelHistoryTopicIsConfigurable() {
    assertEquals("candle.models.history", TrainerConfig.defaults().topics().modelHistory());
    assertEquals(
        "t.history",
        TrainerConfig.load(List.of("--topic-model-history", "t.history"), Map.of())
            .topics()
            .modelHistory());
    assertEquals(
        "e.history",
        TrainerConfig.load(List.of(), Map.of("CANDLE_TOPIC_MODEL_HISTORY", "e.history"))
            .topics()
            .modelHistory());
  }

  @Test
  void badSettingsAreNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainerConfig.load(List.of("--holdout-percent", "80"), Map.of()));
    assertTrue(e.getMessage().contains("holdout.percent"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainerConfig.load(List.of("--refit-fraction", "x"), Map.of()));
    assertTrue(e.getMessage().contains("refit.fraction"), e.getMessage());
  }
}
