package ai.candle.streams;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus endpoint of the app: the JDK's HTTP server on {@code metrics.address} and
 * {@code metrics.port}, serving {@code GET /metrics} (Prometheus text format 0.0.4) and nothing
 * else (404 for any other path, 405 for another method). One daemon thread answers.
 */
public final class MetricsServer implements AutoCloseable {

  public static final String PATH = "/metrics";
  /** The Prometheus text exposition format. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private final PrometheusMeterRegistry registry;

  private MetricsServer(HttpServer server, PrometheusMeterRegistry registry) {
    this.server = server;
    this.registry = registry;
    this.executor = Executors.newSingleThreadExecutor(r -> {
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
   * @param port 0 picks a free port ({@link #address()} tells which)
   * @throws IOException when the address cannot be bound (e.g. the port is taken)
   */
  public static MetricsServer start(String address, int port, PrometheusMeterRegistry registry)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 16);
    MetricsServer metrics = new MetricsServer(server, registry);
    server.start();
    LOG.info("Serving Prometheus metrics at http://{}:{}{}", address,
        server.getAddress().getPort(), PATH);
    return metrics;
  }

  /** Where it listens. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestURI().getPath().equals(PATH)) {
        reply(exchange, 404, "text/plain; charset=utf-8", ("Not found; metrics are at " + PATH
            + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return;
      }
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        reply(exchange, 405, "text/plain; charset=utf-8", new byte[0]);
        return;
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
      registry.scrape(body);
      reply(exchange, 200, CONTENT_TYPE,
          method.equals("HEAD") ? null : body.toByteArray());
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
