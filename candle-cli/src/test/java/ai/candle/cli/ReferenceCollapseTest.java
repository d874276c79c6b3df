package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * The failure issue 10 is about, kept visible: on the synthetic few-shot benchmark, the reference
 * configuration of Candle (the paper's hyper-parameters, text-initialised virtual prototypes)
 * almost never predicts a new class when every image is ranked against all classes, while zero-shot
 * CLIP does (on real CLIP features too: 0.1% against 65%). This test pins the benchmark, not the
 * model: if it starts failing because the synthetic geometry changed, the benchmark was weakened;
 * fix the model (the adaptive configuration) and report it beside the reference instead.
 */
class ReferenceCollapseTest {
  @Test
  void referenceConfigurationAlmostNeverPredictsNewClassesAmongAllClasses() throws Exception {
    CliRun run =
        CliRun.of(
            "evaluate", "--benchmark", "lt-4shot", "--mode", "both", "--device", "cpu", "--json");
    assertEquals(0, run.exitCode(), run.err());
    JsonNode json = new ObjectMapper().readTree(run.out());
    double zeroShotNew = json.at("/zero_shot/all/new").asDouble();
    double candleNew = json.at("/reference/all/new").asDouble();
    double candleSplitNew = json.at("/reference/split/new").asDouble();
    assertTrue(
        zeroShotNew >= 0.4,
        "zero-shot all-class new accuracy " + zeroShotNew + ": the benchmark lost its signal");
    assertTrue(
        candleNew < 0.1 * zeroShotNew,
        "reference Candle all-class new accuracy "
            + candleNew
            + " vs zero-shot "
            + zeroShotNew
            + ": no collapse");
    // within the new split the same model does recognise new classes: the failure is the ranking
    // of new against base classes (CLIP's modality gap), not the virtual prototypes themselves
    assertTrue(candleSplitNew > 0.5 * zeroShotNew, "within-split new accuracy " + candleSplitNew);
    // the service's default (adaptive) is zero-shot plus corrections: it predicts new classes among
    // all classes as zero-shot does, and is not below zero-shot's HM, all-class or within split
    double adaptiveNew = json.at("/candle/all/new").asDouble();
    assertTrue(
        adaptiveNew >= 0.9 * zeroShotNew,
        "adaptive all-class new accuracy " + adaptiveNew + " vs zero-shot " + zeroShotNew);
    double adaptiveSplitHm = json.at("/candle/split/hm").asDouble();
    double zeroShotSplitHm = json.at("/zero_shot/split/hm").asDouble();
    assertTrue(
        adaptiveSplitHm >= zeroShotSplitHm,
        "adaptive within-split HM " + adaptiveSplitHm + " vs zero-shot " + zeroShotSplitHm);
    double adaptiveHm = json.at("/candle/all/hm").asDouble();
    double zeroShotHm = json.at("/zero_shot/all/hm").asDouble();
    assertTrue(
        adaptiveHm >= zeroShotHm - 0.003,
        "adaptive all-class HM " + adaptiveHm + " vs zero-shot " + zeroShotHm);
    assertEquals("adaptive", json.at("/candle/hyper_parameters/mode").asText());
    assertEquals("reference", json.at("/reference/hyper_parameters/mode").asText());
  }
}
