package ai.candle.trainer.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.CandleModel;
import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.trainer.Trainer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A class registered while a fit runs: the fit's version is published as the gate evaluated it (its
 * classes, its holdout figures), and the late class follows as an EXTEND of it at the next version,
 * where the fitted classes keep their parameters and the late class scores as zero-shot CLIP.
 */
class TrainerLateClassIT {
  static final String MAIN = "ai.candle.trainer.TrainerApp";

  @Test
  void theFitIsPublishedAsEvaluatedAndAClassRegisteredDuringItFollowsAsAnExtend() throws Exception {
    try (KafkaTarget kafka = KafkaTarget.start();
        TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "late.", 64, 0)) {
      List<String> fitted =
          List.of("class-0", "class-1", "class-2", "class-3", "class-4", "class-5");
      for (int c = 0; c < fitted.size(); c++) {
        run.announce(fitted.get(c));
        run.sendImages(fitted.get(c), 120 - 10 * c);
      }
      try (JvmProcess trainer =
          JvmProcess.start(
              MAIN,
              // enough epochs that the fit outlasts the late class's EXTEND and the test's
              // reading of it (the faster step made 30 epochs a 1 s fit, which raced it)
              run.trainerArgs("--fit-epochs", "600"),
              TrainerRun.freshLogFile("TrainerLateClassIT-trainer"))) {
        trainer.awaitLog(Trainer.CAUGHT_UP_MESSAGE, 1, Duration.ofSeconds(60));
        run.awaitVersion(
            v -> v.getOrigin().equals("INITIAL"),
            Duration.ofSeconds(60),
            "scoring the classes at once");
        trainer.awaitLog("fit started", 1, Duration.ofSeconds(60));
        run.announce("late");
        run.awaitVersion(
            v -> TrainerRun.hasClass(v, "late"),
            Duration.ofSeconds(60),
            "extended with the late class");
        assertEquals(
            0,
            trainer.countInLog("(FIT, "),
            "the late class was registered during the fit:\n" + trainer.logTail(20));

        ModelVersion fit =
            run.awaitVersion(v -> v.getOrigin().equals("FIT"), Duration.ofSeconds(180), "fitted");
        List<String> names = fit.getClasses().stream().map(ModelClass::getName).toList();
        System.out.printf(
            "[trainer-late-class] version %d (FIT): %s; versions %s%n",
            fit.getVersion(),
            names,
            run.versions().stream()
                .map(v -> v.getVersion() + "/" + v.getOrigin() + "/" + v.getClasses().size())
                .toList());
        assertEquals(
            fitted, names, "the fit's version holds the classes it was evaluated on, no more");
        assertNotNull(fit.getHoldoutMetrics().get("holdout.balanced"), "with the gate's figures");

        ModelVersion next =
            run.awaitVersion(
                v -> v.getVersion() == fit.getVersion() + 1,
                Duration.ofSeconds(30),
                "after the fit");
        assertEquals("EXTEND", next.getOrigin());
        assertTrue(TrainerRun.hasClass(next, "late"), "the late class follows at once");
        CandleModel evaluated = ModelVersions.fromRecord(fit, run.dim);
        CandleModel extended = ModelVersions.fromRecord(next, run.dim);
        assertEquals(
            fitted, extended.classNames().subList(0, fitted.size()), "the fitted classes first");
        assertEquals(evaluated.baseClasses(), extended.baseClasses());
        assertEquals(evaluated.weights(), extended.weights(), "the evaluated weights");
        assertArrayEquals(
            evaluated.visualPrototypes(), extended.visualPrototypes(), "the evaluated prototypes");
        assertEquals(
            fit.getHoldoutMetrics(),
            next.getHoldoutMetrics(),
            "an extend carries the fit's figures");
        System.out.printf(
            "[trainer-late-class] version %d (EXTEND of %d): %d classes, the fitted ones unchanged%n",
            next.getVersion(), fit.getVersion(), next.getClasses().size());
      }
    }
  }
}
