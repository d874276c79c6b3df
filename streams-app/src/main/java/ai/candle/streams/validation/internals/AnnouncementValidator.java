package ai.candle.streams.validation.internals;

import ai.candle.clip.PromptTemplates;
import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.RegistryEvent;
import ai.candle.schemas.RegistryEventKind;
import ai.candle.schemas.Topic;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.validation.RejectReason;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Parses and validates a raw class announcement; forwards a registry event keyed by class name
 * (carrying the original bytes, for a later conflict) or a dead letter.
 */
public final class AnnouncementValidator
    implements Processor<byte[], byte[], String, Outcome<RegistryEvent>> {

  private final IngestConfig config;
  private final Topic<String, ClassAnnouncement> source;
  private final DeadLetters deadLetters;
  private ProcessorContext<String, Outcome<RegistryEvent>> context;

  public AnnouncementValidator(
      IngestConfig config, Topic<String, ClassAnnouncement> source, DeadLetters deadLetters) {
    this.config = config;
    this.source = source;
    this.deadLetters = deadLetters;
  }

  @Override
  public void init(ProcessorContext<String, Outcome<RegistryEvent>> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    Origin origin = Origin.of(context, record);
    try {
      ClassAnnouncement announcement = validate(record.key(), record.value());
      RegistryEvent event =
          new RegistryEvent(
              announcement.getName(),
              RegistryEventKind.ANNOUNCEMENT,
              announcement,
              origin.toAvro());
      context.forward(record.withKey(announcement.getName()).withValue(new Outcome.Valid<>(event)));
    } catch (InvalidRecordException e) {
      Outcome<RegistryEvent> rejected = deadLetters.rejected(origin, e);
      context.forward(record.withKey((String) null).withValue(rejected));
    }
  }

  private ClassAnnouncement validate(byte[] key, byte[] value) throws InvalidRecordException {
    // announcements travel on, with their bytes, through the registry repartition topic: keep
    // them well under the producer's request limit
    Checks.size(
        key,
        Checks.present(value, "ClassAnnouncement"),
        config.maxAnnouncementBytes(),
        "announcement.max.bytes");
    ClassAnnouncement announcement = parse(value);
    Checks.name("class name", announcement.getName(), config.maxLabelLength());
    for (String alias : announcement.getAliases()) {
      Checks.name("alias", alias, config.maxLabelLength());
    }
    prompts(announcement);
    if (announcement.getTextFeature() != null) {
      Checks.feature("textFeature", announcement.getTextFeature(), config.featureWidth());
    }
    return announcement;
  }

  private void prompts(ClassAnnouncement announcement) throws InvalidRecordException {
    if (announcement.getPrompt() != null) {
      Checks.prompt("prompt", announcement.getPrompt(), config.maxPromptLength());
    }
    String template = announcement.getPromptTemplate();
    if (template != null) {
      Checks.prompt("promptTemplate", template, config.maxPromptLength());
      if (!template.contains(PromptTemplates.PLACEHOLDER)) {
        throw new InvalidRecordException(
            RejectReason.PROMPT, "promptTemplate has no '{}' for the class name: " + template);
      }
    }
  }

  private ClassAnnouncement parse(byte[] value) throws InvalidRecordException {
    try {
      return source.valueSerde().deserializer().deserialize(source.name(), value);
    } catch (SerializationException e) {
      throw new InvalidRecordException(RejectReason.NOT_SCHEMA, e.getMessage(), e);
    }
  }
}
