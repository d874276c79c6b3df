package ai.candle.streams.validation.internals;

import ai.candle.schemas.DeadLetter;
import ai.candle.streams.validation.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a rejection into a DeadLetter: logs it once (with topic/partition/offset), counts it in
 * {@code candle.dead.letters{reason}} and keeps the original bytes.
 *
 * <p>A dead letter always fits the producer's request limit (one that cannot be produced would stop
 * the app): it keeps at most {@code dead.letter.max.bytes} of original bytes in all, counting the
 * key twice (it is the dead letter's record key and its {@code originalKey}). The key comes first,
 * up to a quarter of the limit; the value gets the rest. What is cut is cut at the end, and the
 * full size goes in {@code originalKeySize} / {@code originalValueSize}: a dead letter is never
 * dropped, and says when it holds only the first bytes of the original. The reason is cut to
 * {@value #MAX_REASON_CHARS} characters, in the dead letter and in the log.
 */
public final class DeadLetters {

  public static final String METRIC = "candle.dead.letters";
  public static final String REASON_TAG = "reason";

  /** The longest reason kept, in characters. */
  static final int MAX_REASON_CHARS = 1_000;

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

  private final Map<RejectReason, Counter> counters = new EnumMap<>(RejectReason.class);
  private final int maxBytes;

  public DeadLetters(MeterRegistry registry, int maxBytes) {
    this.maxBytes = maxBytes;
    for (RejectReason reason : RejectReason.values()) {
      counters.put(
          reason,
          Counter.builder(METRIC)
              .description("Records sent to the dead-letter topic, by reason")
              .tag(REASON_TAG, reason.tag())
              .register(registry));
    }
  }

  /** Logs and counts the rejection; the dead letter to publish, keyed by the key it keeps. */
  public <T> Outcome.Rejected<T> rejected(Origin origin, InvalidRecordException e) {
    DeadLetter letter = reject(origin, e);
    return new Outcome.Rejected<>(bytes(letter.getOriginalKey()), letter);
  }

  /** Logs and counts the rejection, and returns the DeadLetter to publish. */
  DeadLetter reject(Origin origin, InvalidRecordException e) {
    counters.get(e.reason()).increment();
    String reason = bounded(e.getMessage());
    LOG.warn("Dead-lettering record {} ({}): {}", origin.where(), e.reason().tag(), reason);
    byte[] key = origin.key();
    byte[] value = origin.value();
    int keyKept = key == null ? 0 : Math.min(key.length, maxBytes / 4);
    int valueKept = value == null ? 0 : Math.min(value.length, maxBytes - 2 * keyKept);
    return DeadLetter.newBuilder()
        .setOriginalKey(kept(key, keyKept))
        .setOriginalKeySize(key != null && keyKept < key.length ? Long.valueOf(key.length) : null)
        .setOriginalValue(kept(value, valueKept))
        .setOriginalValueSize(
            value != null && valueKept < value.length ? Long.valueOf(value.length) : null)
        .setTopic(origin.topic())
        .setPartition(origin.partition())
        .setOffset(origin.offset())
        .setErrorClass(e.errorClass())
        .setCategory(e.reason().tag())
        .setReason(reason)
        .setTimestamp(Instant.ofEpochMilli(origin.timestamp()))
        .build();
  }

  /** The message, or its first {@value #MAX_REASON_CHARS} characters and how long it was. */
  static String bounded(String message) {
    if (message == null || message.isBlank()) {
      return "rejected (no reason given)";
    }
    if (message.length() <= MAX_REASON_CHARS) {
      return message;
    }
    return message.substring(0, MAX_REASON_CHARS) + "... (" + message.length() + " characters)";
  }

  private static ByteBuffer kept(byte[] bytes, int length) {
    if (bytes == null) {
      return null;
    }
    return length == bytes.length
        ? ByteBuffer.wrap(bytes)
        : ByteBuffer.wrap(bytes, 0, length).slice();
  }

  private static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return null;
    }
    ByteBuffer copy = buffer.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }
}
