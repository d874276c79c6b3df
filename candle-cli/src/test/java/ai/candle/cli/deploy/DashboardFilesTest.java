package ai.candle.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The Grafana files, without Grafana: every dashboard is valid JSON, every panel queries the
 * datasource template variable with at least one PromQL expression (the variable, a Prometheus
 * datasource, defaults to the provisioned one and is the {@code DS_PROMETHEUS} input on import),
 * the dashboards show what issues 7 and 21 ask for, and the provisioning files point where the
 * compose file mounts them. That every expression returns data is DashboardQueriesTest's job.
 */
class DashboardFilesTest {

  static final String TAIL = "tail-class-accuracy.json";
  static final String HEALTH = "pipeline-health.json";

  /** What every panel, target and annotation names as its datasource: the template variable. */
  static final String DATASOURCE = "${datasource}";

  @Test
  void theDatasourceIsDeclaredWithAnExplicitUid() {
    Set<String> uids = Dashboards.declaredDatasourceUids();
    assertEquals(Set.of("candle-prometheus"), uids);
    List<Map<String, Object>> sources =
        RepoFiles.at(
            RepoFiles.yaml(RepoFiles.resolve("grafana/provisioning/datasources/prometheus.yml")),
            "datasources");
    assertEquals("prometheus", sources.get(0).get("type"));
    assertEquals(
        "http://prometheus:9090", sources.get(0).get("url"), "the compose service's address");
  }

  @Test
  void everyPanelQueriesTheDeclaredDatasourceWithPromQl() {
    Set<String> declared = Set.of(DATASOURCE);
    List<String> problems = new ArrayList<>();
    Set<String> dashboardUids = new HashSet<>();
    assertEquals(
        List.of(HEALTH, TAIL),
        Dashboards.files().stream().map(p -> p.getFileName().toString()).toList());
    for (Path file : Dashboards.files()) {
      JsonNode d = Dashboards.read(file);
      String name = file.getFileName().toString();
      assertTrue(
          d.hasNonNull("uid") && dashboardUids.add(d.get("uid").asText()), name + ": a unique uid");
      assertFalse(d.path("title").asText().isBlank(), name + ": a title");
      List<JsonNode> panels = Dashboards.panels(d);
      assertFalse(panels.isEmpty(), name + " has panels");
      Set<Integer> ids = new HashSet<>();
      for (JsonNode panel : panels) {
        String where = name + " / " + panel.path("title").asText("(untitled)");
        if (!ids.add(panel.path("id").asInt(-1))) {
          problems.add(where + ": duplicate panel id " + panel.path("id"));
        }
        if (panel.path("title").asText().isBlank()) {
          problems.add(where + ": no title");
        }
        String uid = panel.path("datasource").path("uid").asText(null);
        if (!declared.contains(uid)) {
          problems.add(where + ": datasource uid " + uid + " is not one of " + declared);
        }
        int queries = 0;
        for (JsonNode t : panel.path("targets")) {
          String targetUid = t.path("datasource").path("uid").asText(uid);
          if (!declared.contains(targetUid)) {
            problems.add(
                where + " target " + t.path("refId").asText() + ": datasource uid " + targetUid);
          }
          if (!t.path("expr").asText("").isBlank()) {
            queries++;
          }
        }
        if (queries == 0) {
          problems.add(where + ": no PromQL query");
        }
        JsonNode grid = panel.path("gridPos");
        if (grid.path("x").asInt() + grid.path("w").asInt() > 24
            || grid.path("w").asInt() < 1
            || grid.path("h").asInt() < 1) {
          problems.add(where + ": gridPos outside the 24 columns: " + grid);
        }
      }
      for (JsonNode a : d.path("annotations").path("list")) {
        String uid = a.path("datasource").path("uid").asText();
        if (a.path("builtIn").asInt(0) != 1 && !declared.contains(uid)) {
          problems.add(name + " annotation " + a.path("name").asText() + ": datasource uid " + uid);
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void eachDashboardImportsIntoAnExistingGrafana() {
    for (Path file : Dashboards.files()) {
      JsonNode d = Dashboards.read(file);
      String name = file.getFileName().toString();
      JsonNode inputs = d.path("__inputs");
      assertEquals(1, inputs.size(), name + ": one input");
      assertEquals("DS_PROMETHEUS", inputs.get(0).path("name").asText(), name);
      assertEquals("datasource", inputs.get(0).path("type").asText(), name);
      assertEquals("prometheus", inputs.get(0).path("pluginId").asText(), name);
      List<JsonNode> variables = new ArrayList<>();
      d.path("templating").path("list").forEach(variables::add);
      assertEquals(1, variables.size(), name + ": one template variable");
      JsonNode v = variables.get(0);
      assertEquals("datasource", v.path("name").asText(), name);
      assertEquals("datasource", v.path("type").asText(), name);
      assertEquals("prometheus", v.path("query").asText(), name + ": a Prometheus datasource");
      assertEquals(
          "${DS_PROMETHEUS}",
          v.path("current").path("value").asText(),
          name + ": the import's choice");
      assertFalse(
          Dashboards.read(file).toString().contains("candle-prometheus\""),
          name + " names the provisioned datasource's uid nowhere");
    }
    List<Map<String, Object>> sources =
        RepoFiles.at(
            RepoFiles.yaml(RepoFiles.resolve("grafana/provisioning/datasources/prometheus.yml")),
            "datasources");
    assertEquals(
        Boolean.TRUE,
        sources.get(0).get("isDefault"),
        "provisioned, the variable resolves to the default");
  }

  @Test
  void timeSeriesShowTheirGapsAndWorstClassesStayPerScorer() {
    List<String> problems = new ArrayList<>();
    for (Path file : Dashboards.files()) {
      for (JsonNode panel : Dashboards.panels(Dashboards.read(file))) {
        String where = file.getFileName() + " / " + panel.path("title").asText();
        if (panel
            .path("fieldConfig")
            .path("defaults")
            .path("custom")
            .path("spanNulls")
            .asBoolean(false)) {
          problems.add(where + ": spanNulls hides the gaps");
        }
        if (panel.path("description").asText().contains("logs")) {
          problems.add(where + ": mentions logs; no class name or figure of the panels is logged");
        }
        for (JsonNode t : panel.path("targets")) {
          String expr = t.path("expr").asText();
          if (expr.contains("candle_accuracy_worst")
              && expr.matches("(?s).*\\b(min|max|avg|sum) by \\(rank\\).*")) {
            problems.add(where + ": " + expr + " merges ranks of different classes across scorers");
          }
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void expressionsUseOnlyGrafanasBuiltInVariables() {
    for (Dashboards.Query q : Dashboards.queries()) {
      Set<String> unknown = new HashSet<>(Dashboards.variables(q.expr()));
      unknown.removeAll(Dashboards.KNOWN_VARIABLES);
      assertTrue(
          unknown.isEmpty(),
          q
              + " uses "
              + unknown
              + " (the tests substitute only "
              + Dashboards.KNOWN_VARIABLES
              + ")");
    }
    assertEquals(
        "rate(x[1m]) + label_replace(y, \"a\", \"$1\", \"b\", \"(.*)\")",
        Dashboards.substitute(
            "rate(x[$__rate_interval]) + label_replace(y, \"a\", \"$1\", \"b\", \"(.*)\")",
            Map.of("__rate_interval", "1m")),
        "a capture reference is not a variable");
  }

  @Test
  void theDashboardsShowWhatTheIssueAsksFor() {
    Map<String, String> exprs =
        Dashboards.queries().stream()
            .collect(
                Collectors.groupingBy(
                    Dashboards.Query::dashboard,
                    Collectors.mapping(Dashboards.Query::expr, Collectors.joining("\n"))));
    // tail-class accuracy: per bucket over time, per model version, worst classes, class-count
    // distribution, announcement to scorable
    for (String metric :
        List.of(
            "candle_prequential_predictions_total",
            "candle_accuracy_prequential",
            "candle_accuracy_version",
            "candle_model_version",
            "candle_accuracy_worst",
            "candle_trainer_bucket_classes",
            "candle_trainer_bucket_images",
            "candle_class_scorable_latency_seconds_bucket",
            "sum by (version) (candle_prequential_version_predictions_total")) {
      assertTrue(exprs.get(TAIL).contains(metric), TAIL + " queries " + metric);
    }
    // pipeline health: ingest and prediction rates, dead letters, consumer lag, fit duration and
    // device, model version and age per scorer, refused versions, JVM memory
    for (String metric :
        List.of(
            "candle_ingest_records_total",
            "candle_predictions_total",
            "candle_dead_letters_total",
            "kafka_consumer_fetch_manager_records_lag_max",
            "candle_fit_duration_seconds",
            "by (device",
            "candle_model_version",
            "candle_model_age_seconds",
            "candle_model_refused_total",
            "jvm_memory_used_bytes")) {
      assertTrue(exprs.get(HEALTH).contains(metric), HEALTH + " queries " + metric);
    }
  }

  @Test
  void theDashboardsProviderLoadsTheFolderTheComposeFileMounts() {
    Map<String, Object> provider =
        RepoFiles.<List<Map<String, Object>>>at(
                RepoFiles.yaml(
                    RepoFiles.resolve("grafana/provisioning/dashboards/candle-stream.yml")),
                "providers")
            .get(0);
    assertEquals("file", provider.get("type"));
    assertEquals(
        ComposeFileTest.GRAFANA_MOUNT + "/dashboards", RepoFiles.at(provider, "options", "path"));
  }
}
