package ai.candle.streams.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.FastScorer;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.Prediction;
import ai.candle.schemas.ScoredClass;
import ai.candle.schemas.Topic;
import ai.candle.schemas.Topics;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.config.ScoringConfig;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.ingest.IngestTopology;
import ai.candle.streams.model.ModelHolder;
import ai.candle.streams.model.TestModels;
import ai.candle.streams.validation.RejectReason;
import ai.candle.streams.validation.internals.DeadLetters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * A TopologyTestDriver over the scoring topology or the ingest topology with prequential scoring,
 * feature width 16 (TestModels), a model holder and a map of class counts the test sets.
 */
public final class ScoringFixture implements AutoCloseable {

  public static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_000L);
  public static final Topics TOPICS = Topics.defaults();
  public static final AvroSerde<ImageToScore> UNLABELED = AvroSerde.of(ImageToScore.class);

  public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  public final Map<String, Long> counts = new HashMap<>();
  public final IngestConfig config;
  public final ScoringConfig scoringConfig;
  public final ModelHolder models;
  public final Scoring scoring;
  public final TopologyTestDriver driver;
  public final TestInputTopic<byte[], byte[]> unlabeled;
  public final TestInputTopic<byte[], byte[]> labeled;
  public final TestOutputTopic<String, Prediction> predictions;
  public final TestOutputTopic<byte[], DeadLetter> deadLetters;

  private ScoringFixture(Path stateDir, boolean ingest, Encoders encoders, String... flags) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--feature-width",
                Integer.toString(TestModels.WIDTH),
                "--state-dir",
                stateDir.toString(),
                "--application-id",
                "scoring-test"));
    args.addAll(List.of(flags));
    config = IngestConfig.load(args, Map.of());
    scoringConfig = ScoringConfig.load(args, Map.of());
    models =
        new ModelHolder(
            scoringConfig.modelName(),
            TestModels.WIDTH,
            registry,
            Clock.fixed(TestModels.CREATED, ZoneOffset.UTC));
    scoring = Scoring.of(scoringConfig, models, name -> counts.getOrDefault(name, 0L), registry);
    Topology topology =
        ingest
            ? IngestTopology.build(config, registry, encoders, Optional.of(scoring))
            : ScoringTopology.build(config, scoring, registry, encoders);
    driver =
        new TopologyTestDriver(
            topology,
            ingest ? config.streamsProperties() : scoringConfig.streamsProperties(config));
    unlabeled = ingest ? null : input(TOPICS.unlabeledImages().name());
    labeled = ingest ? input(TOPICS.labeledImages().name()) : null;
    predictions = output(TOPICS.predictions());
    deadLetters = output(TOPICS.deadLetter());
  }

  /** The scoring topology. */
  public static ScoringFixture scoring(Path stateDir, Encoders encoders, String... flags) {
    return new ScoringFixture(stateDir, false, encoders, flags);
  }

  /** The ingest topology, scoring labelled images before they count. */
  public static ScoringFixture ingest(Path stateDir, String... flags) {
    return new ScoringFixture(stateDir, true, Encoders.none(), flags);
  }

  private TestInputTopic<byte[], byte[]> input(String topic) {
    return driver.createInputTopic(
        topic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
  }

  private <K, V> TestOutputTopic<K, V> output(Topic<K, V> topic) {
    return driver.createOutputTopic(
        topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static ImageToScore withFeature(String id, List<Float> feature) {
    return ImageToScore.newBuilder().setId(id).setEventTime(T0).setFeature(feature).build();
  }

  /** Pipes an unlabelled image keyed by its id; returns the value bytes as sent. */
  public byte[] pipe(ImageToScore image) {
    byte[] bytes = UNLABELED.encode(image);
    unlabeled.pipeInput(utf8(image.getId()), bytes, T0);
    return bytes;
  }

  /** The prediction FastScorer makes for {@code feature} with {@code model}, top-k best first. */
  public static Prediction expected(
      ai.candle.core.CandleModel model,
      long version,
      String id,
      float[] feature,
      int k,
      String trueLabel) {
    try (FastScorer scorer = FastScorer.prepare(model)) {
      float[] scores = scorer.score(feature);
      List<ScoredClass> top = new ArrayList<>();
      for (int j : FastScorer.topK(scores, k)) {
        top.add(new ScoredClass(model.classNames().get(j), scores[j]));
      }
      return new Prediction(id, version, top, trueLabel != null, trueLabel, T0);
    }
  }

  public double deadLetterCount(RejectReason reason) {
    return registry
        .get(DeadLetters.METRIC)
        .tag(DeadLetters.REASON_TAG, reason.tag())
        .counter()
        .count();
  }

  double predictionCount(ScoringRole role) {
    return registry
        .get(ScoringMetrics.PREDICTIONS)
        .tag(ScoringMetrics.ROLE_TAG, role.tag())
        .counter()
        .count();
  }

  /**
   * Asserts one dead letter of {@code reason} for the record sent with {@code key}, and nothing
   * else.
   */
  public DeadLetter assertOnlyDeadLetter(String key, byte[] bytes, RejectReason reason) {
    DeadLetter letter = deadLetters.readValue();
    assertEquals(reason.tag(), letter.getCategory(), letter.getReason());
    assertEquals(TOPICS.unlabeledImages().name(), letter.getTopic());
    assertEquals(java.nio.ByteBuffer.wrap(utf8(key)), letter.getOriginalKey());
    assertEquals(java.nio.ByteBuffer.wrap(bytes), letter.getOriginalValue());
    assertTrue(deadLetters.isEmpty(), "one dead letter");
    assertTrue(predictions.isEmpty(), "no prediction");
    assertEquals(1.0, deadLetterCount(reason));
    return letter;
  }

  @Override
  public void close() {
    driver.close();
    models.close();
  }
}
