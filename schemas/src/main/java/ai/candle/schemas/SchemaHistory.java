package ai.candle.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Earlier versions of a schema, kept as resources so that readers still decode records written with
 * them.
 *
 * <p>A schema carries its version in the custom property {@code "version"} (1 when absent). Every
 * earlier version {@code n} of schema {@code Name} lives in the resource {@code
 * ai/candle/schemas/history/Name.vn.avsc}. See schemas/README.md for the rules.
 */
public final class SchemaHistory {

  static final String VERSION_PROPERTY = "version";
  private static final String HISTORY = "/ai/candle/schemas/history/";

  private SchemaHistory() {}

  /** The version number a schema declares; 1 when it declares none. */
  public static int versionOf(Schema schema) {
    Object version = schema.getObjectProp(VERSION_PROPERTY);
    if (version == null) {
      return 1;
    }
    if (version instanceof Number number) {
      return number.intValue();
    }
    throw new IllegalStateException(
        "Schema " + schema.getFullName() + " has a non-numeric 'version' property: " + version);
  }

  /** Versions 1 .. current-1 of the schema, oldest first; empty for a version-1 schema. */
  public static List<Schema> previousVersions(Schema current) {
    List<Schema> previous = new ArrayList<>();
    for (int version = 1; version < versionOf(current); version++) {
      previous.add(load(current.getName(), version));
    }
    return List.copyOf(previous);
  }

  private static Schema load(String name, int version) {
    String resource = HISTORY + name + ".v" + version + ".avsc";
    try (InputStream in = SchemaHistory.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "Schema "
                + name
                + " is at a later version but history resource "
                + resource
                + " is missing; copy the previous .avsc there before bumping 'version'");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read schema history " + resource, e);
    }
  }
}
