package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.cli.demo.DemoPlan;
import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code candle demo}, small: a real embedded broker, the streams app and the trainer as child
 * JVMs.
 */
class CliDemoTest {

  @Test
  void aSmallDemoRunsEndToEndAndWritesTheReport(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("report");
    long start = System.nanoTime();
    CliRun run =
        CliRun.of(
            "demo",
            "--classes",
            "20",
            "--seconds",
            "15",
            "--out",
            out.toString(),
            "--streams-metrics-port",
            "0",
            "--trainer-metrics-port",
            "0");
    double secs = (System.nanoTime() - start) / 1e9;
    System.out.println(run.out());
    System.out.printf("[demo] small demo took %.1f s%n", secs);
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("SYNTHETIC"), "synthetic data is labelled as such");
    Matcher scored =
        Pattern.compile("(\\d+) of (\\d+) unlabelled images scored").matcher(run.out());
    assertTrue(scored.find(), run.out());
    assertEquals(scored.group(2), scored.group(1), "every unlabelled image got a prediction");
    String report = Files.readString(out.resolve("report.md"));
    assertTrue(report.contains("SYNTHETIC"), report);
    for (String png :
        List.of("accuracy-by-version.png", "class-counts.png", "announcement-latency.png")) {
      assertNotNull(ImageIO.read(out.resolve(png).toFile()), png + " is a PNG");
      assertTrue(report.contains(png), "report.md shows " + png);
    }
    List<String> accuracy = Files.readAllLines(out.resolve("accuracy-by-version.csv"));
    assertTrue(accuracy.size() > 1, "accuracy rows");
    assertEquals(21, Files.readAllLines(out.resolve("class-counts.csv")).size(), "a row per class");
    List<String> latency = Files.readAllLines(out.resolve("announcement-latency.csv"));
    assertEquals(3, latency.size(), "two classes announced mid-stream: " + latency);
    for (String row : latency.subList(1, latency.size())) {
      assertTrue(!row.contains("NaN"), "every announced class became scorable: " + row);
    }
    assertTrue(
        Files.exists(out.resolve("trainer.log")) && Files.exists(out.resolve("streams-app.log")));
  }

  @Test
  void aFeaturesDatasetIsReplayedInsteadOfSyntheticData(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("dataset");
    SyntheticClip.generate(
            SyntheticClip.Config.defaults().withClasses(12, 10).withShots(30).withTestPerClass(3))
        .write(data);
    Path out = dir.resolve("report");
    CliRun run =
        CliRun.of(
            "demo",
            "--dataset",
            data.toString(),
            "--seconds",
            "8",
            "--out",
            out.toString(),
            "--streams-metrics-port",
            "0",
            "--trainer-metrics-port",
            "0");
    assertEquals(0, run.exitCode(), run.err());
    String report = Files.readString(out.resolve("report.md"));
    assertTrue(report.contains("Real features dataset: " + data.toAbsolutePath()), report);
    assertTrue(!report.contains("SYNTHETIC"), "a dataset run is not labelled synthetic");
    Matcher scored =
        Pattern.compile("(\\d+) of (\\d+) unlabelled images scored").matcher(run.out());
    assertTrue(scored.find(), run.out());
    assertEquals("36", scored.group(2), "the dataset's test images are the unlabelled stream");
    assertEquals(scored.group(2), scored.group(1));
    assertEquals(
        3,
        Files.readAllLines(out.resolve("announcement-latency.csv")).size(),
        "its 2 new classes announced mid-stream");
  }

  @Test
  void thePlanAnnouncesNewClassesBeforeAnyImageOfThemAndLabelsComeAfterTheirImage() {
    FeaturesDataset data =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults().withClasses(20, 18).withShots(50).withTestPerClass(4));
    DemoPlan plan = DemoPlan.of(data, 3);
    Set<Integer> announced = new HashSet<>();
    Set<String> unlabeledSeen = new HashSet<>();
    int labeled = 0;
    for (DemoPlan.Event e : plan.events()) {
      switch (e.kind()) {
        case ANNOUNCE -> announced.add(e.label());
        case UNLABELED -> {
          assertTrue(
              announced.contains(e.label()),
              "image of class " + e.label() + " before its announcement");
          unlabeledSeen.add(e.id());
        }
        case LABELED -> {
          assertTrue(
              announced.contains(e.label()),
              "labelled image of class " + e.label() + " before its announcement");
          if (e.id().startsWith("test-")) {
            assertTrue(
                unlabeledSeen.contains(e.id()),
                "a test image's label comes after the image was scored");
          }
          labeled++;
        }
      }
    }
    assertEquals(20, announced.size());
    assertEquals(
        data.trainSize() + data.testSize(), labeled, "every training image and every test label");
    assertEquals(data.testSize(), plan.count(DemoPlan.Kind.UNLABELED));
    int firstNew = -1;
    for (int i = 0; i < plan.events().size(); i++) {
      if (plan.events().get(i).kind() == DemoPlan.Kind.ANNOUNCE
          && plan.events().get(i).label() >= 18) {
        firstNew = i;
        break;
      }
    }
    assertTrue(
        firstNew > plan.events().size() / 4,
        "new classes are announced mid-stream, at " + firstNew);
  }
}
