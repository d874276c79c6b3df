package ai.candle.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.SchemaRegistryProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The registry wire format against a real schema registry (Apicurio Registry's ccompat API). */
class RegistrySerdeTest {
  private static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_000L);
  private static SchemaRegistryProcess registryProcess;
  private static SchemaRegistryClient registry;

  @BeforeAll
  static void startRegistry() throws IOException {
    Path log = Files.createTempDirectory("registry-serde-test").resolve("registry.log");
    registryProcess = SchemaRegistryProcess.start(log);
    registry = new SchemaRegistryClient(URI.create(registryProcess.url()));
  }

  @AfterAll
  static void stopRegistry() {
    if (registryProcess != null) {
      registryProcess.close();
    }
  }

  private static LabeledImage image(String id) {
    return LabeledImage.newBuilder()
        .setId(id)
        .setEventTime(T0)
        .setLabel("okapi")
        .setFeature(List.of(0.5f, -1.25f, 3f))
        .build();
  }

  @Test
  void writesMagicZeroAndTheIdOfTheSchemaRegisteredUnderTheTopicSubject() {
    RegistrySerde<LabeledImage> serde =
        RegistrySerde.of(LabeledImage.class, registry, WireFormat.REGISTRY);
    byte[] bytes = serde.serializer().serialize("wire-a", image("img-1"));
    assertEquals(0, bytes[0]);
    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    // the subject wire-a-value now holds exactly our schema, under that id
    assertEquals(id, registry.register("wire-a-value", LabeledImage.getClassSchema()));
    assertEquals(LabeledImage.getClassSchema(), registry.schema(id));
    assertEquals(image("img-1"), serde.deserializer().deserialize("wire-a", bytes));
    assertNull(serde.serializer().serialize("wire-a", null));
    assertNull(serde.deserializer().deserialize("wire-a", null));
  }

  @Test
  void readsBothWireFormatsWhateverItWrites() {
    RegistrySerde<LabeledImage> registryWriter =
        RegistrySerde.of(LabeledImage.class, registry, WireFormat.REGISTRY);
    RegistrySerde<LabeledImage> singleWriter =
        RegistrySerde.of(LabeledImage.class, registry, WireFormat.SINGLE_OBJECT);
    byte[] framed = registryWriter.encode("wire-b", image("a"));
    byte[] single = singleWriter.encode("wire-b", image("b"));
    assertEquals((byte) 0xC3, single[0]);
    assertEquals(image("a"), singleWriter.decode(framed));
    assertEquals(image("b"), registryWriter.decode(single));
  }

  @Test
  void theSingleObjectSerdeNamesTheRegistryFormatItCannotRead() {
    byte[] framed =
        RegistrySerde.of(LabeledImage.class, registry, WireFormat.REGISTRY)
            .encode("wire-c", image("a"));
    SerializationException e =
        assertThrows(
            SerializationException.class, () -> AvroSerde.of(LabeledImage.class).decode(framed));
    assertTrue(
        e.getMessage().contains("registry wire format") && e.getMessage().contains("registry.url"),
        e.getMessage());
  }

  @Test
  void aProducersCompatibleEvolutionIsReadWithoutARedeploy() throws IOException {
    // A producer adds an optional field and drops nothing: BACKWARD-compatible, so the registry
    // takes it under the subject that already holds ours; the reader skips the field it lacks.
    RegistrySerde<LabeledImage> serde =
        RegistrySerde.of(LabeledImage.class, registry, WireFormat.REGISTRY);
    int ours = serde.register("wire-d");
    Schema evolved = evolvedLabeledImage();
    int theirs = registry.register("wire-d-value", evolved);
    assertTrue(theirs != ours);
    GenericRecord record = new GenericData.Record(evolved);
    record.put("id", "img-9");
    record.put("eventTime", T0.toEpochMilli());
    record.put("label", "okapi");
    record.put("feature", List.of(1f, 2f));
    record.put("camera", "nikon");
    LabeledImage read = serde.decode(framed(theirs, evolved, record));
    assertEquals("img-9", read.getId());
    assertEquals(List.of(1f, 2f), read.getFeature());
    assertNull(read.getSource());
  }

  @Test
  void theRegistryRefusesAnIncompatibleSchemaWithItsReason() {
    RegistrySerde.of(LabeledImage.class, registry, WireFormat.REGISTRY).register("wire-e");
    Schema incompatible =
        new Schema.Parser()
            .parse(
                """
        {"type": "record", "name": "LabeledImage", "namespace": "ai.candle.schemas", "fields": [
          {"name": "id", "type": "string"}, {"name": "weight", "type": "double"}]}""");
    SerializationException e =
        assertThrows(
            SerializationException.class, () -> registry.register("wire-e-value", incompatible));
    assertTrue(e.getMessage().contains("HTTP 409"), e.getMessage());
  }

  @Test
  void aWriterSchemaTheReaderCannotResolveIsRefusedWithTheReason() throws IOException {
    // Registered under another subject (no rule ties it to ours), then framed for our topic: its
    // records lack 'label', which has no default here.
    Schema other =
        new Schema.Parser()
            .parse(
                """
        {"type": "record", "name": "LabeledImage", "namespace": "ai.candle.schemas", "fields": [
          {"name": "id", "type": "string"}]}""");
    int id = registry.register("unrelated-value", other);
    GenericRecord record = new GenericData.Record(other);
    record.put("id", "x");
    SerializationException e =
        assertThrows(
            SerializationException.class,
            () ->
                RegistrySerde.of(LabeledImage.class, registry, WireFormat.REGISTRY)
                    .decode(framed(id, other, record)));
    assertTrue(
        e.getMessage().contains("cannot be read as ai.candle.schemas.LabeledImage")
            && e.getMessage().contains("label"),
        e.getMessage());
  }

  @Test
  void anUnknownSchemaIdIsASerializationErrorNamingIt() {
    byte[] bytes = {0, 0, 0x7f, 0x7f, 0x7f, 2, 'x'};
    SerializationException e =
        assertThrows(
            SerializationException.class,
            () ->
                RegistrySerde.of(LabeledImage.class, registry, WireFormat.REGISTRY).decode(bytes));
    assertTrue(
        e.getMessage().contains("schema id " + ByteBuffer.wrap(bytes, 1, 4).getInt())
            && e.getMessage().contains("404"),
        e.getMessage());
  }

  @Test
  void aLengthPastTheEndIsRefusedBeforeAllocating() {
    RegistrySerde<LabeledImage> serde =
        RegistrySerde.of(LabeledImage.class, registry, WireFormat.REGISTRY);
    byte[] good = serde.encode("wire-f", image("img"));
    // header, then the id string's length as a huge zig-zag varint (2^30), then nothing
    byte[] bad =
        new byte[] {
          0,
          good[1],
          good[2],
          good[3],
          good[4],
          (byte) 0x80,
          (byte) 0x80,
          (byte) 0x80,
          (byte) 0x80,
          0x08
        };
    SerializationException e = assertThrows(SerializationException.class, () -> serde.decode(bad));
    assertTrue(e.getMessage().contains("LabeledImage"), e.getMessage());
    byte[] trailing = java.util.Arrays.copyOf(good, good.length + 3);
    assertThrows(SerializationException.class, () -> serde.decode(trailing));
  }

  @Test
  void aRegistryThatDoesNotAnswerIsNotBlamedOnTheRecord() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    SchemaRegistryClient down =
        new SchemaRegistryClient(URI.create("http://127.0.0.1:" + port), Duration.ofSeconds(1));
    RegistrySerde<LabeledImage> serde =
        RegistrySerde.of(LabeledImage.class, down, WireFormat.REGISTRY);
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> serde.encode("wire-g", image("x")));
    assertInstanceOf(RegistryUnavailableException.class, e);
    assertFalse(e instanceof SerializationException);
    assertThrows(
        RegistryUnavailableException.class, () -> serde.decode(new byte[] {0, 0, 0, 0, 1, 2, 'x'}));
  }

  @Test
  void topicsInRegistryModeRegisterEverySchemaUpFront() {
    Topics topics = Topics.of(TopicNames.defaults(), SerdeConfig.registry(registryProcess.url()));
    topics.registerSchemas();
    assertEquals(
        LabeledImage.getClassSchema(),
        registry.schema(
            registry.register(
                TopicNames.defaults().labeledImages() + "-value", LabeledImage.getClassSchema())));
    assertInstanceOf(RegistrySerde.class, topics.predictions().valueSerde());
    assertInstanceOf(AvroSerde.class, Topics.of(TopicNames.defaults()).predictions().valueSerde());
    assertThrows(IllegalArgumentException.class, () -> SerdeConfig.of("registry", ""));
  }

  /**
   * The streams app and the trainer register the same subjects at once when they start together.
   */
  @Test
  void servicesRegisteringTheSameNewSubjectAtOnceAllGetItsId() throws Exception {
    int n = 8;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(n);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<Integer>> ids = new java.util.ArrayList<>();
      for (int i = 0; i < n; i++) {
        SchemaRegistryClient own = new SchemaRegistryClient(URI.create(registryProcess.url()));
        ids.add(
            pool.submit(
                () -> {
                  go.await();
                  return own.register("race-value", Prediction.getClassSchema());
                }));
      }
      go.countDown();
      java.util.Set<Integer> distinct = new java.util.HashSet<>();
      for (java.util.concurrent.Future<Integer> id : ids) {
        distinct.add(id.get(60, java.util.concurrent.TimeUnit.SECONDS));
      }
      assertEquals(1, distinct.size(), "one id for one schema: " + distinct);
    } finally {
      pool.shutdownNow();
    }
  }

  private static byte[] framed(int id, Schema schema, GenericRecord record) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(5).put((byte) 0).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static Schema evolvedLabeledImage() {
    String current = LabeledImage.getClassSchema().toString();
    String extra = "{\"name\":\"camera\",\"type\":[\"null\",\"string\"],\"default\":null}";
    int end = current.lastIndexOf(']');
    return new Schema.Parser()
        .parse(current.substring(0, end) + "," + extra + current.substring(end));
  }
}
