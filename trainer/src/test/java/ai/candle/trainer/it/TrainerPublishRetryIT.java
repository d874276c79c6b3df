package ai.candle.trainer.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.candle.kafka.EmbeddedKafkaBroker;
import ai.candle.kafka.JvmProcess;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.trainer.Trainer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker stops while the trainer fits, so the fit's publish fails; the broker comes back on the
 * same data and ports (as streams-app's BrokerRestartIT restarts it). The fitted version is
 * published then, without any new input: the data counts as used only once a version with it is
 * acknowledged. The trainer runs in its own JVM (its log says when the fit and the publish run),
 * with client timeouts of seconds so that the publish fails while the broker is down.
 */
class TrainerPublishRetryIT {
  static final String MAIN = "ai.candle.trainer.TrainerApp";

  @Test
  void aFitWhosePublishFailedIsPublishedOnceTheBrokerIsBackWithoutNewInput(@TempDir Path dir)
      throws Exception {
    EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder().dataDir(dir.resolve("kafka")).start();
    try (TrainerRun run = new TrainerRun(broker.bootstrapServers(), "retry.", 64, 0)) {
      int classes = 6;
      for (int c = 0; c < classes; c++) {
        run.announce("class-" + c);
        run.sendImages("class-" + c, 120 - 10 * c);
      }
      Map<String, Long> sent = run.sent();
      try (JvmProcess trainer =
          JvmProcess.start(
              MAIN,
              run.trainerArgs(
                  "--fit-epochs",
                  "30",
                  "--kafka-config",
                  "max.block.ms=3000",
                  "--kafka-config",
                  "request.timeout.ms=2000",
                  "--kafka-config",
                  "delivery.timeout.ms=5000"),
              TrainerRun.freshLogFile("TrainerPublishRetryIT-trainer"))) {
        trainer.awaitLog(Trainer.CAUGHT_UP_MESSAGE, 1, Duration.ofSeconds(60));
        run.awaitVersion(
            v -> v.getOrigin().equals("INITIAL"),
            Duration.ofSeconds(60),
            "scoring the classes at once");
        trainer.awaitLog("fit started", 1, Duration.ofSeconds(60));
        broker.close();
        assertEquals(
            0,
            trainer.countInLog("(FIT, "),
            "the broker stopped before the fit's publish started:\n" + trainer.logTail(20));
        trainer.awaitLog("(FIT, ", 1, Duration.ofMinutes(3));
        String failed = "Publishing version " + fitVersion(trainer) + " ";
        // twice: the second attempt runs while the broker is still down too
        trainer.awaitLog(failed, 2, Duration.ofSeconds(60));
        trainer.logLines().stream()
            .filter(l -> l.contains(failed))
            .forEach(l -> System.out.println("[trainer-publish-retry] with the broker down: " + l));
        broker =
            EmbeddedKafkaBroker.builder()
                .dataDir(broker.dataDir())
                .port(broker.port())
                .controllerPort(broker.controllerPort())
                .start();
        long back = System.nanoTime();
        ModelVersion fit =
            run.awaitVersion(
                v -> v.getOrigin().equals("FIT"),
                Duration.ofSeconds(120),
                "fitted, after the broker came back, without new input");
        System.out.printf(
            "[trainer-publish-retry] version %d (FIT) published %d ms after the broker came back;"
                + " %d publish attempts failed%n",
            fit.getVersion(), (System.nanoTime() - back) / 1_000_000, trainer.countInLog(failed));
        assertEquals(classes, fit.getBaseClasses());
        for (ModelClass c : fit.getClasses()) {
          assertEquals(
              sent.get(c.getName()), c.getSeen(), "images of " + c.getName() + " in the version");
        }
        assertEquals(sent, run.sent(), "no input was sent after the failure");
        trainer.assertAlive("after the broker came back");
      }
    } finally {
      broker.close();
    }
  }

  /** The number of the fit's version, from the trainer's publish-started line. */
  static long fitVersion(JvmProcess trainer) {
    String line =
        trainer.logLines().stream()
            .filter(l -> l.contains(Trainer.PUBLISHING_MESSAGE) && l.contains("(FIT, "))
            .findFirst()
            .orElseThrow();
    String rest =
        line.substring(
                line.indexOf(Trainer.PUBLISHING_MESSAGE) + Trainer.PUBLISHING_MESSAGE.length())
            .trim();
    return Long.parseLong(rest.substring(0, rest.indexOf(' ')));
  }
}
