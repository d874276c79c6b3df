package ai.candle.trainer.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.CandleModel;
import ai.candle.kafka.KafkaTarget;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.trainer.Trainer;
import ai.candle.trainer.TrainerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The trainer on a real broker, in process. */
class TrainerIT {
  static KafkaTarget kafka;

  @BeforeAll
  static void startKafka() {
    kafka = KafkaTarget.start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  static Trainer start(TrainerRun run, SimpleMeterRegistry meters, String... flags)
      throws Exception {
    Trainer trainer = new Trainer(TrainerConfig.load(run.trainerArgs(flags), Map.of()), meters);
    trainer.start();
    assertTrue(trainer.awaitCaughtUp(Duration.ofSeconds(30)), "trainer caught up");
    return trainer;
  }

  /**
   * An announced class is scorable at once: by an INITIAL version the extend thread publishes, not
   * by a fit (none runs without images). How long it took is printed, not asserted.
   */
  @Test
  void anAnnouncedClassIsScorableWithoutAFitThenFittedWithExactBooks() throws Exception {
    try (TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "fit.", 64, 0);
        Trainer trainer =
            start(run, new SimpleMeterRegistry(), "--fit-epochs", "5", "--refit-samples", "50")) {
      long t0 = System.nanoTime();
      run.announce("okapi");
      ModelVersion first =
          run.awaitVersion(
              v -> TrainerRun.hasClass(v, "okapi"), Duration.ofSeconds(60), "with okapi");
      System.out.printf(
          "[trainer] announcement -> version %d (%s) readable in %d ms%n",
          first.getVersion(), first.getOrigin(), (System.nanoTime() - t0) / 1_000_000);
      assertEquals("INITIAL", first.getOrigin(), "scorable through the extend thread");
      assertEquals(0, trainer.fitsFinished(), "without a fit");

      for (int c = 0; c < 6; c++) {
        run.announce("class-" + c);
      }
      int[] sizes = {150, 60, 25, 8, 3, 1};
      for (int c = 0; c < sizes.length; c++) {
        run.sendImages("class-" + c, sizes[c]);
      }
      ModelVersion fit =
          run.awaitVersion(
              v ->
                  v.getOrigin().equals("FIT")
                      && v.getClasses().stream()
                              .filter(k -> k.getName().startsWith("class-"))
                              .mapToLong(ModelClass::getSeen)
                              .sum()
                          == 247,
              Duration.ofSeconds(60),
              "fitted on all 247 images");
      assertEquals(7, fit.getClasses().size(), "okapi stays as a new class");
      assertEquals(6, fit.getBaseClasses());
      ModelClass okapi = fit.getClasses().get(6);
      assertEquals("okapi", okapi.getName());
      assertEquals(0, okapi.getSeen());
      for (ModelClass c : fit.getClasses().subList(0, 6)) {
        assertEquals(run.sent().get(c.getName()), c.getSeen(), c.getName());
        assertEquals(
            Math.min(100, c.getSeen() - c.getHeldOut()),
            c.getCount(),
            "prior = training samples kept: " + c.getName());
      }
      assertTrue(fit.getClasses().get(0).getHeldOut() > 0, "the head class has a holdout");
      assertNotNull(
          fit.getHoldoutMetrics().get("holdout.balanced"), fit.getHoldoutMetrics().toString());
      assertNotNull(fit.getHoldoutMetrics().get("zero_shot.balanced"));
      assertNotNull(
          fit.getHoldoutMetrics().get("weights.prior"), "the chosen weights are recorded");
      assertNotNull(fit.getHoldoutMetrics().get("cv.prior.gain"), "and their cross-validation");
      CandleModel model = ModelVersions.fromRecord(fit, 64);
      assertEquals(6, model.baseClasses());
      List<ModelVersion> all = run.versions();
      for (int i = 1; i < all.size(); i++) {
        assertTrue(all.get(i).getVersion() > all.get(i - 1).getVersion(), "versions increase");
      }
      for (ModelVersion v : all) {
        assertNotBelowZeroShot(run, v);
      }
      System.out.printf(
          "[trainer] fit version %d: %s%n", fit.getVersion(), fit.getHoldoutMetrics());
    }
  }

  @Test
  void aClassKeepsItsAccuracyWhenItsVirtualPrototypeBecomesAVisualOne() throws Exception {
    try (TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "virtual.", 64, 0);
        Trainer trainer =
            start(run, new SimpleMeterRegistry(), "--fit-epochs", "10", "--refit-samples", "20")) {
      run.imageNoise = 1.5;
      for (int c = 0; c < 8; c++) {
        run.announce("class-" + c);
        run.sendImages("class-" + c, 40);
      }
      run.announce("okapi");
      ModelVersion virtual =
          run.awaitVersion(
              v -> v.getBaseClasses() == 8 && TrainerRun.hasClass(v, "okapi"),
              Duration.ofSeconds(60),
              "with 8 base classes and okapi virtual");
      double before =
          accuracy(ModelVersions.fromRecord(virtual, 64), run.freshImages("okapi", 200), "okapi");
      run.sendImages("okapi", 10);
      ModelVersion visual =
          run.awaitVersion(v -> v.getBaseClasses() == 9, Duration.ofSeconds(60), "with okapi base");
      double after =
          accuracy(ModelVersions.fromRecord(visual, 64), run.freshImages("okapi", 200), "okapi");
      System.out.printf(
          "[trainer] okapi all-class accuracy: virtual (version %d) %.3f, visual (version %d) %.3f%n",
          virtual.getVersion(), before, visual.getVersion(), after);
      assertTrue(before > 0.3, "a virtual class is really predicted among all classes: " + before);
      assertTrue(
          after >= before - 0.05, "no drop when it becomes visual: " + before + " -> " + after);
    }
  }

  /**
   * Found by streams-app's BrokerRestartIT: the features of a class can reach the trainer before
   * the class itself (they come out of ingest one transaction earlier than the registry's record).
   * The fit those images asked for had nothing registered to fit, and once the classes arrived
   * nothing asked again until refit.interval (10 minutes).
   */
  @Test
  void imagesThatArriveBeforeTheirClassIsRegisteredAreFittedOnceItIs() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "early.", 64, 0);
        Trainer trainer = start(run, meters, "--fit-epochs", "5")) {
      run.sendImages("early-0", 30);
      run.sendImages("early-1", 20);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (meters.get("candle.trainer.store.samples").tag("split", "train").gauge().value() < 2) {
        assertTrue(System.nanoTime() < deadline, "the trainer took in the images");
        Thread.sleep(50);
      }
      // the fit the images asked for runs to its end with nothing registered to fit, before the
      // classes exist
      while (trainer.fitsFinished() < 1) {
        assertTrue(System.nanoTime() < deadline, "the fit the images asked for ran");
        Thread.sleep(50);
      }
      assertEquals(
          -1, trainer.publishedVersion(), "nothing to publish before the classes are registered");
      run.announce("early-0");
      run.announce("early-1");
      ModelVersion fit =
          run.awaitVersion(
              v ->
                  v.getOrigin().equals("FIT")
                      && v.getClasses().stream().mapToLong(ModelClass::getSeen).sum() == 50,
              Duration.ofSeconds(60),
              "fitted on all 50 images once the classes were registered");
      assertEquals(2, fit.getBaseClasses(), "both classes are base classes");
    }
  }

  /**
   * A served version against zero-shot CLIP over the same classes, on the same fresh images (50 per
   * class), per frequency bucket of the classes' counts in the version: never below.
   */
  static void assertNotBelowZeroShot(TrainerRun run, ModelVersion v) {
    CandleModel model = ModelVersions.fromRecord(v, run.dim);
    CandleModel zeroShot = model.withWeights(ai.candle.core.ScoreWeights.ZERO);
    java.util.Map<ai.candle.core.FrequencyBucket, double[]> perBucket = new java.util.TreeMap<>();
    for (ModelClass c : v.getClasses()) {
      float[][] images = run.freshImages(c.getName(), 50);
      double[] acc =
          perBucket.computeIfAbsent(
              ai.candle.core.FrequencyBucket.of(c.getSeen()), b -> new double[3]);
      acc[0] += accuracy(model, images, c.getName());
      acc[1] += accuracy(zeroShot, images, c.getName());
      acc[2]++;
    }
    perBucket.forEach(
        (bucket, acc) -> {
          System.out.printf(
              "[trainer] version %d (%s) %s bucket: %.3f against zero-shot %.3f over %d classes%n",
              v.getVersion(),
              v.getOrigin(),
              bucket.tag(),
              acc[0] / acc[2],
              acc[1] / acc[2],
              (int) acc[2]);
          assertTrue(
              acc[0] >= acc[1],
              "version "
                  + v.getVersion()
                  + " is below zero-shot in the "
                  + bucket.tag()
                  + " bucket: "
                  + acc[0] / acc[2]
                  + " < "
                  + acc[1] / acc[2]);
        });
  }

  static double accuracy(CandleModel model, float[][] images, String label) {
    int hits = 0;
    try (ai.candle.core.FastScorer scorer = ai.candle.core.FastScorer.prepare(model)) {
      float[][] scores = scorer.score(images);
      for (float[] s : scores) {
        if (model.classNames().get(ai.candle.core.FastScorer.topK(s, 1)[0]).equals(label)) {
          hits++;
        }
      }
    }
    return (double) hits / images.length;
  }

  /**
   * Training images that contradict the holdout (each class's training images look like the next
   * class's; its held-out ones are genuine): the weights' cross-validation on the training data
   * earns them a correction, the holdout shows it below zero-shot, and the gate rejects it.
   */
  @Test
  void aCandidateWorseThanZeroShotIsRejectedLoggedAndCounted() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "reject.", 64, 0);
        Trainer trainer = start(run, meters, "--fit-epochs", "3", "--fit-head", "off")) {
      run.trainingLooksLike = name -> "class-" + ((Integer.parseInt(name.substring(6)) + 1) % 6);
      for (int c = 0; c < 6; c++) {
        run.announce("class-" + c);
      }
      for (int c = 0; c < 6; c++) {
        run.sendImages("class-" + c, 60);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (meters.find("candle.trainer.candidates").tag("outcome", "rejected").counter() == null
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      double rejected =
          meters
              .get("candle.trainer.candidates")
              .tag("outcome", "rejected")
              .tag("reason", "zero_shot")
              .counter()
              .count();
      assertTrue(rejected >= 1, "a diverged fit is rejected by the zero-shot floor");
      assertTrue(
          run.versions().stream().noneMatch(v -> v.getBaseClasses() == 6), "and never published");
      System.out.printf(
          "[trainer] rejected candidates: %.0f; versions %s%n",
          rejected,
          run.versions().stream().map(v -> v.getVersion() + "/" + v.getOrigin()).toList());
    }
  }

  @Test
  void aVersionOfAThousandClassesAtWidth512TravelsInChunksOnATopicWithKafkasDefaults()
      throws Exception {
    try (TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "big.", 512, 0);
        Trainer trainer = start(run, new SimpleMeterRegistry())) {
      for (int c = 0; c < 1000; c++) {
        run.announce("class-" + c);
      }
      ModelVersion v =
          run.awaitVersion(
              m -> m.getClasses().size() == 1000, Duration.ofSeconds(60), "with 1,000 classes");
      CandleModel model = ModelVersions.fromRecord(v, 512);
      assertEquals(1000, model.numClasses());
      System.out.printf(
          "[trainer] C=1000 D=512 version %d: %d bytes of parameters, read back and decoded%n",
          v.getVersion(), ModelVersions.parameterBytes(v));
      assertTrue(ModelVersions.parameterBytes(v) > 1024 * 1024, "over Kafka's 1 MB default");
      // the topic was created with the broker's defaults: the version went as chunks + manifest
      List<Integer> sizes = run.recordSizes();
      assertTrue(sizes.size() > 2, "chunks and a manifest: " + sizes);
      assertTrue(sizes.stream().allMatch(n -> n < 1024 * 1024), "every record under 1 MiB");
      System.out.printf(
          "[trainer] on the models topic: %d records, largest %d bytes%n",
          sizes.size(), sizes.stream().mapToInt(Integer::intValue).max().orElse(0));
    }
  }

  @Test
  void aModelsTopicThatTakesLessThanAChunkGivesAClearErrorNotAHang() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "small.", 512, 100_000);
        Trainer trainer = start(run, meters)) {
      for (int c = 0; c < 300; c++) {
        run.announce("class-" + c);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (trainer.lastPublishError() == null && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      String error = trainer.lastPublishError();
      assertNotNull(error, "the publish must fail, not hang");
      System.out.println("[trainer] too large: " + error);
      assertTrue(error.contains("max.message.bytes") && error.contains("model.chunk.bytes"), error);
      assertTrue(meters.get("candle.trainer.publish.failures").counter().count() >= 1);
      assertTrue(run.versions().isEmpty(), "nothing half-written");
    }
  }
}
