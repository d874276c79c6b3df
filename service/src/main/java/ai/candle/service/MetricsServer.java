package ai.candle.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus and health endpoints of a service: the JDK's HTTP server on a configured address
 * and port, serving {@code GET /metrics} (Prometheus text format 0.0.4), {@code GET /health/live}
 * and {@code GET /health/ready} (200 when the service's {@link Health} says so, 503 otherwise, a
 * one-line JSON body either way), and nothing else (404 for any other path, 405 for another
 * method). One daemon thread answers.
 */
public final class MetricsServer implements AutoCloseable {

  public static final String PATH = "/metrics";
  public static final String LIVE = "/health/live";
  public static final String READY = "/health/ready";

  /** The Prometheus text exposition format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private final PrometheusMeterRegistry registry;
  private final String host;
  private volatile Health health = Health.ALWAYS;

  private MetricsServer(HttpServer server, String host, PrometheusMeterRegistry registry) {
    this.server = server;
    this.host = host;
    this.registry = registry;
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "candle-metrics-http");
              t.setDaemon(true);
              return t;
            });
    server.createContext("/", this::handle);
    server.setExecutor(executor);
  }

  /**
   * Binds and starts serving.
   *
   * @param address the host name or IP to listen on ({@code 0.0.0.0}: every interface)
   * @param port 0 picks a free port ({@link #address()} tells which)
   * @throws IOException when the address cannot be bound (e.g. the port is taken); its message says
   *     which settings to change ({@code metrics.port}, {@code metrics.address})
   */
  public static MetricsServer start(String address, int port, PrometheusMeterRegistry registry)
      throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(address, port), 16);
    } catch (IOException e) {
      throw new IOException(
          "cannot serve metrics on "
              + address
              + ":"
              + port
              + " ("
              + e
              + "); set metrics.port (0 picks a free port) or metrics.address",
          e);
    }
    MetricsServer metrics = new MetricsServer(server, address, registry);
    server.start();
    LOG.info("Serving Prometheus metrics at {}", metrics.url());
    return metrics;
  }

  /** What {@code /health/live} and {@code /health/ready} answer from now on (by default: up). */
  public MetricsServer withHealth(Health h) {
    this.health = java.util.Objects.requireNonNull(h, "health");
    return this;
  }

  /** Where it listens. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** {@code http://<address as configured>:<bound port>/metrics} (IPv6 literals bracketed). */
  public String url() {
    return url(host, server.getAddress().getPort());
  }

  static String url(String host, int port) {
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return "http://" + h + ":" + port + PATH;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!path.equals(PATH) && !path.equals(LIVE) && !path.equals(READY)) {
        reply(
            exchange,
            404,
            "text/plain; charset=utf-8",
            ("Not found; metrics are at " + PATH + ", health at " + LIVE + " and " + READY + "\n")
                .getBytes(StandardCharsets.UTF_8));
        return;
      }
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        reply(exchange, 405, "text/plain; charset=utf-8", new byte[0]);
        return;
      }
      if (!path.equals(PATH)) {
        Health.Status status = health.status();
        boolean up = path.equals(LIVE) ? status.live() : status.ready();
        String json =
            "{\"status\":\""
                + (up ? "UP" : "DOWN")
                + "\",\"live\":"
                + status.live()
                + ",\"ready\":"
                + status.ready()
                + ",\"detail\":\""
                + status.detail().replace("\\", "\\\\").replace("\"", "\\\"")
                + "\"}\n";
        reply(
            exchange,
            up ? 200 : 503,
            "application/json",
            method.equals("HEAD") ? null : json.getBytes(StandardCharsets.UTF_8));
        return;
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
      registry.scrape(body);
      reply(exchange, 200, CONTENT_TYPE, method.equals("HEAD") ? null : body.toByteArray());
    } catch (IOException | RuntimeException e) {
      LOG.warn("Metrics request failed: {}", e.toString());
      throw e;
    }
  }

  private static void reply(HttpExchange exchange, int status, String contentType, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, body == null || body.length == 0 ? -1 : body.length);
    if (body != null && body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Stops listening (requests in flight get up to a second). */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }
}
