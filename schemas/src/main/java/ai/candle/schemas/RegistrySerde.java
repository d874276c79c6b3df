package ai.candle.schemas;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro class in the registry (Confluent) wire format: byte {@code 0},
 * the 4-byte big-endian id of the writer schema in a schema registry, then the binary datum.
 *
 * <p>Writing registers the class's schema under the TopicNameStrategy subject {@code <topic>-value}
 * once per topic (the registry applies its compatibility rule there) and frames every value with
 * the id it gets; it writes single-object encoding instead when built for that. Reading takes both:
 * a registry-framed value is decoded with the writer schema fetched by its id and resolved to this
 * class's schema (Avro schema resolution: a field the reader lacks is skipped, a field the writer
 * lacked takes its default), so a producer's compatible evolution needs no redeploy here; a
 * single-object value goes to the {@link AvroSerde} of the class. Lengths are checked against the
 * bytes before decoding ({@link AvroBounds}), as in {@link AvroSerde}.
 *
 * <p>Every refusal of the bytes is a {@link SerializationException} naming the type; a registry
 * that does not answer is a {@link RegistryUnavailableException}. Thread-safe; {@code null} maps to
 * {@code null} both ways.
 */
public final class RegistrySerde<T extends SpecificRecord> implements Serde<T> {
  private final Class<T> type;
  private final Schema schema;
  private final SpecificData model;
  private final SchemaRegistryClient registry;
  private final boolean writesRegistry;
  private final AvroSerde<T> singleObject;
  private final SpecificDatumWriter<T> writer;
  private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

  private RegistrySerde(Class<T> type, SchemaRegistryClient registry, WireFormat writes) {
    this.type = type;
    this.model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.registry = registry;
    this.writesRegistry = writes == WireFormat.REGISTRY;
    this.singleObject = AvroSerde.of(type);
    this.writer = new SpecificDatumWriter<>(schema, model);
  }

  /**
   * A serde for {@code type} that writes {@code writes} and reads both formats with {@code
   * registry}.
   */
  public static <T extends SpecificRecord> RegistrySerde<T> of(
      Class<T> type, SchemaRegistryClient registry, WireFormat writes) {
    return new RegistrySerde<>(type, registry, writes);
  }

  /** The TopicNameStrategy subject of a topic's values. */
  public static String subject(String topic) {
    return topic + "-value";
  }

  /**
   * Registers this class's schema for {@code topic} now, so that a registry that is down or refuses
   * the schema stops a service at start rather than at its first record; returns the id.
   */
  public int register(String topic) {
    return registry.register(subject(topic), schema);
  }

  /** Encodes one record for {@code topic}; {@code null} gives {@code null}. */
  public byte[] encode(String topic, T record) {
    if (record == null) {
      return null;
    }
    if (!writesRegistry) {
      return singleObject.encode(record);
    }
    int id = register(topic);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(RegistryFraming.header(id));
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(record, encoder);
      encoder.flush();
    } catch (IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
      throw new SerializationException(
          "Cannot encode " + type.getSimpleName() + " (invalid field value?): " + e.getMessage(),
          e);
    }
    return out.toByteArray();
  }

  /**
   * Decodes one record in either wire format; {@code null} gives {@code null}.
   *
   * @throws SerializationException when the bytes are neither a registry-framed record whose writer
   *     schema resolves to this type nor a single-object record of a known version of it
   * @throws RegistryUnavailableException when the registry does not answer
   */
  public T decode(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    if (!RegistryFraming.isFramed(bytes)) {
      return singleObject.decode(bytes);
    }
    int id = RegistryFraming.schemaId(bytes);
    try {
      SpecificDatumReader<T> reader = readers.computeIfAbsent(id, this::reader);
      AvroBounds.check(reader.getSchema(), bytes, RegistryFraming.HEADER_LENGTH);
      return reader.read(
          null,
          DecoderFactory.get()
              .binaryDecoder(
                  bytes,
                  RegistryFraming.HEADER_LENGTH,
                  bytes.length - RegistryFraming.HEADER_LENGTH,
                  null));
    } catch (SerializationException | RegistryUnavailableException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Not a "
              + type.getSimpleName()
              + " record ("
              + bytes.length
              + " bytes, registry schema id "
              + id
              + "): "
              + describe(e),
          e);
    }
  }

  private SpecificDatumReader<T> reader(int id) {
    Schema writerSchema;
    try {
      writerSchema = registry.schema(id);
    } catch (SerializationException e) {
      throw new SerializationException(
          "Not a " + type.getSimpleName() + " record: " + e.getMessage(), e);
    }
    var compatibility =
        org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility(schema, writerSchema);
    if (compatibility.getType()
        != org.apache.avro.SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      throw new SerializationException(
          "Not a "
              + type.getSimpleName()
              + " record: its writer schema (registry id "
              + id
              + ", "
              + writerSchema.getFullName()
              + ") cannot be read as "
              + schema.getFullName()
              + ": "
              + compatibility.getDescription());
    }
    return new SpecificDatumReader<>(writerSchema, schema, model);
  }

  private static String describe(Exception e) {
    if (e instanceof EOFException) {
      return "EOFException: a length or count runs past the end of the record (truncated or malformed)";
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  /** Whether it writes the registry wire format (else single-object encoding). */
  public boolean writesRegistry() {
    return writesRegistry;
  }

  /** The generated class this serde reads and writes. */
  public Class<T> type() {
    return type;
  }

  @Override
  public Serializer<T> serializer() {
    return this::encode;
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> decode(bytes);
  }

  @Override
  public String toString() {
    return "RegistrySerde["
        + type.getSimpleName()
        + ", writes "
        + (writesRegistry ? "registry" : "single-object")
        + "]";
  }
}
