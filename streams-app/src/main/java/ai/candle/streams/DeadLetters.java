package ai.candle.streams;

import ai.candle.schemas.DeadLetter;
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
 * {@code candle.dead.letters{reason}} and keeps the original bytes. An original value longer
 * than {@code dead.letter.max.bytes} is truncated to that many bytes, with its full size in
 * {@code originalValueSize}, so that the dead letter itself always fits the producer's request
 * limit (a dead letter that cannot be produced would stop the app).
 */
final class DeadLetters {

  static final String METRIC = "candle.dead.letters";
  static final String REASON_TAG = "reason";
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

  private final Map<RejectReason, Counter> counters = new EnumMap<>(RejectReason.class);
  private final int maxValueBytes;

  DeadLetters(MeterRegistry registry, int maxValueBytes) {
    this.maxValueBytes = maxValueBytes;
    for (RejectReason reason : RejectReason.values()) {
      counters.put(reason, Counter.builder(METRIC)
          .description("Records sent to the dead-letter topic, by reason")
          .tag(REASON_TAG, reason.tag())
          .register(registry));
    }
  }

  /** Logs and counts the rejection, and returns the DeadLetter to publish. */
  DeadLetter reject(Origin origin, InvalidRecordException e) {
    counters.get(e.reason()).increment();
    LOG.warn("Dead-lettering record {} ({}): {}", origin.where(), e.reason().tag(), e.getMessage());
    byte[] value = origin.value();
    boolean truncate = value != null && value.length > maxValueBytes;
    return DeadLetter.newBuilder()
        .setOriginalKey(Origin.wrap(origin.key()))
        .setOriginalValue(truncate ? ByteBuffer.wrap(value, 0, maxValueBytes).slice() : Origin.wrap(value))
        .setOriginalValueSize(truncate ? Long.valueOf(value.length) : null)
        .setTopic(origin.topic())
        .setPartition(origin.partition())
        .setOffset(origin.offset())
        .setErrorClass(e.errorClass())
        .setCategory(e.reason().tag())
        .setReason(e.getMessage())
        .setTimestamp(Instant.ofEpochMilli(origin.timestamp()))
        .build();
  }
}
