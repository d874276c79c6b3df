package ai.candle.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The endpoint serves the registry at /metrics over HTTP, and nothing else. */
class MetricsServerTest {

  /** Process metrics that {@link Prometheus#registry()} binds (Prometheus names). */
  static final List<String> PROCESS_METRICS =
      List.of(
          "jvm_memory_used_bytes{area=\"heap\"",
          "jvm_memory_max_bytes",
          "jvm_threads_live_threads ",
          "system_cpu_count ",
          "process_cpu_usage ",
          "process_uptime_seconds ");

  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theRegistryIsScrapedOverHttpWithTheProcessMetrics() throws Exception {
    PrometheusMeterRegistry registry = Prometheus.registry();
    Counter.builder("candle.test.events").tag("kind", "a").register(registry).increment(2);
    try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry)) {
      assertTrue(server.address().getPort() > 0, "port 0 binds a free port");
      assertEquals("http://127.0.0.1:" + server.address().getPort() + "/metrics", server.url());

      HttpResponse<String> metrics = send("GET", server.url());
      assertEquals(200, metrics.statusCode());
      assertEquals(
          MetricsServer.CONTENT_TYPE, metrics.headers().firstValue("Content-Type").orElse(""));
      assertTrue(
          metrics.body().contains("candle_test_events_total{kind=\"a\"} 2.0"), metrics.body());
      for (String name : PROCESS_METRICS) {
        assertTrue(metrics.body().contains(name), name + " in\n" + metrics.body());
      }
      HttpResponse<String> head = send("HEAD", server.url());
      assertEquals(200, head.statusCode());
      assertEquals("", head.body());
    }
  }

  @Test
  void onlyGetAndHeadOfMetricsAreServed() throws Exception {
    try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, Prometheus.registry())) {
      String base = "http://127.0.0.1:" + server.address().getPort();
      assertEquals(404, send("GET", base + "/").statusCode());
      assertEquals(404, send("GET", base + "/metrics/x").statusCode());
      HttpResponse<String> post = send("POST", base + "/metrics");
      assertEquals(405, post.statusCode());
      assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
    }
  }

  @Test
  void aTakenPortIsAnErrorAtStart() throws Exception {
    try (MetricsServer first = MetricsServer.start("127.0.0.1", 0, Prometheus.registry())) {
      int taken = first.address().getPort();
      IOException e =
          assertThrows(
              IOException.class,
              () -> MetricsServer.start("127.0.0.1", taken, Prometheus.registry()));
      assertTrue(
          e.getMessage().startsWith("cannot serve metrics on 127.0.0.1:" + taken), e.getMessage());
      assertTrue(e.getMessage().contains("set metrics.port (0 picks a free port)"), e.getMessage());
    }
  }

  @Test
  void anIpv6AddressIsBracketedInTheUrl() {
    assertEquals("http://[::]:9464/metrics", MetricsServer.url("::", 9464));
    assertEquals("http://0.0.0.0:9465/metrics", MetricsServer.url("0.0.0.0", 9465));
  }

  private HttpResponse<String> send(String method, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthProbesAnswerWhatTheServiceSays() throws Exception {
    java.util.concurrent.atomic.AtomicReference<Health.Status> now =
        new java.util.concurrent.atomic.AtomicReference<>(Health.Status.starting("catching up"));
    try (MetricsServer server =
        MetricsServer.start("127.0.0.1", 0, Prometheus.registry()).withHealth(now::get)) {
      String base = "http://127.0.0.1:" + server.address().getPort();
      HttpResponse<String> live = send("GET", base + MetricsServer.LIVE);
      HttpResponse<String> ready = send("GET", base + MetricsServer.READY);
      assertEquals(200, live.statusCode());
      assertEquals(503, ready.statusCode());
      assertEquals(
          "{\"status\":\"DOWN\",\"live\":true,\"ready\":false,\"detail\":\"catching up\"}\n",
          ready.body());
      assertEquals("application/json", ready.headers().firstValue("Content-Type").orElse(""));
      now.set(Health.Status.up("serving version \"7\""));
      ready = send("GET", base + MetricsServer.READY);
      assertEquals(200, ready.statusCode());
      assertTrue(ready.body().contains("\"detail\":\"serving version \\\"7\\\"\""), ready.body());
      now.set(Health.Status.down("stream thread died"));
      assertEquals(503, send("GET", base + MetricsServer.LIVE).statusCode());
      assertEquals(405, send("POST", base + MetricsServer.READY).statusCode());
    }
    try (MetricsServer down =
        MetricsServer.start("127.0.0.1", 0, Prometheus.registry())
            .withHealth(() -> Health.Status.starting("not yet"))) {
      String base = "http://127.0.0.1:" + down.address().getPort();
      assertTrue(HealthProbe.healthy(base + MetricsServer.LIVE, java.time.Duration.ofSeconds(3)));
      assertTrue(!HealthProbe.healthy(base + MetricsServer.READY, java.time.Duration.ofSeconds(3)));
      assertTrue(
          !HealthProbe.healthy("http://127.0.0.1:1/health/live", java.time.Duration.ofSeconds(3)),
          "refused");
    }
    try (MetricsServer plain = MetricsServer.start("127.0.0.1", 0, Prometheus.registry())) {
      assertEquals(
          200,
          send("GET", "http://127.0.0.1:" + plain.address().getPort() + MetricsServer.READY)
              .statusCode(),
          "up by default");
    }
  }
}
