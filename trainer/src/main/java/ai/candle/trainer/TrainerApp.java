package ai.candle.trainer;

import ai.candle.service.LayeredSettings;
import ai.candle.service.MetricsServer;
import ai.candle.service.Prometheus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link Trainer}: loads {@link TrainerConfig}, serves its metrics on the Prometheus
 * endpoint ({@code http://<metrics.address>:<metrics.port>/metrics}, logged as {@value
 * #METRICS_MESSAGE}{@code <url>} with the bound port), starts it, closes both on SIGTERM/SIGINT.
 * Exits with status 2 on a configuration error (the metrics port taken included), {@value
 * #EXIT_FENCED} when another trainer of the model fenced this one ({@link Trainer#fenced}), 1 when
 * the trainer stopped on another error.
 */
public final class TrainerApp {
  /**
   * Logged before the endpoint's URL once it listens (for scripts and tests; port 0 is resolved).
   */
  public static final String METRICS_MESSAGE = "candle trainer metrics on ";

  /** Exit status of a trainer that another trainer of the same model fenced. */
  public static final int EXIT_FENCED = 3;

  private static final Logger LOG = LoggerFactory.getLogger(TrainerApp.class);

  private TrainerApp() {}

  public static void main(String[] args) throws InterruptedException {
    if (LayeredSettings.wantsHelp(List.of(args))) {
      System.out.print(TrainerConfig.SPEC.help());
      return;
    }
    TrainerConfig config;
    PrometheusMeterRegistry registry = Prometheus.registry();
    MetricsServer metrics;
    try {
      config = TrainerConfig.load(List.of(args), System.getenv());
      metrics = MetricsServer.start(config.metricsAddress(), config.metricsPort(), registry);
    } catch (IllegalArgumentException | UncheckedIOException | IOException e) {
      // IOException: the metrics address cannot be bound (the message says which settings)
      LOG.error("Invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    LOG.info("{}{}", METRICS_MESSAGE, metrics.url());
    run(config, new Trainer(config, registry), metrics);
  }

  /** Starts the trainer and blocks until a shutdown signal (or exits with 1 on its failure). */
  private static void run(TrainerConfig config, Trainer trainer, MetricsServer metrics)
      throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("Shutdown requested; closing the trainer");
                  trainer.close();
                  metrics.close();
                  stop.countDown();
                },
                "candle-trainer-shutdown"));
    metrics.withHealth(trainer::health);
    try {
      trainer.start();
    } catch (RuntimeException e) {
      LOG.error("The trainer could not start: {}", e.getMessage(), e);
      System.exit(1);
    }
    LOG.info(
        "candle trainer RUNNING against {} (model '{}')",
        config.bootstrapServers(),
        config.modelName());
    while (!stop.await(1, TimeUnit.SECONDS)) {
      if (trainer.failure() != null) {
        LOG.error("The trainer stopped: {}", trainer.failure().getMessage());
        System.exit(trainer.fenced() ? EXIT_FENCED : 1);
      }
    }
  }
}
