package ai.candle.streams.ingest;

import static ai.candle.streams.validation.internals.OutcomeStreams.split;
import static ai.candle.streams.validation.internals.OutcomeStreams.valid;

import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.RegistryEvent;
import ai.candle.schemas.RegistryEventKind;
import ai.candle.schemas.Topics;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.scoring.Scoring;
import ai.candle.streams.validation.internals.AnnouncementValidator;
import ai.candle.streams.validation.internals.DeadLetters;
import ai.candle.streams.validation.internals.LabeledImageValidator;
import ai.candle.streams.validation.internals.Outcome;
import ai.candle.streams.validation.internals.OutcomeStreams;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The ingest topology (docs/design.md flows 1 and 2).
 *
 * <pre>
 * labeled images (bytes) -> validate -+-> dead letters
 *                                     +-> features (key: class) -> class counts (exactly once)
 *                                                                   |
 *                                              class has images (every emitted count)
 *                                                                   |
 * announcements (bytes)  -> validate -+-> registry events ----------+
 *                                     +-> dead letters              |
 *                        repartition to ONE partition "class-registry-events"
 *                                                                   |
 *                               class registry (stores) -+-> classes (compacted)
 *                                                        +-> dead letters (conflicts)
 * </pre>
 *
 * With a {@link Scoring} for {@code prequential}, every valid labelled image is also scored with
 * the serving model BEFORE it counts ({@link Scoring#prequentialScorer()}): a prediction with
 * {@code prequential = true} and its label goes to the predictions topic in the same transaction as
 * its feature, and feeds the prequential accuracy metrics. Before any model serves, no prediction.
 *
 * <p>Inputs are consumed as bytes and parsed inside the topology, so a poison record is
 * dead-lettered with its original bytes instead of stopping the app.
 */
public final class IngestTopology {

  /** Named state store of the per-class counts (queryable). */
  public static final String CLASS_COUNTS_STORE = "class-counts";

  /** Named state store of the class registry, class name to ClassInfo (queryable). */
  public static final String CLASS_REGISTRY_STORE = ClassRegistryProcessor.REGISTRY_STORE;

  private IngestTopology() {}

  /**
   * The ingest topology.
   *
   * @param registry where the dead-letter and ingest-record counters are registered
   * @param encoders the image and text encoders ({@link Encoders#none()}: features must come
   *     precomputed)
   * @param prequential with a {@link Scoring}, every valid labelled image is scored before it
   *     counts; empty: no predictions
   */
  public static Topology build(
      IngestConfig config,
      MeterRegistry registry,
      Encoders encoders,
      Optional<Scoring> prequential) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(encoders, "encoders");
    Objects.requireNonNull(prequential, "prequential");
    StreamsBuilder builder = new StreamsBuilder();
    DeadLetters deadLetters = new DeadLetters(registry, config.deadLetterMaxBytes());
    new Wiring(
            builder,
            config,
            config.topicSerdes(),
            deadLetters,
            new IngestRecords(registry),
            encoders,
            prequential)
        .wire();
    return builder.build();
  }

  /** One build of the topology: the pieces share the topics and the counters. */
  private record Wiring(
      StreamsBuilder builder,
      IngestConfig config,
      Topics topics,
      DeadLetters deadLetters,
      IngestRecords ingested,
      Encoders encoders,
      Optional<Scoring> prequential) {

    void wire() {
      Map<String, KStream<String, Outcome<FeatureRecord>>> labeled =
          split(validateLabeledImages(), "labeled-");
      KStream<String, FeatureRecord> features = valid(labeled.get("labeled-valid"), "features-out");
      features.to(
          topics.features().name(),
          Produced.with(Serdes.String(), topics.features().valueSerde()).withName("features-sink"));
      prequential.ifPresent(scoring -> scoreBeforeCounting(features, scoring));

      Map<String, KStream<String, Outcome<RegistryEvent>>> announced =
          split(validateAnnouncements(), "announcements-");
      KStream<String, RegistryEvent> events =
          valid(announced.get("announcements-valid"), "announcement-events")
              .merge(countClasses(features), Named.as("registry-events"));

      Map<String, KStream<String, Outcome<ClassInfo>>> registered =
          split(registry(events), "registry-");
      valid(registered.get("registry-valid"), "classes-out")
          .to(
              topics.classes().name(),
              Produced.with(Serdes.String(), topics.classes().valueSerde())
                  .withName("classes-sink"));

      OutcomeStreams.deadLetters(labeled.get("labeled-rejected"), "labeled")
          .merge(
              OutcomeStreams.deadLetters(announced.get("announcements-rejected"), "announcements"),
              Named.as("merge-dead-letters-1"))
          .merge(
              OutcomeStreams.deadLetters(registered.get("registry-rejected"), "registry"),
              Named.as("merge-dead-letters-2"))
          .to(
              topics.deadLetter().name(),
              Produced.with(Serdes.ByteArray(), topics.deadLetter().valueSerde())
                  .withName("dead-letter-sink"));
    }

    /** Prequential predictions of the valid labelled images, in the ingest transaction. */
    private void scoreBeforeCounting(KStream<String, FeatureRecord> features, Scoring scoring) {
      features
          .process(scoring.prequentialScorer(), Named.as("score-prequential"))
          .to(
              topics.predictions().name(),
              Produced.with(Serdes.String(), topics.predictions().valueSerde())
                  .withName("prequential-predictions-sink"));
    }

    private KStream<String, Outcome<FeatureRecord>> validateLabeledImages() {
      return rawStream(topics.labeledImages().name(), "labeled-images")
          .process(
              () ->
                  new LabeledImageValidator(
                      config, topics.labeledImages(), encoders.image(), deadLetters),
              Named.as("validate-labeled-images"))
          .peek(
              (key, outcome) -> ingested.count(IngestRecords.Kind.LABELED, outcome),
              Named.as("count-labeled-images"));
    }

    private KStream<String, Outcome<RegistryEvent>> validateAnnouncements() {
      return rawStream(topics.classAnnouncements().name(), "class-announcements")
          .process(
              () -> new AnnouncementValidator(config, topics.classAnnouncements(), deadLetters),
              Named.as("validate-announcements"))
          .peek(
              (key, outcome) -> ingested.count(IngestRecords.Kind.ANNOUNCEMENT, outcome),
              Named.as("count-announcements"));
    }

    private KStream<byte[], byte[]> rawStream(String topic, String name) {
      return builder.stream(
          topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(name + "-source"));
    }

    /**
     * Counts valid records per class. The count store is cached, so its changelog and the counts
     * topic get the latest count of each class once per commit rather than once per record
     * (exactly-once: the flush is part of the commit). Every emitted count also tells the registry
     * that the class has images (a FIRST_IMAGE event): the registry registers an unknown class or
     * turns a NEW one BASE, and ignores the event for a class that is BASE already. With caching
     * the transition to 1 may be coalesced with later images, so no count is singled out.
     */
    private KStream<String, RegistryEvent> countClasses(KStream<String, FeatureRecord> features) {
      KTable<String, Long> counts =
          features
              .mapValues(FeatureRecord::getImageId, Named.as("class-count-input"))
              .groupByKey(Grouped.with("class-counts-by-class", Serdes.String(), Serdes.String()))
              .count(
                  Named.as("count-classes"),
                  Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(CLASS_COUNTS_STORE)
                      .withKeySerde(Serdes.String())
                      .withValueSerde(Serdes.Long()));
      KStream<String, Long> changes = counts.toStream(Named.as("class-count-changes"));
      changes.to(
          topics.classCounts().name(),
          Produced.with(Serdes.String(), Serdes.Long()).withName("class-counts-sink"));
      return changes.mapValues(
          (className, count) ->
              new RegistryEvent(className, RegistryEventKind.FIRST_IMAGE, null, null),
          Named.as("first-image-events"));
    }

    /** All registry events through one partition, then the registry processor. */
    private KStream<String, Outcome<ClassInfo>> registry(KStream<String, RegistryEvent> events) {
      builder.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(ClassRegistryProcessor.REGISTRY_STORE),
              Serdes.String(),
              topics.classes().valueSerde()));
      builder.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(ClassRegistryProcessor.INDEX_STORE),
              Serdes.String(),
              Serdes.Integer()));
      return events
          .repartition(
              Repartitioned.<String, RegistryEvent>as("class-registry-events")
                  .withKeySerde(Serdes.String())
                  .withValueSerde(AvroSerde.of(RegistryEvent.class))
                  .withNumberOfPartitions(1))
          .process(
              () -> new ClassRegistryProcessor(config, encoders.text(), deadLetters),
              Named.as("class-registry"),
              ClassRegistryProcessor.REGISTRY_STORE,
              ClassRegistryProcessor.INDEX_STORE);
    }
  }
}
