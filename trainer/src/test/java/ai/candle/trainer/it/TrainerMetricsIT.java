package ai.candle.trainer.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import ai.candle.schemas.ModelVersion;
import ai.candle.trainer.Trainer;
import ai.candle.trainer.TrainerApp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's Prometheus endpoint: a {@link TrainerApp} child JVM on a free port (read from its
 * log), scraped over HTTP before and after a fit, with the names the dashboards query.
 */
class TrainerMetricsIT {
  static final String MAIN = "ai.candle.trainer.TrainerApp";
  static final Pattern URL =
      Pattern.compile(Pattern.quote(TrainerApp.METRICS_MESSAGE) + "(http://\\S+)");
  static final Pattern MODEL_VERSION = Pattern.compile("(?m)^candle_trainer_model_version (\\S+)$");

  /**
   * Prometheus names of the trainer's metrics after a fit (counters get _total, timers _seconds).
   */
  static final List<String> TRAINER_METRICS =
      List.of(
          "candle_trainer_model_version ",
          "candle_trainer_store_samples{split=\"train\"}",
          "candle_trainer_store_samples{split=\"holdout\"}",
          "candle_trainer_classes 4.0",
          "candle_trainer_records_skipped_total 0.0",
          "candle_trainer_candidates_total{outcome=",
          "candle_fit_duration_seconds_count{device=",
          "candle_fit_duration_seconds_sum{device=",
          "candle_fit_duration_seconds_max{device=",
          "candle_trainer_bucket_classes{bucket=\"few\"}",
          "candle_trainer_bucket_classes{bucket=\"new\"}",
          "candle_trainer_bucket_images{bucket=\"many\"}",
          "candle_class_scorable_latency_seconds_count 4",
          "candle_class_scorable_latency_seconds_bucket{le=",
          "jvm_memory_used_bytes{area=\"heap\"",
          "jvm_threads_live_threads ",
          "system_cpu_count ",
          "process_uptime_seconds ");

  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theTrainersMetricsAreScrapedOverHttpAfterAFit(@TempDir Path dir) throws Exception {
    try (KafkaTarget kafka = KafkaTarget.start();
        TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "metrics.", 64, 0)) {
      Path log = dir.resolve("trainer.log");
      try (JvmProcess trainer =
          JvmProcess.start(
              MAIN, run.trainerArgs("--fit-epochs", "5", "--refit-samples", "50"), log)) {
        trainer.awaitLog(Trainer.CAUGHT_UP_MESSAGE, 1, Duration.ofSeconds(60));
        String url = metricsUrl(log);
        String base = url.substring(0, url.length() - "/metrics".length());
        HttpResponse<String> live = get(base + "/health/live");
        HttpResponse<String> ready = get(base + "/health/ready");
        assertEquals(200, live.statusCode(), live.body());
        assertEquals(200, ready.statusCode(), "ready once caught up: " + ready.body());
        assertTrue(ready.body().contains("\"status\":\"UP\""), ready.body());
        String before = scrape(url);
        assertEquals(OptionalDouble.of(-1), modelVersion(before), "no version yet:\n" + before);
        assertTrue(before.contains("jvm_memory_used_bytes"), before);

        for (int c = 0; c < 4; c++) {
          run.announce("class-" + c);
          run.sendImages("class-" + c, 40);
        }
        // a fit's timer is recorded once it is gated (and its version published, if promoted)
        String after =
            awaitScrape(
                url,
                body -> body.contains("candle_fit_duration_seconds_count"),
                Duration.ofSeconds(120),
                trainer);
        for (String name : TRAINER_METRICS) {
          assertTrue(after.contains(name), name + " in the scrape of " + url + ":\n" + after);
        }
        long served = (long) modelVersion(after).orElseThrow();
        List<Long> published = run.versions().stream().map(ModelVersion::getVersion).toList();
        assertTrue(
            published.contains(served),
            "the gauge shows a published version: " + served + " of " + published);
        trainer.assertAlive("after the scrapes");
        System.out.printf(
            "[trainer-metrics] %s: candle_trainer_model_version %d, versions on the topic %s%n",
            url, served, published);
      }
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The endpoint's URL as the trainer logged it (the port it bound). */
  private static String metricsUrl(Path log) throws IOException {
    for (String line : Files.readAllLines(log)) {
      Matcher m = URL.matcher(line);
      if (m.find()) {
        return m.group(1);
      }
    }
    throw new AssertionError("no '" + TrainerApp.METRICS_MESSAGE + "' line in " + log);
  }

  private static OptionalDouble modelVersion(String body) {
    Matcher m = MODEL_VERSION.matcher(body);
    return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
  }

  private String awaitScrape(
      String url, Predicate<String> wanted, Duration timeout, JvmProcess trainer) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String body = scrape(url);
    while (!wanted.test(body)) {
      trainer.assertAlive("while scraping " + url);
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the scrape of " + url + " did not show a fit within " + timeout + ":\n" + body);
      }
      Thread.sleep(100);
      body = scrape(url);
    }
    return body;
  }

  private String scrape(String url) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), url);
    assertTrue(
        response
            .headers()
            .firstValue("Content-Type")
            .orElse("")
            .startsWith("text/plain; version=0.0.4"));
    return response.body();
  }
}
