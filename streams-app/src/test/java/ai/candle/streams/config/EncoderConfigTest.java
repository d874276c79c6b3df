package ai.candle.streams.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.candle.clip.EncoderEngine;
import ai.candle.clip.ImageEncoderOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EncoderConfigTest {

  @Test
  void noEncoderByDefault() {
    EncoderConfig config = EncoderConfig.defaults();
    assertFalse(config.any());
    assertEquals(
        new EncoderConfig(
            Optional.empty(),
            Optional.empty(),
            EncoderEngine.PYTORCH,
            List.of(),
            ImageEncoderOptions.defaults(),
            new ImageFetchOptions(Set.of(), Optional.empty(), 16L << 20, Duration.ofSeconds(5)),
            10_000,
            300_000),
        config);
    assertEquals(100, config.image().maxAspectRatio());
    assertEquals(37_500, config.waitBudgetMs());
    assertEquals(75_000, config.budgetWindowMs());
  }

  @Test
  void settingsComeFromFlagsEnvironmentAndTheOtherLayers() {
    EncoderConfig config =
        EncoderConfig.load(
            List.of(
                "--encoder-image-path",
                "/m/image.onnx",
                "--encoder-engine",
                "onnxruntime",
                "--encoder-max-pixels",
                "1000000",
                "--encoder-batch-size",
                "8",
                "--encoder-text-templates",
                "a photo of a {}.|itap of a {}.",
                "--encoder-uri-schemes",
                "HTTPS, file",
                "--encoder-uri-file-root",
                "/srv/images",
                "--encoder-uri-max-bytes",
                "1000000",
                "--encoder-uri-timeout-ms",
                "1500"),
            Map.of(
                "CANDLE_ENCODER_TEXT_PATH",
                "/m/text.onnx",
                "CANDLE_ENCODER_WORKERS",
                "2",
                "CANDLE_ENCODER_QUEUE_CAPACITY",
                "32",
                "CANDLE_ENCODER_DEADLINE_MS",
                "2000",
                "CANDLE_ENCODER_MAX_ASPECT_RATIO",
                "20"));
    assertEquals(
        new EncoderConfig(
            Optional.of(Path.of("/m/image.onnx")),
            Optional.of(Path.of("/m/text.onnx")),
            EncoderEngine.ONNXRUNTIME,
            List.of("a photo of a {}.", "itap of a {}."),
            new ImageEncoderOptions(1_000_000, 20, 8, 32, 2),
            new ImageFetchOptions(
                Set.of("https", "file"),
                Optional.of(Path.of("/srv/images")),
                1_000_000,
                Duration.ofMillis(1500)),
            2000,
            300_000),
        config);
    assertEquals(
        "encoder settings: file: image URIs need a folder they must lie in (encoder.uri.file.root)",
        assertThrows(
                IllegalArgumentException.class,
                () -> EncoderConfig.load(List.of("--encoder-uri-schemes", "file"), Map.of()))
            .getMessage());
    assertEquals(
        "encoder settings: image URI scheme 'ftp' is not one of http, https, file",
        assertThrows(
                IllegalArgumentException.class,
                () -> EncoderConfig.load(List.of("--encoder-uri-schemes", "http,ftp"), Map.of()))
            .getMessage());
    // the other configs read the same layers and ignore these keys
    assertEquals(
        IngestConfig.defaults().featureWidth(),
        IngestConfig.load(List.of("--encoder-engine", "tensorrt"), Map.of()).featureWidth());
  }

  @Test
  void theDeadlineMustLeaveTheStreamThreadsTheirPollInterval() {
    assertEquals(
        "encoder.deadline.ms (10000) must be at most an eighth of max.poll.interval.ms"
            + " (60000), so that waiting for the image encoder never makes a stream thread miss its"
            + " poll",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    EncoderConfig.load(
                        List.of("--streams-config", "max.poll.interval.ms=60000"), Map.of()))
            .getMessage());
    EncoderConfig config =
        EncoderConfig.load(
            List.of(
                "--streams-config",
                "main.consumer.max.poll.interval.ms=80000",
                "--encoder-deadline-ms",
                "10000"),
            Map.of());
    assertEquals(80_000, config.maxPollIntervalMs());
    assertThrows(
        IllegalArgumentException.class,
        () -> EncoderConfig.load(List.of("--encoder-deadline-ms", "0"), Map.of()));
  }

  @Test
  void badValuesNameTheirSetting() {
    assertEquals(
        "encoder.engine must be one of [pytorch, onnxruntime, tensorrt], got tf",
        assertThrows(
                IllegalArgumentException.class,
                () -> EncoderConfig.load(List.of("--encoder-engine", "tf"), Map.of()))
            .getMessage());
    assertEquals(
        "encoder.batch.size must be positive, got 0",
        assertThrows(
                IllegalArgumentException.class,
                () -> EncoderConfig.load(List.of("--encoder-batch-size", "0"), Map.of()))
            .getMessage());
    assertEquals(
        "encoder.max.aspect.ratio must be positive, got 0",
        assertThrows(
                IllegalArgumentException.class,
                () -> EncoderConfig.load(List.of("--encoder-max-aspect-ratio", "0"), Map.of()))
            .getMessage());
    assertEquals(
        "encoder settings: maxAspectRatio must be between 1 and 9586980, got 9586981",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    EncoderConfig.load(List.of("--encoder-max-aspect-ratio", "9586981"), Map.of()))
            .getMessage());
    assertEquals(
        "encoder.max.aspect.ratio must be an integer, got '2.5'",
        assertThrows(
                IllegalArgumentException.class,
                () -> EncoderConfig.load(List.of("--encoder-max-aspect-ratio", "2.5"), Map.of()))
            .getMessage());
    assertEquals(
        "a prompt template must contain '{}' where the class name goes, got: a photo",
        assertThrows(
                IllegalArgumentException.class,
                () -> EncoderConfig.load(List.of("--encoder-text-templates", "a photo"), Map.of()))
            .getMessage());
  }
}
