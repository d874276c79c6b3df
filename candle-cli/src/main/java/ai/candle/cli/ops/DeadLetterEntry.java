package ai.candle.cli.ops;

import ai.candle.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A dead letter as {@code candle dead-letters} reports it.
 *
 * @param id where the dead letter itself lies, {@code PARTITION@OFFSET} of the dead-letter topic
 * @param reason the bounded category (the metric's reason tag), e.g. {@code no_model}
 * @param detail the human-readable reason
 * @param errorClass the Java class of the error, or {@code validation}
 * @param originTopic the topic of the rejected record
 * @param originPartition its partition (-1 when unknown)
 * @param originOffset its offset (-1 when unknown)
 * @param originalTime the rejected record's timestamp (ISO-8601)
 * @param key the original key as text (UTF-8), null when there was none
 * @param valueBytes the original value's size, as kept
 * @param truncated whether the dead letter kept only the first bytes of the original key or value
 * @param replayable whether replay can send the original back; else {@code notReplayable} says why
 */
record DeadLetterEntry(
    String id,
    String reason,
    String detail,
    String errorClass,
    String originTopic,
    int originPartition,
    long originOffset,
    String originalTime,
    String key,
    long valueBytes,
    boolean truncated,
    boolean replayable,
    String notReplayable) {

  /**
   * The topic the streams app writes when it lost a record's origin (a registry conflict without
   * one).
   */
  static final String UNKNOWN_TOPIC = "unknown";

  /** A dead letter read off the topic, decoded. */
  record Found(ConsumerRecord<byte[], byte[]> record, DeadLetter letter) {
    DeadLetterEntry entry() {
      return of(this);
    }

    String id() {
      return record.partition() + "@" + record.offset();
    }
  }

  /**
   * Reads every dead letter, partition by partition; records that are not dead letters go to {@code
   * unreadable}.
   */
  static void read(
      KafkaOptions kafka,
      String topic,
      Duration timeout,
      Consumer<Found> found,
      Consumer<String> unreadable) {
    var serde = kafka.topics().deadLetter().valueSerde().deserializer();
    TopicSnapshot.read(
        kafka.clientConfig(),
        Map.of(),
        topic,
        timeout,
        r -> {
          if (r.value() == null) {
            return;
          }
          try {
            found.accept(new Found(r, serde.deserialize(topic, r.value())));
          } catch (SerializationException e) {
            unreadable.accept(
                r.topic()
                    + "-"
                    + r.partition()
                    + "@"
                    + r.offset()
                    + ": not a dead letter ("
                    + e.getMessage()
                    + ")");
          }
        });
  }

  static DeadLetterEntry of(Found f) {
    DeadLetter d = f.letter();
    boolean truncated = d.getOriginalValueSize() != null || d.getOriginalKeySize() != null;
    String why = notReplayable(d, truncated);
    ByteBuffer key = d.getOriginalKey();
    return new DeadLetterEntry(
        f.id(),
        d.getCategory(),
        d.getReason(),
        d.getErrorClass(),
        d.getTopic(),
        d.getPartition(),
        d.getOffset(),
        d.getTimestamp().toString(),
        key == null ? null : text(key),
        d.getOriginalValue() == null ? 0 : d.getOriginalValue().remaining(),
        truncated,
        why == null,
        why);
  }

  /** Why the original cannot be sent back, or null when it can. */
  private static String notReplayable(DeadLetter d, boolean truncated) {
    if (truncated) {
      return "only the first bytes of the original were kept (dead.letter.max.bytes)";
    }
    if (d.getTopic() == null || d.getTopic().equals(UNKNOWN_TOPIC) || d.getTopic().isBlank()) {
      return "its original topic is unknown";
    }
    if (d.getOriginalValue() == null) {
      return "the original record had no value";
    }
    return null;
  }

  /** The bytes as UTF-8 text. */
  static String text(ByteBuffer b) {
    ByteBuffer copy = b.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** The bytes of a buffer, copied. */
  static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return null;
    }
    ByteBuffer copy = b.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }
}
