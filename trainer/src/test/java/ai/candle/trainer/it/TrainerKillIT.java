package ai.candle.trainer.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL during a fit, then a restart: the trainer rebuilds its store from the features topic,
 * resumes the version sequence, and its next version accounts for every image that was sent.
 * (streams-app's TrainerPublishKillIT kills it during publishes, with a scorer following the
 * versions.)
 */
class TrainerKillIT {
  static final String MAIN = "ai.candle.trainer.TrainerApp";

  @Test
  void aTrainerKilledDuringAFitResumesAndItsNextVersionCountsEveryImage(@TempDir Path dir)
      throws Exception {
    try (KafkaTarget kafka = KafkaTarget.start();
        TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "kill.", 64, 0)) {
      Path log = dir.resolve("trainer.log");
      int classes = 10;
      for (int c = 0; c < classes; c++) {
        run.announce("class-" + c);
      }
      // the images are there before the trainer starts, so its first fit sees them all: a fit on a
      // few early images would choose zero-shot without fitting the head and be done in moments
      for (int c = 0; c < classes; c++) {
        run.sendImages("class-" + c, 120 - 10 * c);
      }
      long versionBeforeKill;
      try (JvmProcess slow = JvmProcess.start(MAIN, run.trainerArgs("--fit-epochs", "2000"), log)) {
        slow.awaitLog("candle trainer caught up", 1, Duration.ofSeconds(60));
        slow.awaitLog("fit started", 1, Duration.ofSeconds(60));
        Thread.sleep(1000);
        slow.assertAlive("during the fit");
        assertEquals(137, slow.kill(), "SIGKILL");
        assertEquals(
            0, slow.countInLog("Candidate promoted"), "the kill must land during the first fit");
        versionBeforeKill =
            run.versions().stream().mapToLong(ModelVersion::getVersion).max().orElse(-1);
      }
      for (int c = 0; c < classes; c++) {
        run.sendImages("class-" + c, 7);
      }
      Map<String, Long> sent = run.sent();
      try (JvmProcess trainer = JvmProcess.start(MAIN, run.trainerArgs("--fit-epochs", "5"), log)) {
        ModelVersion next =
            run.awaitVersion(
                v -> v.getOrigin().equals("FIT"),
                Duration.ofSeconds(120),
                "fitted after the restart");
        trainer.assertAlive("after publishing");
        assertTrue(
            next.getVersion() > versionBeforeKill,
            "versions continue across the restart: "
                + next.getVersion()
                + " after "
                + versionBeforeKill);
        List<String> wrong = new ArrayList<>();
        for (ModelClass c : next.getClasses()) {
          if (!sent.get(c.getName()).equals(c.getSeen())) {
            wrong.add(c.getName() + " seen " + c.getSeen() + " sent " + sent.get(c.getName()));
          }
        }
        assertEquals(List.of(), wrong, "the version accounts for every image sent");
        assertEquals(classes, next.getBaseClasses());
        long total = next.getClasses().stream().mapToLong(ModelClass::getSeen).sum();
        System.out.printf(
            "[trainer-kill] killed during the fit after version %d; version %d after the restart accounts for all %d images%n",
            versionBeforeKill, next.getVersion(), total);
      }
    }
  }
}
