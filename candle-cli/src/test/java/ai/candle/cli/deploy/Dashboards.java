package ai.candle.cli.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Grafana dashboards of grafana/dashboards/, their PromQL expressions and the provisioned
 * datasources.
 */
public final class Dashboards {

  /** A PromQL expression of a dashboard: a panel's target, or an annotation. */
  public record Query(String dashboard, String panel, String refId, String expr, boolean instant) {
    @Override
    public String toString() {
      return dashboard + " / " + panel + " / " + refId + ": " + expr;
    }
  }

  /**
   * Grafana variables: $name, ${name} or ${name:format}; $1-style capture references are not
   * variables.
   */
  static final Pattern VARIABLE =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?}|\\$([A-Za-z_][A-Za-z0-9_]*)");

  /** The built-in variables the dashboards may use (the tests give each a value). */
  public static final Set<String> KNOWN_VARIABLES =
      Set.of("__rate_interval", "__interval", "__range");

  private static final ObjectMapper JSON = new ObjectMapper();

  private Dashboards() {}

  public static Path folder() {
    return RepoFiles.resolve("grafana/dashboards");
  }

  /** Every dashboard file, by name. */
  public static List<Path> files() {
    try (Stream<Path> s = Files.list(folder())) {
      return s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalStateException(file + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  /** The panels of a dashboard, those inside collapsed rows included. */
  public static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      out.add(p);
      p.path("panels").forEach(out::add);
    }
    return out;
  }

  /**
   * Every expression of every dashboard: each panel target's, then each Prometheus annotation's.
   */
  public static List<Query> queries() {
    List<Query> out = new ArrayList<>();
    for (Path file : files()) {
      JsonNode d = read(file);
      String name = file.getFileName().toString();
      for (JsonNode panel : panels(d)) {
        for (JsonNode t : panel.path("targets")) {
          if (t.hasNonNull("expr")) {
            out.add(
                new Query(
                    name,
                    panel.path("title").asText(),
                    t.path("refId").asText(),
                    t.path("expr").asText(),
                    t.path("instant").asBoolean(false) && !t.path("range").asBoolean(false)));
          }
        }
      }
      for (JsonNode a : d.path("annotations").path("list")) {
        if (a.hasNonNull("expr")) {
          out.add(
              new Query(
                  name,
                  "annotation " + a.path("name").asText(),
                  "-",
                  a.path("expr").asText(),
                  false));
        }
      }
    }
    return out;
  }

  /** The uids of the datasources declared in grafana/provisioning/datasources/*.yml. */
  public static Set<String> declaredDatasourceUids() {
    Set<String> uids = new LinkedHashSet<>();
    try (Stream<Path> s = Files.list(RepoFiles.resolve("grafana/provisioning/datasources"))) {
      for (Path file :
          s.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).toList()) {
        List<Map<String, Object>> list = RepoFiles.at(RepoFiles.yaml(file), "datasources");
        for (Map<String, Object> ds : list == null ? List.<Map<String, Object>>of() : list) {
          if (ds.get("uid") != null) {
            uids.add(ds.get("uid").toString());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return uids;
  }

  /** The Grafana variables an expression uses. */
  public static Set<String> variables(String expr) {
    Set<String> out = new LinkedHashSet<>();
    Matcher m = VARIABLE.matcher(expr);
    while (m.find()) {
      out.add(m.group(1) != null ? m.group(1) : m.group(2));
    }
    return out;
  }

  /** The expression with each variable replaced by its value; fails on a variable without one. */
  public static String substitute(String expr, Map<String, String> values) {
    Matcher m = VARIABLE.matcher(expr);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String value = values.get(name);
      if (value == null) {
        throw new IllegalArgumentException("no value for the variable $" + name + " in " + expr);
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }
}
