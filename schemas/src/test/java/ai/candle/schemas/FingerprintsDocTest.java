package ai.candle.schemas;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

/**
 * The single-object fingerprints that schemas/README.md documents, and that the Python example
 * copies, are those Java's Avro puts on the wire for the current schemas. Other libraries may
 * compute a different canonical form (python3-avro does for timestamp-millis), so clients are told
 * the bytes rather than how to compute them.
 */
class FingerprintsDocTest {
  static final List<Schema> SCHEMAS =
      List.of(
          ClassAnnouncement.getClassSchema(),
          LabeledImage.getClassSchema(),
          ImageToScore.getClassSchema(),
          Prediction.getClassSchema(),
          FeatureRecord.getClassSchema(),
          ClassInfo.getClassSchema(),
          ModelVersion.getClassSchema(),
          DeadLetter.getClassSchema(),
          RegistryEvent.getClassSchema());

  /** The 8 bytes after C3 01, as hex, in wire (little-endian) order. */
  static String wireFingerprint(Schema schema) {
    long f = SchemaNormalization.parsingFingerprint64(schema);
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (f >>> (8 * i));
    }
    return HexFormat.of().formatHex(b);
  }

  static Map<String, String> expected() {
    Map<String, String> m = new TreeMap<>();
    for (Schema s : SCHEMAS) {
      m.put(s.getName(), wireFingerprint(s));
    }
    return m;
  }

  @Test
  void theReadmeTableHoldsEveryCurrentFingerprint() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    StringBuilder table = new StringBuilder();
    expected()
        .forEach(
            (name, hex) ->
                table.append("| `").append(name).append("` | `").append(hex).append("` |\n"));
    for (Map.Entry<String, String> e : expected().entrySet()) {
      assertTrue(
          readme.contains("| `" + e.getKey() + "` | `" + e.getValue() + "` |"),
          "schemas/README.md must list "
              + e.getKey()
              + "'s fingerprint; the current table is:\n"
              + table);
    }
  }

  @Test
  void thePythonExampleCopiesTheCurrentFingerprints() throws Exception {
    String script = Files.readString(Path.of("..", "examples", "python", "candle_client.py"));
    Matcher m = Pattern.compile("\"(\\w+)\": \"([0-9a-f]{16})\"").matcher(script);
    int found = 0;
    while (m.find()) {
      found++;
      String name = m.group(1);
      assertTrue(
          expected().containsKey(name), "the Python example names an unknown schema " + name);
      assertTrue(
          expected().get(name).equals(m.group(2)),
          "examples/python/candle_client.py has "
              + name
              + " "
              + m.group(2)
              + ", the wire has "
              + expected().get(name));
    }
    assertTrue(found >= 4, "the Python example's FINGERPRINTS table was not found");
  }

  @Test
  void theFingerprintIsWhatTheSerdeWrites() {
    byte[] bytes =
        AvroSerde.of(ClassAnnouncement.class)
            .serializer()
            .serialize("t", ClassAnnouncement.newBuilder().setName("x").build());
    String wire = HexFormat.of().formatHex(bytes, 2, 10);
    assertTrue(wire.equals(wireFingerprint(ClassAnnouncement.getClassSchema())), wire);
  }
}
