package ai.candle.trainer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link Trainer}: loads {@link TrainerConfig}, starts it, closes it on SIGTERM/SIGINT.
 * Exits with status 2 on a configuration error, 1 when the trainer stopped on an error.
 */
public final class TrainerApp {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerApp.class);

  private TrainerApp() {}

  public static void main(String[] args) throws InterruptedException {
    TrainerConfig config;
    try {
      config = TrainerConfig.load(List.of(args), System.getenv());
    } catch (IllegalArgumentException | UncheckedIOException e) {
      LOG.error("Invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stop = new CountDownLatch(1);
    Trainer trainer = new Trainer(config, new SimpleMeterRegistry());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("Shutdown requested; closing the trainer");
      trainer.close();
      stop.countDown();
    }, "candle-trainer-shutdown"));
    try {
      trainer.start();
    } catch (RuntimeException e) {
      LOG.error("The trainer could not start: {}", e.getMessage(), e);
      System.exit(1);
    }
    LOG.info("candle trainer RUNNING against {} (model '{}')", config.bootstrapServers(), config.modelName());
    while (!stop.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
      if (trainer.failure() != null) {
        LOG.error("The trainer stopped: {}", trainer.failure().getMessage());
        System.exit(1);
      }
    }
  }
}
