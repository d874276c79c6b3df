package ai.candle.cli.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows of {@code candle send}'s CSV and JSON-lines input, each a map from column (key) to its
 * value: text, or a list of numbers or texts (JSON arrays). Blank lines are skipped. What cannot be
 * read goes to the {@link Problems} with its line, and the row is left out.
 */
final class InputRows {

  /** A row: its place ({@code file:line}) and its values by column. */
  record Row(String where, Map<String, Object> values) {}

  private InputRows() {}

  /**
   * A CSV file: a header line naming the columns, then one row per line; fields separated by
   * commas, optionally in double quotes (a quote inside doubled: {@code ""}); no line breaks inside
   * a field.
   */
  static List<Row> csv(BufferedReader in, String name, List<String> columns, Problems problems)
      throws IOException {
    List<Row> rows = new ArrayList<>();
    List<String> header = null;
    String line;
    int number = 0;
    while ((line = in.readLine()) != null) {
      number++;
      String where = name + ":" + number;
      if (line.isBlank()) {
        continue;
      }
      List<String> fields = fields(line, where, problems);
      if (fields == null) {
        continue;
      }
      if (header == null) {
        header = header(fields, where, columns, problems);
        if (header == null) {
          return rows;
        }
        continue;
      }
      if (fields.size() != header.size()) {
        problems.add(
            where,
            "has " + fields.size() + " fields, the header " + header.size() + " (" + header + ")");
        continue;
      }
      Map<String, Object> values = new LinkedHashMap<>();
      for (int i = 0; i < header.size(); i++) {
        if (!fields.get(i).isEmpty()) {
          values.put(header.get(i), fields.get(i));
        }
      }
      rows.add(new Row(where, values));
    }
    if (header == null) {
      problems.add(name, "is empty; a CSV needs a header line naming its columns, from " + columns);
    }
    return rows;
  }

  /** JSON lines: one JSON object per line, its keys the columns. */
  static List<Row> jsonLines(
      BufferedReader in, String name, List<String> columns, Problems problems) throws IOException {
    List<Row> rows = new ArrayList<>();
    String line;
    int number = 0;
    while ((line = in.readLine()) != null) {
      number++;
      String where = name + ":" + number;
      if (line.isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = Json.mapper().readTree(line);
      } catch (JsonProcessingException e) {
        problems.add(where, "is not JSON: " + e.getOriginalMessage());
        continue;
      }
      if (!node.isObject()) {
        problems.add(where, "is not a JSON object");
        continue;
      }
      Map<String, Object> values = jsonValues(node, where, columns, problems);
      if (values != null) {
        rows.add(new Row(where, values));
      }
    }
    return rows;
  }

  private static Map<String, Object> jsonValues(
      JsonNode node, String where, List<String> columns, Problems problems) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (var it = node.fields(); it.hasNext(); ) {
      var field = it.next();
      String key = field.getKey();
      JsonNode v = field.getValue();
      if (!columns.contains(key)) {
        problems.add(where, "has the unknown key '" + key + "'; the keys are " + columns);
        return null;
      }
      if (v.isNull()) {
        continue;
      }
      if (v.isArray()) {
        List<Object> list = new ArrayList<>();
        v.forEach(
            e ->
                list.add(
                    e.isNumber() ? (Object) e.doubleValue() : e.isTextual() ? e.textValue() : e));
        values.put(key, list);
      } else if (v.isValueNode()) {
        values.put(key, v.asText());
      } else {
        problems.add(
            where,
            "'"
                + key
                + "' is a JSON object; it must be text"
                + (key.equals("feature") ? " or an array of numbers" : ""));
        return null;
      }
    }
    return values;
  }

  private static List<String> header(
      List<String> fields, String where, List<String> columns, Problems problems) {
    List<String> header = new ArrayList<>();
    for (String f : fields) {
      String column = f.trim();
      if (!columns.contains(column)) {
        problems.add(
            where,
            "names the unknown column '"
                + column
                + "'; the columns are "
                + columns
                + " (the first line of a CSV is its header)");
        return null;
      }
      if (header.contains(column)) {
        problems.add(where, "names the column '" + column + "' twice");
        return null;
      }
      header.add(column);
    }
    return header;
  }

  /** The fields of one CSV line; null (with a problem) when its quotes do not close. */
  static List<String> fields(String line, String where, Problems problems) {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"' && field.toString().isBlank()) {
        quoted = true;
        wasQuoted = true;
        field.setLength(0);
      } else if (c == ',') {
        out.add(wasQuoted ? field.toString() : field.toString().trim());
        field.setLength(0);
        wasQuoted = false;
      } else {
        field.append(c);
      }
    }
    if (quoted) {
      problems.add(where, "has a quote that does not close (a field cannot span lines)");
      return null;
    }
    out.add(wasQuoted ? field.toString() : field.toString().trim());
    return out;
  }
}
