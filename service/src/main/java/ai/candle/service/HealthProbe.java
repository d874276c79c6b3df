package ai.candle.service;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A health probe for images without curl: {@code java -cp '<lib>/*' ai.candle.service.HealthProbe
 * URL} exits 0 when {@code URL} answers 200 within 3 seconds, 1 otherwise (the compose file's
 * healthchecks run it against {@code /health/live}).
 */
public final class HealthProbe {
  private HealthProbe() {}

  public static void main(String[] args) {
    System.exit(args.length == 1 && healthy(args[0], Duration.ofSeconds(3)) ? 0 : 1);
  }

  /** Whether {@code url} answers 200 within {@code timeout}. */
  static boolean healthy(String url, Duration timeout) {
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      System.out.print(r.body());
      return r.statusCode() == 200;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      System.out.println(url + ": " + e);
      return false;
    }
  }
}
