package ai.candle.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The text encoder on both CPU engines against make_fixtures.py's ids and features, to 1e-4. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClipTextEncoderTest {

  private ClipTextEncoder torch;
  private ClipTextEncoder onnx;
  private List<String> prompts;

  @BeforeAll
  void load() throws Exception {
    torch = ClipTextEncoder.load(Fixtures.textModel(EncoderEngine.PYTORCH), EncoderEngine.PYTORCH);
    onnx =
        ClipTextEncoder.load(
            Fixtures.textModel(EncoderEngine.ONNXRUNTIME), EncoderEngine.ONNXRUNTIME);
    prompts = Fixtures.lines("prompts.txt").stream().filter(s -> !s.isEmpty()).toList();
  }

  @AfterAll
  void close() {
    torch.close();
    onnx.close();
  }

  private ClipTextEncoder encoder(EncoderEngine engine) {
    return engine == EncoderEngine.PYTORCH ? torch : onnx;
  }

  @Test
  void theTokenizerGivesTheScriptsRowsTruncatingTheLongPrompt() {
    long[][] ids = Fixtures.Npy.read("text_ids.npy").longRows();
    ClipTokenizer tokenizer = ClipTokenizer.load();
    for (int p = 0; p < prompts.size(); p++) {
      int[] row = tokenizer.tokenize(prompts.get(p), 77, true);
      long[] actual = java.util.Arrays.stream(row).asLongStream().toArray();
      assertArrayEquals(ids[p], actual, prompts.get(p));
    }
    assertEquals(49407, ids[prompts.size() - 1][76], "the long prompt ends in <|endoftext|>");
  }

  @ParameterizedTest
  @EnumSource(
      value = EncoderEngine.class,
      names = {"PYTORCH", "ONNXRUNTIME"})
  void promptsGiveTheScriptsFeatures(EncoderEngine engine) {
    float[][] expected = Fixtures.Npy.read("text_features.npy").floatRows();
    float[][] batch = encoder(engine).encode(prompts);
    assertEquals(Fixtures.D, encoder(engine).dimension());
    for (int p = 0; p < prompts.size(); p++) {
      double diff = Fixtures.maxAbsDiff(expected[p], batch[p]);
      System.out.printf("TEXT %s prompt %d: max abs difference %.2e%n", engine, p, diff);
      assertTrue(diff <= Fixtures.FEATURE_TOLERANCE, "prompt " + p + " on " + engine + ": " + diff);
      assertArrayEquals(batch[p], encoder(engine).encode(prompts.get(p)), 1e-5f);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = EncoderEngine.class,
      names = {"PYTORCH", "ONNXRUNTIME"})
  void anEnsembleIsTheNormalisedMeanOfNormalisedFeatures(EncoderEngine engine) {
    List<String> lines = Fixtures.lines("ensemble.txt");
    int blank = lines.indexOf("");
    List<String> classes = lines.subList(0, blank);
    List<String> templates =
        lines.subList(blank + 1, lines.size()).stream().filter(s -> !s.isEmpty()).toList();
    float[][] expected = Fixtures.Npy.read("ensemble_features.npy").floatRows();
    for (int c = 0; c < classes.size(); c++) {
      float[] actual = encoder(engine).encodeEnsemble(classes.get(c), templates);
      double diff = Fixtures.maxAbsDiff(expected[c], actual);
      System.out.printf("ENSEMBLE %s %s: max abs difference %.2e%n", engine, classes.get(c), diff);
      assertTrue(diff <= Fixtures.FEATURE_TOLERANCE, classes.get(c) + ": " + diff);
      assertEquals(1.0, norm(actual), 1e-6);
    }
  }

  @Test
  void anEnsembleOfOneTemplateIsThatPromptsFeatureNormalised() {
    float[] single = torch.encode("a photo of a great white shark.");
    float[] ensemble = torch.encodeEnsemble("great_white_shark", List.of("a photo of a {}."));
    double norm = norm(single);
    for (int i = 0; i < single.length; i++) {
      assertEquals(single[i] / norm, ensemble[i], 1e-6);
    }
  }

  @Test
  void templatesAreParsedAndChecked() {
    assertEquals(
        List.of("a photo of a {}.", "itap of a {}."),
        PromptTemplates.parse(" a photo of a {}. | |itap of a {}."));
    assertEquals(
        "a photo of a great white shark.",
        PromptTemplates.fill(PromptTemplates.DEFAULT_TEMPLATE, "great_white_shark"));
    assertEquals(
        "a prompt template must contain '{}' where the class name goes, got: a photo",
        assertThrows(IllegalArgumentException.class, () -> PromptTemplates.parse("a {}|a photo"))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> PromptTemplates.parse(" | "));
    assertThrows(
        IllegalArgumentException.class, () -> PromptTemplates.ensemble(new float[][] {{0f, 0f}}));
  }

  private static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += (double) x * x;
    }
    return Math.sqrt(s);
  }
}
