package ai.candle.streams.ingest;

import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ClassStatus;
import ai.candle.schemas.RegistryEvent;
import ai.candle.schemas.RegistryEventKind;
import ai.candle.schemas.TextFeatureSource;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.encode.TextEncoder;
import ai.candle.streams.validation.RejectReason;
import ai.candle.streams.validation.internals.Checks;
import ai.candle.streams.validation.internals.DeadLetters;
import ai.candle.streams.validation.internals.InvalidRecordException;
import ai.candle.streams.validation.internals.Origin;
import ai.candle.streams.validation.internals.Outcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The class registry. Runs on the single partition of the registry repartition topic, so every
 * registration is ordered by that partition: indexes are allocated sequentially (0, 1, ...) from a
 * stored counter, never reused, and a replay yields the same indexes.
 *
 * <p>Rules: a class is registered by its first announcement (status NEW) or its first labelled
 * image (status BASE); the first image turns NEW into BASE. The text feature comes from the
 * announcement, else from the text encoder on the prompt, else the class has none ({@link
 * TextFeatureSource#NONE}) until an announcement or an encoder provides one. Once a class has a
 * text feature, an announcement with a different feature or a different explicit prompt is a
 * conflict (dead-lettered). An event that changes nothing emits nothing, so a duplicate
 * announcement is idempotent with no output.
 *
 * <p>At most {@code classes.max} classes are registered: an announcement or the images of a new
 * class beyond it are dead-lettered ({@link RejectReason#CLASS_LIMIT}, counted by {@code
 * candle.dead.letters{reason="class_limit"}}), once per event: every announcement, and every
 * emitted count of the class's images (about once per commit while they arrive). Those images'
 * features are still written and counted; the trainer fits registered classes only.
 */
final class ClassRegistryProcessor
    implements Processor<String, RegistryEvent, String, Outcome<ClassInfo>> {

  static final String REGISTRY_STORE = "class-registry";
  static final String INDEX_STORE = "class-registry-next-index";
  static final String NEXT_INDEX_KEY = "next";

  private final IngestConfig config;
  private final Optional<TextEncoder> textEncoder;
  private final DeadLetters deadLetters;
  private ProcessorContext<String, Outcome<ClassInfo>> context;
  private KeyValueStore<String, ClassInfo> registry;
  private KeyValueStore<String, Integer> nextIndex;

  ClassRegistryProcessor(
      IngestConfig config, Optional<TextEncoder> textEncoder, DeadLetters deadLetters) {
    this.config = config;
    this.textEncoder = textEncoder;
    this.deadLetters = deadLetters;
  }

  @Override
  public void init(ProcessorContext<String, Outcome<ClassInfo>> context) {
    this.context = context;
    this.registry = context.getStateStore(REGISTRY_STORE);
    this.nextIndex = context.getStateStore(INDEX_STORE);
  }

  @Override
  public void process(Record<String, RegistryEvent> record) {
    RegistryEvent event = record.value();
    String name = event.getClassName();
    ClassInfo existing = registry.get(name);
    try {
      ClassInfo updated =
          withTextFeature(
              existing == null ? register(event, record.timestamp()) : update(existing, event));
      if (!updated.equals(existing)) {
        registry.put(name, updated);
        context.forward(record.withKey(name).withValue(new Outcome.Valid<>(updated)));
      }
    } catch (InvalidRecordException e) {
      Origin origin = Origin.of(event.getOrigin(), record.timestamp());
      context.forward(record.withKey(name).withValue(deadLetters.rejected(origin, e)));
    }
  }

  private ClassInfo register(RegistryEvent event, long timestamp) throws InvalidRecordException {
    int registered = registeredCount();
    if (registered >= config.maxClasses()) {
      throw new InvalidRecordException(
          RejectReason.CLASS_LIMIT,
          "class '"
              + event.getClassName()
              + "' is not registered: "
              + registered
              + " classes are, classes.max is "
              + config.maxClasses()
              + " ("
              + (event.getKind() == RegistryEventKind.ANNOUNCEMENT
                  ? "an announcement"
                  : "labelled images")
              + ")");
    }
    ClassAnnouncement announcement = event.getAnnouncement();
    boolean announced = event.getKind() == RegistryEventKind.ANNOUNCEMENT;
    ClassInfo.Builder info =
        ClassInfo.newBuilder()
            .setName(event.getClassName())
            .setIndex(allocateIndex())
            .setStatus(announced ? ClassStatus.NEW : ClassStatus.BASE)
            .setTextFeatureSource(TextFeatureSource.NONE)
            .setTextFeature(null)
            .setPrompt(
                announced
                    ? Prompts.effective(announcement, event.getClassName(), config.promptTemplate())
                    : Prompts.fromTemplate(config.promptTemplate(), event.getClassName()))
            .setAliases(
                announced ? List.copyOf(new LinkedHashSet<>(announcement.getAliases())) : List.of())
            .setFirstSeen(Instant.ofEpochMilli(timestamp));
    if (announced && announcement.getTextFeature() != null) {
      info.setTextFeatureSource(TextFeatureSource.ANNOUNCEMENT)
          .setTextFeature(announcement.getTextFeature());
    }
    return info.build();
  }

  private ClassInfo update(ClassInfo existing, RegistryEvent event) throws InvalidRecordException {
    if (event.getKind() == RegistryEventKind.FIRST_IMAGE) {
      return existing.getStatus() == ClassStatus.NEW
          ? ClassInfo.newBuilder(existing).setStatus(ClassStatus.BASE).build()
          : existing;
    }
    ClassAnnouncement announcement = event.getAnnouncement();
    String prompt = Prompts.effective(announcement, existing.getName(), config.promptTemplate());
    ClassInfo.Builder updated =
        ClassInfo.newBuilder(existing)
            .setAliases(mergeAliases(existing.getAliases(), announcement.getAliases()));
    if (existing.getTextFeatureSource() != TextFeatureSource.NONE) {
      checkNoConflict(existing, announcement, prompt);
      return updated.build();
    }
    if (Prompts.isExplicit(announcement)) {
      updated.setPrompt(prompt);
    }
    if (announcement.getTextFeature() != null) {
      updated
          .setTextFeatureSource(TextFeatureSource.ANNOUNCEMENT)
          .setTextFeature(announcement.getTextFeature());
    }
    return updated.build();
  }

  private static void checkNoConflict(
      ClassInfo existing, ClassAnnouncement announcement, String prompt)
      throws InvalidRecordException {
    List<Float> feature = announcement.getTextFeature();
    if (feature != null && !feature.equals(existing.getTextFeature())) {
      throw new InvalidRecordException(
          RejectReason.CONFLICT,
          "class '"
              + existing.getName()
              + "' is already registered (index "
              + existing.getIndex()
              + ") with a different text"
              + " feature (from "
              + existing.getTextFeatureSource()
              + "); a registered text feature"
              + " is never replaced");
    }
    if (Prompts.isExplicit(announcement) && !prompt.equals(existing.getPrompt())) {
      throw new InvalidRecordException(
          RejectReason.CONFLICT,
          "class '"
              + existing.getName()
              + "' is already registered with prompt '"
              + existing.getPrompt()
              + "' and its text"
              + " feature; the announcement's prompt '"
              + prompt
              + "' would change it");
    }
  }

  /**
   * Fills in the text feature from the encoder while the class has none: of its prompt, or, when
   * that is the configured template's, of its name ({@link TextEncoder#encodeClassName}, a prompt
   * ensemble where one is configured).
   */
  private ClassInfo withTextFeature(ClassInfo info) {
    if (info.getTextFeatureSource() != TextFeatureSource.NONE || textEncoder.isEmpty()) {
      return info;
    }
    String name = info.getName();
    String prompt = info.getPrompt();
    float[] encoded =
        prompt.equals(Prompts.fromTemplate(config.promptTemplate(), name))
            ? textEncoder.get().encodeClassName(name, prompt)
            : textEncoder.get().encode(prompt);
    List<Float> feature = Checks.encoderOutput("text encoder", encoded, config.featureWidth());
    return ClassInfo.newBuilder(info)
        .setTextFeatureSource(TextFeatureSource.ENCODER)
        .setTextFeature(feature)
        .build();
  }

  /** Classes registered so far: indexes are allocated 0, 1, ... and never reused. */
  private int registeredCount() {
    Integer next = nextIndex.get(NEXT_INDEX_KEY);
    return next == null ? 0 : next;
  }

  private int allocateIndex() {
    Integer next = nextIndex.get(NEXT_INDEX_KEY);
    int index = next == null ? 0 : next;
    nextIndex.put(NEXT_INDEX_KEY, index + 1);
    return index;
  }

  private static List<String> mergeAliases(List<String> existing, List<String> added) {
    LinkedHashSet<String> merged = new LinkedHashSet<>(existing);
    merged.addAll(added);
    return new ArrayList<>(merged);
  }
}
