package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code candle generate} then {@code candle evaluate --json} in-process on a small synthetic
 * dataset: 20 classes (10 base with 16 training images each, 10 new), D = 64, 20 test images per
 * class, a 20-epoch fit with the CLI's defaults otherwise (lr 3e-4, SCALE 1.0).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliEvaluateTest {
  private static final List<String> ACCURACY_KEYS =
      List.of("all.base", "all.new", "all.hm", "split.base", "split.new", "split.hm");
  private static final List<String> BUCKETS = List.of("many", "medium", "few", "new");

  private Path dataset;
  private CliRun run;
  private JsonNode json;

  @BeforeAll
  void generateAndEvaluate(@TempDir Path tmp) throws Exception {
    dataset = tmp.resolve("small");
    CliRun gen =
        CliRun.of(
            "generate",
            "--out",
            dataset.toString(),
            "--classes",
            "20",
            "--base-classes",
            "10",
            "--dim",
            "64",
            "--shots",
            "16",
            "--profile",
            "fixed",
            "--seed",
            "1");
    assertEquals(0, gen.exitCode(), gen.err());
    run =
        CliRun.of(
            "evaluate",
            "--dataset",
            dataset.toString(),
            "--epochs",
            "20",
            "--device",
            "cpu",
            "--json");
    assertEquals(0, run.exitCode(), run.err());
    ObjectMapper strict = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    json = strict.readTree(run.out());
  }

  @Test
  void generateWritesTheDatasetAndMarksItSynthetic() {
    assertTrue(Files.isRegularFile(dataset.resolve("features.npz")));
    assertTrue(Files.isRegularFile(dataset.resolve("classes.txt")));
    assertTrue(Files.isRegularFile(dataset.resolve(Evaluation.SYNTHETIC_MARKER)));
    assertTrue(json.path("dataset").path("synthetic").asBoolean(), json.toString());
  }

  @Test
  void stdoutIsExactlyOneJsonObject() {
    assertTrue(json.isObject(), run.out());
    assertEquals(1, run.out().strip().lines().count(), "one line of JSON: " + run.out());
  }

  @Test
  void everyRequiredKeyIsThereWithFractions() {
    for (String method : List.of("zero_shot", "candle")) {
      for (String key : ACCURACY_KEYS) {
        double v = number(method + "." + key);
        assertTrue(v >= 0 && v <= 1, method + "." + key + " = " + v);
      }
      for (String bucket : BUCKETS) {
        JsonNode b = at(method + ".buckets." + bucket);
        assertTrue(
            b.isNull() || (b.isNumber() && b.asDouble() >= 0 && b.asDouble() <= 1),
            method + " bucket " + bucket + ": " + b);
      }
      // every base class has 16 training images (few), new classes none
      assertTrue(at(method + ".buckets.many").isNull());
      assertTrue(at(method + ".buckets.medium").isNull());
      assertEquals(number(method + ".all.base"), number(method + ".buckets.few"), 1e-12);
      assertEquals(number(method + ".all.new"), number(method + ".buckets.new"), 1e-12);
    }
    assertTrue(number("fit_seconds") > 0);
    assertTrue(number("score_images_per_second") > 0);
    assertEquals(20, number("dataset.classes"));
    assertEquals(10, number("dataset.base_classes"));
    assertEquals(160, number("dataset.train"));
    assertEquals(400, number("dataset.test"));
    assertEquals(64, number("dataset.dim"));
    assertEquals("cpu()", at("device").asText());
    // the head's fit on all images runs only when the selection gave the head a weight
    boolean headFitted = at("candle.selection.head_fitted").asBoolean();
    assertEquals(headFitted ? 20 : 0, at("candle.epoch_loss").size());
    assertEquals(headFitted, number("candle.weights.head_weight") > 0);
  }

  /**
   * The chosen weights and their cross-validated estimates, against zero-shot's on the same images.
   */
  @Test
  void theWeightsAndTheirSelectionAreReported() {
    for (String key : List.of("text_weight", "prior_weight", "head_weight", "base_offset")) {
      assertTrue(at("candle.weights." + key).isNumber(), key);
    }
    JsonNode prior = at("candle.selection.prior");
    assertTrue(prior.get("decision").asText().length() > 10, prior.toString());
    assertEquals(
        10, prior.get("new_like_classes").asInt(), "every base class is also held out as new");
    assertEquals(10, prior.get("base_like_classes").asInt());
    assertTrue(prior.get("candidates").asInt() > 100);
    assertTrue(prior.get("reference").get("hm").asDouble() > 0, prior.toString());
    assertTrue(
        prior.get("chosen").get("hm").asDouble() >= prior.get("reference").get("hm").asDouble());
    assertTrue(at("candle.selection.head").isObject(), "the head's weight was tried on a split");
    assertEquals(
        at("candle.weights.zero_shot").asBoolean(),
        number("candle.weights.prior_weight") == 0
            && number("candle.weights.head_weight") == 0
            && number("candle.weights.base_offset") == 0);
  }

  @Test
  void harmonicMeanMatchesBaseAndNew() {
    for (String prefix :
        List.of("zero_shot.all", "zero_shot.split", "candle.all", "candle.split")) {
      double b = number(prefix + ".base");
      double n = number(prefix + ".new");
      double expected = b + n == 0 ? 0 : 2 * b * n / (b + n);
      assertEquals(expected, number(prefix + ".hm"), 1e-12, prefix);
    }
  }

  @Test
  void candleIsNotBelowZeroShot() {
    assertTrue(
        number("candle.all.hm") >= number("zero_shot.all.hm") - 0.003,
        "candle all.hm " + number("candle.all.hm") + " vs zero-shot " + number("zero_shot.all.hm"));
    assertTrue(
        number("candle.split.hm") >= number("zero_shot.split.hm"),
        "candle split.hm "
            + number("candle.split.hm")
            + " vs zero-shot "
            + number("zero_shot.split.hm"));
  }

  @Test
  void progressGoesToStderrPerEpoch() {
    assertTrue(run.err().contains("epoch 1/20 loss "), run.err());
    assertTrue(run.err().contains("epoch 20/20 loss "), run.err());
  }

  @Test
  void withoutJsonPrintsATable() {
    CliRun table =
        CliRun.of("evaluate", "--dataset", dataset.toString(), "--epochs", "2", "--device", "cpu");
    assertEquals(0, table.exitCode(), table.err());
    assertTrue(table.out().contains("zero-shot"), table.out());
    assertTrue(table.out().lines().anyMatch(l -> l.startsWith("candle ")), table.out());
    assertTrue(table.out().contains("images/s"), table.out());
  }

  /** The value at a dotted path, e.g. {@code candle.split.hm}. */
  private JsonNode at(String dotted) {
    JsonNode node = json;
    for (String part : dotted.split("\\.")) {
      assertTrue(node.has(part), "no '" + dotted + "' in " + json);
      node = node.get(part);
    }
    return node;
  }

  private double number(String dotted) {
    JsonNode n = at(dotted);
    assertNotNull(n);
    assertTrue(n.isNumber(), dotted + " is not a number: " + n);
    return n.asDouble();
  }
}
