package ai.candle.trainer.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.KafkaTarget;
import ai.candle.schemas.ModelVersion;
import ai.candle.trainer.Trainer;
import ai.candle.trainer.TrainerApp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two trainers of one model at once (a rolling update, or compose's gpu profile started beside the
 * cpu one): the second fences the first through the transactional producer's {@code
 * transactional.id}. The first stops with a log line and its own exit status at its next publish;
 * every version on the models topic is written by one of them, in strictly increasing order, and
 * the models' history holds the same committed versions.
 */
class TrainerFencingIT {
  static final String MAIN = "ai.candle.trainer.TrainerApp";
  static final Pattern PUBLISHED = Pattern.compile("Published version (\\d+) ");

  @Test
  void aSecondTrainerFencesTheFirstAndEveryVersionHasOneWriter(@TempDir Path dir) throws Exception {
    try (KafkaTarget kafka = KafkaTarget.start();
        TrainerRun run = new TrainerRun(kafka.bootstrapServers(), "fence.", 64, 0)) {
      for (int c = 0; c < 4; c++) {
        run.announce("class-" + c);
        run.sendImages("class-" + c, 30);
      }
      try (JvmProcess first =
          JvmProcess.start(MAIN, run.trainerArgs("--fit-epochs", "5"), dir.resolve("first.log"))) {
        first.awaitLog(Trainer.CAUGHT_UP_MESSAGE, 1, Duration.ofSeconds(60));
        run.awaitVersion(
            v -> v.getOrigin().equals("FIT") && v.getBaseClasses() == 4,
            Duration.ofSeconds(120),
            "fitted by the first trainer");
        long publishedByFirst = first.countInLog("Published version");
        try (JvmProcess second =
            JvmProcess.start(
                MAIN, run.trainerArgs("--fit-epochs", "5"), dir.resolve("second.log"))) {
          second.awaitLog(Trainer.CAUGHT_UP_MESSAGE, 1, Duration.ofSeconds(60));
          // both trainers extend their serving version with the new class, each at its next version
          run.announce("late");
          run.awaitVersion(
              v -> TrainerRun.hasClass(v, "late"), Duration.ofSeconds(60), "with the late class");
          awaitPublishAttempt(first, publishedByFirst, Duration.ofSeconds(60));

          List<ModelVersion> versions = run.versions();
          System.out.printf(
              "[trainer-fencing] versions %s; published by the first %s, by the second %s%n",
              versions.stream().map(v -> v.getVersion() + "/" + v.getOrigin()).toList(),
              published(first),
              published(second));
          assertOneChecksumPerVersion(versions);
          assertStrictlyIncreasing(versions);
          // each trainer wrote its versions to the history in the same transactions: the same
          // committed records
          // (read after the models topic: the second trainer may have published once more since)
          List<ModelVersion> history = run.historyVersions();
          assertTrue(
              history.size() >= versions.size(),
              "history " + history.size() + " < " + versions.size());
          assertEquals(
              versions,
              history.subList(0, versions.size()),
              "the models' history holds exactly the committed versions");
          Set<Long> both = new HashSet<>(published(first));
          both.retainAll(published(second));
          assertEquals(Set.of(), both, "versions both trainers published");
          Set<Long> all = new HashSet<>(published(first));
          all.addAll(published(second));
          assertEquals(
              versions.stream()
                  .map(ModelVersion::getVersion)
                  .collect(java.util.stream.Collectors.toSet()),
              all,
              "every version on the topic was published by one of the two");

          assertEquals(
              TrainerApp.EXIT_FENCED,
              first.awaitExit(Duration.ofSeconds(60)),
              "the first trainer's exit status");
          assertEquals(1, first.countInLog(Trainer.FENCED_MESSAGE), first.logTail(20));
          second.assertAlive("after fencing the first");
          System.out.printf(
              "[trainer-fencing] the first trainer exited with %d: %s%n",
              TrainerApp.EXIT_FENCED,
              first.logLines().stream()
                  .filter(l -> l.contains(Trainer.FENCED_MESSAGE))
                  .findFirst()
                  .orElse(""));
        }
      }
    }
  }

  /** Waits until the trainer published once more or logged that it was fenced. */
  static void awaitPublishAttempt(JvmProcess trainer, long publishedBefore, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (trainer.countInLog("Published version") == publishedBefore
        && trainer.countInLog(Trainer.FENCED_MESSAGE) == 0) {
      assertTrue(
          System.nanoTime() < deadline,
          "the first trainer neither published nor was fenced within "
              + timeout
              + ":\n"
              + trainer.logTail(40));
      Thread.sleep(50);
    }
  }

  /** The versions a trainer's log says it published. */
  static List<Long> published(JvmProcess trainer) {
    List<Long> out = new ArrayList<>();
    for (String line : trainer.logLines()) {
      Matcher m = PUBLISHED.matcher(line);
      if (m.find()) {
        out.add(Long.parseLong(m.group(1)));
      }
    }
    return out;
  }

  static void assertOneChecksumPerVersion(List<ModelVersion> versions) {
    Map<Long, Set<String>> checksums = new TreeMap<>();
    for (ModelVersion v : versions) {
      checksums.computeIfAbsent(v.getVersion(), k -> new HashSet<>()).add(v.getChecksum());
    }
    checksums.forEach(
        (version, sums) -> assertEquals(1, sums.size(), "checksums under version " + version));
  }

  static void assertStrictlyIncreasing(List<ModelVersion> versions) {
    for (int i = 1; i < versions.size(); i++) {
      assertTrue(
          versions.get(i).getVersion() > versions.get(i - 1).getVersion(),
          "version "
              + versions.get(i).getVersion()
              + " at position "
              + i
              + " after version "
              + versions.get(i - 1).getVersion()
              + ": "
              + versions.stream().map(ModelVersion::getVersion).toList());
    }
  }
}
