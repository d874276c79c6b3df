package ai.candle.streams.validation.internals;

import static ai.candle.streams.ingest.IngestFixture.LABELED;
import static ai.candle.streams.ingest.IngestFixture.T0;
import static ai.candle.streams.ingest.IngestFixture.TOPICS;
import static ai.candle.streams.ingest.IngestFixture.utf8;
import static ai.candle.streams.ingest.IngestFixture.vector;
import static ai.candle.streams.ingest.IngestFixture.withFeature;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.FeatureRecord;
import ai.candle.streams.config.IngestConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The validator alone: the dead letter names the record's real partition and offset. */
class LabeledImageValidatorTest {

  private final MockProcessorContext<String, Outcome<FeatureRecord>> context =
      new MockProcessorContext<>();
  private final LabeledImageValidator validator =
      new LabeledImageValidator(
          IngestConfig.load(List.of("--feature-width", "4"), Map.of()),
          TOPICS.labeledImages(),
          Optional.empty(),
          new DeadLetters(new SimpleMeterRegistry(), 1024));

  @BeforeEach
  void init() {
    validator.init(context);
  }

  @Test
  void aRejectionCarriesTopicPartitionOffsetAndOriginalKey() {
    context.setRecordMetadata("candle.images.labeled", 3, 42L);
    byte[] value = LABELED.encode(withFeature("img-9", "cat", vector(1, 2)));
    validator.process(new Record<>(utf8("img-9"), value, T0.toEpochMilli()));

    List<CapturedForward<? extends String, ? extends Outcome<FeatureRecord>>> out =
        context.forwarded();
    assertEquals(1, out.size());
    Outcome.Rejected<FeatureRecord> rejected =
        (Outcome.Rejected<FeatureRecord>) out.get(0).record().value();
    DeadLetter letter = rejected.letter();
    assertEquals(ByteBuffer.wrap(utf8("img-9")), ByteBuffer.wrap(rejected.originalKey()));
    assertEquals("candle.images.labeled", letter.getTopic());
    assertEquals(3, letter.getPartition());
    assertEquals(42L, letter.getOffset());
    assertEquals(ByteBuffer.wrap(value), letter.getOriginalValue());
  }

  @Test
  void aValidRecordIsForwardedKeyedByClassWithItsTimestamp() {
    context.setRecordMetadata("candle.images.labeled", 1, 7L);
    byte[] value = LABELED.encode(withFeature("img-1", "cat", vector(1, 2, 3, 4)));
    validator.process(new Record<>(utf8("img-1"), value, 123L));

    Record<? extends String, ? extends Outcome<FeatureRecord>> record =
        context.forwarded().get(0).record();
    assertEquals("cat", record.key());
    assertEquals(123L, record.timestamp());
    assertEquals(
        new Outcome.Valid<>(new FeatureRecord("img-1", "cat", vector(1, 2, 3, 4), T0, null)),
        record.value());
    assertEquals(1, context.forwarded().size());
  }
}
