package ai.candle.streams.validation.internals;

import ai.candle.schemas.RecordOrigin;
import java.nio.ByteBuffer;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.Record;

/** Where a record came from, with its original bytes. */
public record Origin(
    String topic, int partition, long offset, byte[] key, byte[] value, long timestamp) {

  static final String UNKNOWN_TOPIC = "unknown";

  public static Origin of(ProcessingContext context, Record<byte[], byte[]> record) {
    return context
        .recordMetadata()
        .map(
            m ->
                new Origin(
                    m.topic(),
                    m.partition(),
                    m.offset(),
                    record.key(),
                    record.value(),
                    record.timestamp()))
        .orElseGet(
            () ->
                new Origin(
                    UNKNOWN_TOPIC, -1, -1L, record.key(), record.value(), record.timestamp()));
  }

  public static Origin of(RecordOrigin origin, long timestamp) {
    if (origin == null) {
      return new Origin(UNKNOWN_TOPIC, -1, -1L, null, null, timestamp);
    }
    return new Origin(
        origin.getTopic(),
        origin.getPartition(),
        origin.getOffset(),
        bytes(origin.getKey()),
        bytes(origin.getValue()),
        timestamp);
  }

  RecordOrigin toAvro() {
    return new RecordOrigin(topic, partition, offset, wrap(key), wrap(value));
  }

  static ByteBuffer wrap(byte[] bytes) {
    return bytes == null ? null : ByteBuffer.wrap(bytes);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return null;
    }
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }

  String where() {
    return topic + "-" + partition + "@" + offset;
  }
}
