package ai.candle.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayeredSettingsTest {
  static final LayeredSettings SETTINGS =
      new LayeredSettings(
          List.of("a.b", "c"), Map.of("a.b", "1", "c", "x"), "kafka.", "--kafka-config");

  @Test
  void laterLayersWin(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("t.properties");
    Files.writeString(file, "a.b=2\nc=file\nkafka.security.protocol=SSL\n");
    Map<String, String> s =
        SETTINGS.load(
            List.of("--config", file.toString(), "--c=flag", "--kafka-config", "acks=all"),
            Map.of("CANDLE_A_B", "3", "CANDLE_C", "env"));
    assertEquals("3", s.get("a.b"));
    assertEquals("flag", s.get("c"));
    assertEquals(Map.of("security.protocol", "SSL", "acks", "all"), SETTINGS.passThrough(s));
    assertEquals("1", SETTINGS.load(List.of(), Map.of()).get("a.b"));
  }

  @Test
  void mistakesAreNamed(@TempDir Path dir) throws Exception {
    IllegalArgumentException flag =
        assertThrows(
            IllegalArgumentException.class, () -> SETTINGS.load(List.of("--nope", "1"), Map.of()));
    assertTrue(
        flag.getMessage().contains("--nope") && flag.getMessage().contains("--a-b"),
        flag.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SETTINGS.load(List.of("--c"), Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> SETTINGS.load(List.of("--kafka-config", "x"), Map.of()));
    Path file = dir.resolve("bad.properties");
    Files.writeString(file, "typo=1\n");
    IllegalArgumentException key =
        assertThrows(
            IllegalArgumentException.class,
            () -> SETTINGS.load(List.of(), Map.of("CANDLE_CONFIG", file.toString())));
    assertTrue(key.getMessage().contains("typo"), key.getMessage());
    assertTrue(
        key.getMessage().contains("kafka.*") && key.getMessage().contains("--kafka-config"),
        "the message names the pass-through: " + key.getMessage());
    IllegalArgumentException number =
        assertThrows(
            IllegalArgumentException.class, () -> LayeredSettings.intOf(Map.of("a.b", "x"), "a.b"));
    assertTrue(number.getMessage().contains("a.b"), number.getMessage());
  }

  @Test
  void anotherPassThroughPrefixAndFlagWorkTheSameWay(@TempDir Path dir) throws Exception {
    LayeredSettings streams =
        new LayeredSettings(List.of("a.b"), Map.of("a.b", "1"), "streams.", "--streams-config");
    Path file = dir.resolve("s.properties");
    Files.writeString(file, "streams.commit.interval.ms=50\nstreams.num.stream.threads=1\n");
    Map<String, String> s =
        streams.load(
            List.of("--config=" + file, "--streams-config=num.stream.threads=4", "--a-b", "2"),
            Map.of());
    assertEquals("2", s.get("a.b"));
    assertEquals(
        Map.of("commit.interval.ms", "50", "num.stream.threads", "4"),
        streams.passThrough(s),
        "the flag wins over the file");
    assertThrows(
        IllegalArgumentException.class,
        () -> streams.load(List.of("--kafka-config", "a=b"), Map.of()),
        "another service's pass-through flag is unknown");
    Files.writeString(file, "kafka.acks=all\n");
    assertThrows(
        IllegalArgumentException.class,
        () -> streams.load(List.of("--config", file.toString()), Map.of()),
        "and so is its file prefix");
  }

  @Test
  void helpListsEverySettingWithItsDefaultAndNoLoadedValue() {
    String help = SETTINGS.help("svc", "A service.");
    assertTrue(help.startsWith("Usage: svc"), help);
    for (String text : List.of("a.b", "CANDLE_A_B", "--a-b", "--kafka-config", "CANDLE_CONFIG")) {
      assertTrue(help.contains(text), text + " in:\n" + help);
    }
    assertTrue(LayeredSettings.wantsHelp(List.of("--x", "1", "--help")));
    assertTrue(!LayeredSettings.wantsHelp(List.of("--x", "1")));
  }
}
