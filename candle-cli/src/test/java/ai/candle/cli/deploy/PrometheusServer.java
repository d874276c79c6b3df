package ai.candle.cli.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * A real Prometheus server (the {@code prometheus} binary on the PATH) for a test: its config
 * generated from the deployment's deploy/prometheus/prometheus.yml, with each job's targets
 * replaced by where that job's service listens on this machine and a short scrape interval; its
 * data in a temporary folder, its web API on 127.0.0.1 at a free port.
 */
public final class PrometheusServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final URI api;
  private final Path log;
  private final HttpClient http = HttpClient.newHttpClient();

  private PrometheusServer(Process process, URI api, Path log) {
    this.process = process;
    this.api = api;
    this.log = log;
  }

  /**
   * Starts Prometheus with the deployment's scrape jobs.
   *
   * @param dir its config, data and log go here
   * @param targets for each job of deploy/prometheus/prometheus.yml but "prometheus" (itself), the
   *     {@code host:port} of the service on this machine; a job without one fails the test
   * @param scrapeInterval e.g. "1s"
   */
  public static PrometheusServer start(Path dir, Map<String, String> targets, String scrapeInterval)
      throws Exception {
    Path binary =
        Executables.require(
            "prometheus",
            "DashboardQueriesTest runs every dashboard query against a real Prometheus");
    Files.createDirectories(dir);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, config(targets, scrapeInterval, "127.0.0.1:" + port));
    Path log = dir.resolve("prometheus.log");
    Process p =
        new ProcessBuilder(
                binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--storage.tsdb.retention.time=1h",
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    PrometheusServer server = new PrometheusServer(p, URI.create("http://127.0.0.1:" + port), log);
    try {
      server.awaitReady(Duration.ofSeconds(30));
    } catch (Exception | Error e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** deploy/prometheus/prometheus.yml with the given targets and scrape interval. */
  @SuppressWarnings("unchecked")
  static String config(Map<String, String> targets, String scrapeInterval, String self) {
    Map<String, Object> config =
        RepoFiles.yaml(RepoFiles.resolve("deploy/prometheus/prometheus.yml"));
    Map<String, Object> global =
        (Map<String, Object>) config.computeIfAbsent("global", k -> new LinkedHashMap<>());
    global.put("scrape_interval", scrapeInterval);
    global.put("evaluation_interval", scrapeInterval);
    for (Map<String, Object> job : (List<Map<String, Object>>) config.get("scrape_configs")) {
      String name = job.get("job_name").toString();
      String target = name.equals("prometheus") ? self : targets.get(name);
      if (target == null) {
        throw new IllegalArgumentException(
            "deploy/prometheus/prometheus.yml scrapes job "
                + name
                + ", and the test does not know where it runs here (it knows "
                + targets.keySet()
                + ")");
      }
      job.put("static_configs", List.of(Map.of("targets", List.of(target))));
    }
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    return new Yaml(options).dump(config);
  }

  private void awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(api.resolve("/-/ready")).build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Prometheus did not become ready ("
                + (process.isAlive() ? "timeout" : "exited " + process.exitValue())
                + "); its log "
                + log
                + ":\n"
                + Files.readString(log));
      }
      Thread.sleep(200);
    }
  }

  /** Waits until every target is up and scraped at least {@code scrapes} times after now. */
  public void awaitScrapes(int targets, Duration timeout) throws Exception {
    Instant since = Instant.now();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode active = get("/api/v1/targets?state=active").path("data").path("activeTargets");
      int fresh = 0;
      for (JsonNode t : active) {
        if ("up".equals(t.path("health").asText())
            && Instant.parse(t.path("lastScrape").asText()).isAfter(since)) {
          fresh++;
        }
      }
      if (fresh >= targets) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "not every target was up and scraped within " + timeout + ": " + active);
      }
      Thread.sleep(250);
    }
  }

  /** {@code /api/v1/query} at {@code time}: the result array (a vector). */
  public JsonNode query(String promql, Instant time) throws Exception {
    return data("/api/v1/query?query=" + enc(promql) + "&time=" + seconds(time), promql);
  }

  /** {@code /api/v1/query_range}: the result array (a matrix). */
  public JsonNode queryRange(String promql, Instant start, Instant end, Duration step)
      throws Exception {
    return data(
        "/api/v1/query_range?query="
            + enc(promql)
            + "&start="
            + seconds(start)
            + "&end="
            + seconds(end)
            + "&step="
            + step.toMillis() / 1000.0,
        promql);
  }

  private JsonNode data(String path, String promql) throws Exception {
    JsonNode body = get(path);
    if (!"success".equals(body.path("status").asText())) {
      throw new AssertionError("Prometheus refused " + promql + ": " + body);
    }
    return body.path("data").path("result");
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(api.resolve(path)).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  /** The finite sample values of a query result (vector or matrix). */
  public static List<Double> finiteValues(JsonNode result) {
    List<Double> out = new ArrayList<>();
    for (JsonNode series : result) {
      List<JsonNode> samples = new ArrayList<>();
      if (series.has("value")) {
        samples.add(series.get("value"));
      }
      series.path("values").forEach(samples::add);
      for (JsonNode sample : samples) {
        double v =
            Double.parseDouble(
                sample.get(1).asText().replace("+Inf", "Infinity").replace("-Inf", "-Infinity"));
        if (Double.isFinite(v)) {
          out.add(v);
        }
      }
    }
    return out;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String seconds(Instant t) {
    return Double.toString(t.toEpochMilli() / 1000.0);
  }

  public Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
