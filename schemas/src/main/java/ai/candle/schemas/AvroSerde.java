package ai.candle.schemas;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro class using Avro single-object encoding: a 2-byte marker, the
 * 8-byte fingerprint of the writer schema, then the binary datum.
 *
 * <p>The reader knows the current schema and every earlier version of it (see {@link
 * SchemaHistory}); a record written with an earlier version is resolved to the current one, so
 * fields added with defaults read as their defaults. A record written with a schema the reader does
 * not know fails with a {@link SerializationException} naming the type.
 *
 * <p>Before decoding, the bytes are walked against the writer schema without building values: a
 * string, bytes or collection whose declared length exceeds what the record holds is rejected
 * there, so a few malicious bytes cannot make the decoder allocate gigabytes. Bytes after the end
 * of the record are rejected too.
 *
 * <p>Immutable and thread-safe; {@code null} maps to {@code null} both ways (tombstones).
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  /** Single-object encoding: marker C3 01, then the 8-byte little-endian fingerprint. */
  private static final int HEADER_LENGTH = 10;

  private final Class<T> type;
  private final SchemaStore.Cache writers = new SchemaStore.Cache();
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroSerde(Class<T> type, Collection<Schema> previous) {
    SpecificData model = SpecificData.getForClass(type);
    Schema current = model.getSchema(type);
    previous.forEach(writers::addSchema);
    this.type = type;
    this.encoder = new BinaryMessageEncoder<>(model, current);
    this.decoder = new BinaryMessageDecoder<>(model, current, writers);
    writers.addSchema(current);
  }

  /** A serde for {@code type} that also reads every version kept in its schema history. */
  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
    return new AvroSerde<>(
        type, SchemaHistory.previousVersions(SpecificData.get().getSchema(type)));
  }

  /** A serde for {@code type} that also reads the given earlier writer schemas. */
  public static <T extends SpecificRecord> AvroSerde<T> of(
      Class<T> type, Collection<Schema> previous) {
    return new AvroSerde<>(type, List.copyOf(previous));
  }

  /** Encodes one record; {@code null} gives {@code null}. */
  public byte[] encode(T record) {
    if (record == null) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      encoder.encode(record, out);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode " + type.getSimpleName(), e);
    } catch (AvroRuntimeException | ClassCastException | NullPointerException e) {
      throw new SerializationException(
          "Cannot encode " + type.getSimpleName() + " (invalid field value?): " + e.getMessage(),
          e);
    }
    return out.toByteArray();
  }

  /**
   * Decodes one record; {@code null} gives {@code null}.
   *
   * @throws SerializationException when the bytes are not a single-object encoded record of a known
   *     version of this type
   */
  public T decode(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    if (RegistryFraming.isFramed(bytes)) {
      throw new SerializationException(
          "Not a "
              + type.getSimpleName()
              + " record in single-object encoding: "
              + "it is in the registry wire format (magic byte 0, schema id "
              + RegistryFraming.schemaId(bytes)
              + "), and this service has no registry.url to resolve the id");
    }
    try {
      checkStructure(bytes);
      return decoder.decode(bytes);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Not a " + type.getSimpleName() + " record (" + bytes.length + " bytes): " + describe(e),
          e);
    }
  }

  private static String describe(Exception e) {
    if (e instanceof EOFException) {
      return "EOFException: a length or count runs past the end of the record (truncated or malformed)";
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  /**
   * Skips through the datum with its writer schema ({@link AvroBounds}). A bad header or an unknown
   * fingerprint is left to the decoder, which reports it.
   */
  private void checkStructure(byte[] bytes) throws IOException {
    if (bytes.length < HEADER_LENGTH || bytes[0] != (byte) 0xC3 || bytes[1] != (byte) 0x01) {
      return;
    }
    long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    Schema writer = writers.findByFingerprint(fingerprint);
    if (writer == null) {
      return;
    }
    AvroBounds.check(writer, bytes, HEADER_LENGTH);
  }

  /** The generated class this serde reads and writes. */
  public Class<T> type() {
    return type;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, record) -> encode(record);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> decode(bytes);
  }

  @Override
  public String toString() {
    return "AvroSerde[" + type.getSimpleName() + "]";
  }
}
