package ai.candle.streams.scoring;

import ai.candle.schemas.Prediction;
import ai.candle.schemas.Topics;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.validation.internals.DeadLetters;
import ai.candle.streams.validation.internals.Outcome;
import ai.candle.streams.validation.internals.OutcomeStreams;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The scoring topology (docs/design.md flow 4), for its own Kafka Streams client:
 *
 * <pre>
 * unlabeled images (bytes) -> check + score (serving model) -+-> predictions (key: image id)
 *                              store: newest version per task +-> dead letters
 * </pre>
 *
 * Every record gets exactly one output: a prediction (image id, model version, top-k classes best
 * first, event time; {@code prequential = false}) or a dead letter (the ingest checks: size,
 * schema, exactly one of image/URI/feature, width, finite values, encoder; plus {@code no_model}
 * under {@code scoring.no-model=dead-letter}). Exactly-once v2 makes it exactly one across
 * restarts. The model comes from {@link Scoring#models()}, swapped without a pause.
 */
public final class ScoringTopology {

  /** Named state store of the newest model version each task scored with (changelogged). */
  public static final String MODEL_VERSIONS_STORE = UnlabeledImageScorer.VERSION_STORE;

  private ScoringTopology() {}

  /** The scoring topology with the given encoders (none: features must come precomputed). */
  public static Topology build(
      IngestConfig config, Scoring scoring, MeterRegistry registry, Encoders encoders) {
    StreamsBuilder builder = new StreamsBuilder();
    create(builder, config, scoring, registry, encoders);
    return builder.build();
  }

  /** Adds the scoring topology to {@code builder}. */
  public static void create(
      StreamsBuilder builder,
      IngestConfig config,
      Scoring scoring,
      MeterRegistry registry,
      Encoders encoders) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(scoring, "scoring");
    Objects.requireNonNull(encoders, "encoders");
    Topics topics = config.topicSerdes();
    DeadLetters deadLetters = new DeadLetters(registry, config.deadLetterMaxBytes());
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(MODEL_VERSIONS_STORE), Serdes.String(), Serdes.Long()));

    KStream<String, Outcome<Prediction>> outcomes =
        builder.stream(
                topics.unlabeledImages().name(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                    .withName("unlabeled-images-source"))
            .process(
                () ->
                    new UnlabeledImageScorer(
                        config, topics.unlabeledImages(), encoders.image(), deadLetters, scoring),
                Named.as("score-unlabeled-images"),
                MODEL_VERSIONS_STORE);
    Map<String, KStream<String, Outcome<Prediction>>> split =
        OutcomeStreams.split(outcomes, "scoring-");
    OutcomeStreams.valid(split.get("scoring-valid"), "predictions-out")
        .to(
            topics.predictions().name(),
            Produced.with(Serdes.String(), topics.predictions().valueSerde())
                .withName("predictions-sink"));
    OutcomeStreams.deadLetters(split.get("scoring-rejected"), "scoring")
        .to(
            topics.deadLetter().name(),
            Produced.with(Serdes.ByteArray(), topics.deadLetter().valueSerde())
                .withName("scoring-dead-letter-sink"));
  }
}
