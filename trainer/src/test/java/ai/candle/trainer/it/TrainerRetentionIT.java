package ai.candle.trainer.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.KafkaTarget;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.trainer.Trainer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The features topic's retention (the broker's 7 days by default) must not take the training data
 * with it: a trainer restarted after every feature record expired still holds what its store kept,
 * new images ask for a refit as usual, and the version of that refit accounts for every sample the
 * store kept (seen, held out and the prior counts include the expired images).
 */
class TrainerRetentionIT {
  static final String[] FLAGS = {"--fit-epochs", "5", "--refit-samples", "20"};

  @Test
  void aTrainerRestartedAfterTheFeaturesExpiredKeepsItsStoreAndRefitsOnNewImages()
      throws Exception {
    // the broker checks retention every half second instead of every 5 minutes
    try (KafkaTarget kafka =
            KafkaTarget.start(
                Map.of(
                    "log.retention.check.interval.ms", "500", "log.initial.task.delay.ms", "0"));
        TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "retention.", 64, 0)) {
      List<String> classes = List.of("head", "medium", "few", "rare");
      int[] sizes = {60, 30, 12, 4};
      for (int c = 0; c < classes.size(); c++) {
        run.announce(classes.get(c));
        run.sendImages(classes.get(c), sizes[c]);
      }
      ModelVersion before;
      try (Trainer trainer = TrainerIT.start(run, new SimpleMeterRegistry(), FLAGS)) {
        before =
            run.awaitVersion(
                v -> v.getOrigin().equals("FIT") && accountsFor(v, run.sent()),
                Duration.ofSeconds(60),
                "fitted on every image");
      }
      run.expireFeatures(Duration.ofSeconds(60));
      System.out.printf(
          "[trainer-retention] version %d fitted on %s; every record of %s expired%n",
          before.getVersion(), run.sent(), run.names.features());

      try (Trainer trainer = TrainerIT.start(run, new SimpleMeterRegistry(), FLAGS)) {
        for (String c : classes) {
          run.sendImages(c, 6);
        }
        // the first fit after the restart: the new images ask for it (samples), nothing else does
        ModelVersion after =
            run.awaitVersion(
                v -> v.getVersion() > before.getVersion() && v.getOrigin().equals("FIT"),
                Duration.ofSeconds(60),
                "fitted after the restart");
        System.out.printf(
            "[trainer-retention] after the restart, %d new images sent: version %d seen %s,"
                + " held out %s, priors %s%n",
            6 * classes.size(),
            after.getVersion(),
            figures(after, ModelClass::getSeen),
            figures(after, ModelClass::getHeldOut),
            figures(after, ModelClass::getCount));
        assertEquals(classes.size(), after.getBaseClasses(), "every class keeps its images");
        long newImages = 0;
        for (ModelClass c : after.getClasses()) {
          ModelClass old =
              before.getClasses().stream()
                  .filter(o -> o.getName().equals(c.getName()))
                  .findFirst()
                  .orElseThrow();
          assertTrue(
              c.getSeen() >= old.getSeen(),
              c.getName()
                  + ": seen "
                  + c.getSeen()
                  + ", the store had kept "
                  + old.getSeen()
                  + " before the features expired");
          assertTrue(c.getHeldOut() >= old.getHeldOut(), c.getName() + " keeps its holdout");
          assertEquals(
              Math.min(100, c.getSeen() - c.getHeldOut()),
              c.getCount(),
              c.getName() + ": the prior is every training sample kept, the expired ones included");
          newImages += c.getSeen() - old.getSeen();
        }
        assertTrue(newImages > 0, "the fit took new images");
        if (!accountsFor(after, run.sent())) {
          // the samples trigger fired before the last new images arrived; the rest reach the next
          // fit
          System.out.printf(
              "[trainer-retention] version %d took %d of the new images%n",
              after.getVersion(), newImages);
        }
        assertTrue(trainer.failure() == null, "the trainer runs");
      }
    }
  }

  static String figures(ModelVersion v, java.util.function.ToLongFunction<ModelClass> of) {
    return v.getClasses().stream()
        .map(c -> c.getName() + "=" + of.applyAsLong(c))
        .toList()
        .toString();
  }

  /** Whether the version's classes saw exactly the images sent of each. */
  static boolean accountsFor(ModelVersion v, Map<String, Long> sent) {
    return v.getClasses().size() == sent.size()
        && v.getClasses().stream().allMatch(c -> sent.get(c.getName()).equals(c.getSeen()));
  }
}
