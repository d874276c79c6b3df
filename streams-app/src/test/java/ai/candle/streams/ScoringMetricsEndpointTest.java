package ai.candle.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.service.MetricsServer;
import ai.candle.service.Prometheus;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.config.ScoringConfig;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.ingest.IngestTopology;
import ai.candle.streams.model.ModelHolder;
import ai.candle.streams.model.TestModels;
import ai.candle.streams.scoring.Scoring;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The app's Prometheus endpoint (the service module's {@link MetricsServer} on the app's registry)
 * serves the scoring metrics under the names the dashboards query.
 */
class ScoringMetricsEndpointTest {

  /** Prometheus names of the scoring metrics (counters get _total, timers _seconds). */
  static final List<String> SCORING_METRICS =
      List.of(
          "candle_accuracy_prequential{bucket=\"many\"}",
          "candle_accuracy_prequential{bucket=\"medium\"}",
          "candle_accuracy_prequential{bucket=\"few\"}",
          "candle_accuracy_prequential{bucket=\"new\"}",
          "candle_accuracy_worst{rank=\"1\"}",
          "candle_accuracy_version{bucket=\"few\"}",
          "candle_accuracy_worst{rank=\"10\"}",
          "candle_prequential_predictions_total{bucket=\"few\",outcome=\"correct\"}",
          "candle_predictions_total{role=\"prequential\"}",
          "candle_predictions_total{role=\"unlabeled\"}",
          "candle_scoring_latency_seconds_bucket{role=\"unlabeled\",le=",
          "candle_scoring_latency_seconds_count{role=\"prequential\"}",
          "candle_model_version ",
          "candle_model_age_seconds ",
          "candle_model_swaps_total ",
          "candle_model_refused_total{reason=\"checksum\"}",
          "candle_dead_letters_total{reason=\"no_model\"}",
          "candle_ingest_records_total{kind=\"labeled\",outcome=\"valid\"}",
          "candle_ingest_records_total{kind=\"announcement\",outcome=\"rejected\"}",
          "jvm_memory_used_bytes");

  @Test
  void scoringMetricsAreScrapedOverHttp() throws Exception {
    PrometheusMeterRegistry registry = Prometheus.registry();
    try (ModelHolder models =
            new ModelHolder("candle", TestModels.WIDTH, registry, Clock.systemUTC());
        MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry)) {
      Scoring scoring = Scoring.of(ScoringConfig.defaults(), models, name -> 0, registry);
      // the ingest topology registers the dead-letter and ingest-record counters, as in the app
      IngestTopology.build(
          IngestConfig.defaults(), registry, Encoders.none(), Optional.of(scoring));
      models.offer(TestModels.version(TestModels.model("cat", "dog"), 2), "models-0@0");
      scoring.accuracy().record("cat", 3, true, 2);

      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(server.url())).GET().build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      for (String name : SCORING_METRICS) {
        assertTrue(metrics.body().contains(name), name + " in\n" + metrics.body());
      }
      assertTrue(metrics.body().contains("candle_model_version 2.0"), metrics.body());
      assertTrue(metrics.body().contains("candle_accuracy_prequential{bucket=\"few\"} 1.0"));
      assertTrue(metrics.body().contains("candle_accuracy_version{bucket=\"few\"} 1.0"));
    }
  }
}
