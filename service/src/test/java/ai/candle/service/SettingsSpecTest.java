package ai.candle.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One declaration per setting: loading, validation, former names and the documents all come from
 * it.
 */
class SettingsSpecTest {
  static final Setting<Integer> WIDTH = Setting.positiveInt("feature.width", 512, "D.");
  static final Setting<Double> FRACTION =
      Setting.decimal("refit.fraction", 0.2, "A share.")
          .validate(v -> v > 0, "must be > 0")
          .validate(v -> v < 1, "must be < 1");
  static final Setting<String> HEAD = Setting.choice("fit.head", "auto", "Whether.", "auto", "off");
  static final Setting<Duration> EVERY = Setting.seconds("refit.interval.seconds", 600, "Timer.");
  static final Setting<String> WEIGHT =
      Setting.text("fit.prior.weight", "auto", "Renamed.").alias("fit.zero.shot.weight");
  static final SettingsSpec SPEC =
      new SettingsSpec(
          "Demo",
          "A demo service.",
          "kafka.",
          "--kafka-config",
          List.of(WIDTH, FRACTION, HEAD, EVERY, WEIGHT));

  @Test
  void defaultsFileEnvironmentAndFlagsInIncreasingPrecedence(@TempDir Path dir) throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("c.properties"), "feature.width=8\nrefit.fraction=0.5\nkafka.acks=1\n");
    Settings s =
        SPEC.load(
            List.of("--config", file.toString(), "--refit-fraction", "0.25"),
            Map.of("CANDLE_FEATURE_WIDTH", "16", "CANDLE_FIT_HEAD", "OFF"));
    assertEquals(16, s.get(WIDTH));
    assertEquals(0.25, s.get(FRACTION));
    assertEquals("off", s.get(HEAD), "case-insensitive choice");
    assertEquals(Duration.ofMinutes(10), s.get(EVERY));
    assertEquals(Map.of("acks", "1"), s.passThrough());
  }

  @Test
  void aValueThatIsNotValidNamesItsSettingAndTheConditionItFails() {
    assertMessage("feature.width must be positive, got 0", "--feature-width", "0");
    assertMessage("feature.width must be an integer, got 'wide'", "--feature-width", "wide");
    assertMessage("refit.fraction must be > 0, got -1", "--refit-fraction", "-1");
    assertMessage("refit.fraction must be < 1, got 2", "--refit-fraction", "2");
    assertMessage("fit.head must be one of [auto, off], got on", "--fit-head", "on");
    assertMessage(
        "refit.interval.seconds must be at least 1 second, got 0", "--refit-interval-seconds", "0");
    assertMessage("fit.prior.weight must not be empty", "--fit-prior-weight", " ");
    assertMessage("Unknown argument '--feature-widht'", "--feature-widht", "3");
  }

  private static void assertMessage(String expected, String... args) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SPEC.load(List.of(args), Map.of()));
    assertTrue(e.getMessage().startsWith(expected), e.getMessage());
  }

  @Test
  void aFormerNameIsStillReadWarnedAboutAndLosesToTheNewOne(@TempDir Path dir) throws Exception {
    Settings viaFlag = SPEC.load(List.of("--fit-zero-shot-weight", "7"), Map.of());
    assertEquals("7", viaFlag.get(WEIGHT));
    assertEquals(List.of("fit.zero.shot.weight → fit.prior.weight"), viaFlag.deprecated());
    assertEquals("8", SPEC.load(List.of(), Map.of("CANDLE_FIT_ZERO_SHOT_WEIGHT", "8")).get(WEIGHT));
    Path file = Files.writeString(dir.resolve("c.properties"), "fit.zero.shot.weight=9\n");
    assertEquals("9", SPEC.load(List.of("--config", file.toString()), Map.of()).get(WEIGHT));
    assertEquals(
        "1",
        SPEC.load(List.of("--fit-zero-shot-weight", "7", "--fit-prior-weight", "1"), Map.of())
            .get(WEIGHT),
        "the new name wins");
  }

  @Test
  void theDocumentsComeFromTheDeclarations() {
    String help = SPEC.help();
    assertTrue(
        help.contains("--feature-width integer  (feature.width, CANDLE_FEATURE_WIDTH)"), help);
    assertTrue(help.contains("D. It must be positive. Default: 512."), help);
    String md = SPEC.markdown();
    assertTrue(
        md.contains(
            "| `refit.fraction` | `CANDLE_REFIT_FRACTION` | `--refit-fraction` | number | `0.2` |"
                + " A share. It must be > 0; must be < 1. |"),
        md);
    assertTrue(md.contains("| auto\\|off |"), md);
    assertTrue(md.contains("Formerly `fit.zero.shot.weight` (still read, deprecated)."), md);
  }

  @Test
  void aNameIsDeclaredOnce() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new SettingsSpec(
                "X",
                "x",
                "k.",
                "--k",
                List.of(WIDTH, Setting.integer("feature.width", 3, "again"))));
  }
}
