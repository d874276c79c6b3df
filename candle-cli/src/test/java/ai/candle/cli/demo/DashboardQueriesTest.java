package ai.candle.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.cli.deploy.Dashboards;
import ai.candle.cli.deploy.Executables;
import ai.candle.cli.deploy.PrometheusServer;
import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip;
import ai.candle.schemas.Topics;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every PromQL expression of every dashboard returns data from the real services: the demo's
 * deployment ({@link DemoServices}: the embedded broker, the streams app and the trainer as child
 * JVMs) scraped by a real Prometheus configured from deploy/prometheus/prometheus.yml (1 s
 * scrapes), a short long-tailed replay with a few invalid records, then each expression through
 * Prometheus' HTTP API, as Grafana would send it: a range query over the run (an instant one for
 * instant targets), with {@code $__rate_interval}, {@code $__interval} and {@code $__range} given
 * fixed values. Each must return at least one series with a finite value.
 */
class DashboardQueriesTest {

  static final Duration STEP = Duration.ofSeconds(2);
  static final String RATE_INTERVAL = "20s";
  static final Duration EVALUATION_TIMEOUT = Duration.ofSeconds(60);

  /** What the streams app logs when a model version starts serving. */
  static final String SERVING = "Serving model 'candle' version";

  @Test
  void everyDashboardQueryReturnsDataFromTheRunningServices(@TempDir Path dir) throws Exception {
    Executables.require(
        "prometheus", "DashboardQueriesTest runs every dashboard query against a real Prometheus");
    List<Dashboards.Query> queries = Dashboards.queries();
    FeaturesDataset data =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(20, 18)
                .withShots(200)
                .withTestPerClass(10)
                .withSeed(1));
    DemoPlan plan = DemoPlan.of(data, 1);
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    long t0 = System.nanoTime();
    try (DemoServices services =
            DemoServices.start(
                new DemoServices.Settings(
                    dir.resolve("run"), data.dim(), "synthetic", 5, 50, 0, 0));
        PrometheusServer prometheus =
            PrometheusServer.start(
                dir.resolve("prometheus"),
                Map.of(
                    "candle-streams", "127.0.0.1:" + services.streamsMetrics().getPort(),
                    "candle-trainer", "127.0.0.1:" + services.trainerMetrics().getPort()),
                "1s")) {
      prometheus.awaitScrapes(3, Duration.ofSeconds(30));
      // the health probes (the compose file's healthchecks): no version yet, so the streams app is
      // live but not ready; the trainer has caught up
      assertHealth(services.streamsMetrics(), 200, 503);
      assertHealth(services.trainerMetrics(), 200, 200);
      Instant start = Instant.now();
      try (DemoRecorder recorder =
          new DemoRecorder(services.bootstrapServers(), services.topics(), plan.classNames())) {
        DemoRun run = new DemoRun(recorder, "synthetic", plan.classNames());
        DemoReplay replay = new DemoReplay(12, out);
        // labelled images are scored (prequential) only once a version serves: wait for the first
        replay.run(
            plan,
            data,
            services,
            run,
            () -> services.services().get(0).awaitLog(SERVING, Duration.ofSeconds(90)));
        sendInvalidRecords(services, 3);
        replay.awaitScored(run, Duration.ofSeconds(60));
        assertEquals(
            run.unlabeled(),
            recorder.unlabeledScored(),
            "every unlabelled image scored; " + logs(services));
        assertHealth(services.streamsMetrics(), 200, 200);
      }
      // a rate over a window shows data only where something happened in it (a fit, say): ask
      // again while the services run, until every expression has data or the time is up
      long deadline = System.nanoTime() + EVALUATION_TIMEOUT.toNanos();
      List<String> empty;
      int rounds = 0;
      do {
        prometheus.awaitScrapes(3, Duration.ofSeconds(30));
        empty = evaluate(prometheus, queries, start, Instant.now(), ++rounds == 1);
      } while (!empty.isEmpty() && System.nanoTime() < deadline);
      System.out.printf(
          "[dashboards] %d expressions in %d dashboards, %d with data (%d empty or NaN only) after %d "
              + "evaluation(s); run of %.0f s%n",
          queries.size(),
          Dashboards.files().size(),
          queries.size() - empty.size(),
          empty.size(),
          rounds,
          (System.nanoTime() - t0) / 1e9);
      assertTrue(
          empty.isEmpty(),
          "dashboard expressions without data (Prometheus log "
              + prometheus.log()
              + "):\n"
              + String.join("\n", empty)
              + "\n"
              + logs(services));
    }
  }

  /**
   * Runs every expression over [start, end]; returns those without a finite value, with what was
   * sent and returned.
   */
  private static List<String> evaluate(
      PrometheusServer prometheus,
      List<Dashboards.Query> queries,
      Instant start,
      Instant end,
      boolean print)
      throws Exception {
    Map<String, String> values =
        Map.of(
            "__rate_interval",
            RATE_INTERVAL,
            "__interval",
            STEP.toSeconds() + "s",
            "__range",
            (Duration.between(start, end).toSeconds() + 1) + "s");
    List<String> empty = new ArrayList<>();
    for (Dashboards.Query q : queries) {
      String promql = Dashboards.substitute(q.expr(), values);
      JsonNode result =
          q.instant()
              ? prometheus.query(promql, end)
              : prometheus.queryRange(promql, start, end, STEP);
      List<Double> finite = PrometheusServer.finiteValues(result);
      if (print || finite.isEmpty()) {
        System.out.printf(
            "[dashboards] %s / %s / %s: %d series, %d finite samples, last %s%n",
            q.dashboard(),
            q.panel(),
            q.refId(),
            result.size(),
            finite.size(),
            finite.isEmpty() ? "-" : finite.get(finite.size() - 1));
      }
      if (finite.isEmpty()) {
        empty.add(q + "\n    sent: " + promql + "\n    result: " + result);
      }
    }
    return empty;
  }

  private static String logs(DemoServices services) {
    StringBuilder b = new StringBuilder();
    for (ChildService s : services.services()) {
      b.append("\n--- the end of ").append(s.log()).append(":\n").append(s.tail(40));
    }
    return b.toString();
  }

  /**
   * Labelled images that are not LabeledImages: dead letters (reason not_schema) for the
   * dead-letter panels.
   */
  private static void sendInvalidRecords(DemoServices services, int n) {
    Topics topics = services.topics();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, services.bootstrapServers()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (int i = 0; i < n; i++) {
        producer.send(
            new ProducerRecord<>(
                topics.labeledImages().name(),
                ("bad-" + i).getBytes(StandardCharsets.UTF_8),
                "not a LabeledImage".getBytes(StandardCharsets.UTF_8)));
      }
    }
  }

  /**
   * GET /health/live and /health/ready of a service's metrics endpoint, with the statuses expected.
   */
  private static void assertHealth(java.net.URI endpoint, int live, int ready) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    for (var probe : Map.of("/health/live", live, "/health/ready", ready).entrySet()) {
      var response =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(
                          "http://127.0.0.1:" + endpoint.getPort() + probe.getKey()))
                  .GET()
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(
          probe.getValue(),
          response.statusCode(),
          probe.getKey() + " of port " + endpoint.getPort() + ": " + response.body());
    }
  }
}
