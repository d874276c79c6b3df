package ai.candle.streams.config;

import ai.candle.clip.EncoderEngine;
import ai.candle.clip.ImageEncoderOptions;
import ai.candle.clip.PromptTemplates;
import ai.candle.schemas.LayeredSettings;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which CLIP encoders the app runs, loaded in the same layers as {@link IngestConfig} (defaults
 * &lt; file &lt; environment &lt; flags, see {@link ConfigLayers}). None by default: features come
 * precomputed.
 *
 * <pre>
 * property                  env                              flag                        default
 * encoder.image.path        CANDLE_ENCODER_IMAGE_PATH        --encoder-image-path        (none)
 * encoder.text.path         CANDLE_ENCODER_TEXT_PATH         --encoder-text-path         (none)
 * encoder.engine            CANDLE_ENCODER_ENGINE            --encoder-engine            pytorch (or onnxruntime, tensorrt)
 * encoder.text.templates    CANDLE_ENCODER_TEXT_TEMPLATES    --encoder-text-templates    (none) "a photo of a {}.|itap of a {}."
 * encoder.max.pixels        CANDLE_ENCODER_MAX_PIXELS        --encoder-max-pixels        25000000
 * encoder.max.aspect.ratio  CANDLE_ENCODER_MAX_ASPECT_RATIO  --encoder-max-aspect-ratio  100 (long side / short side)
 * encoder.batch.size        CANDLE_ENCODER_BATCH_SIZE        --encoder-batch-size        16
 * encoder.queue.capacity    CANDLE_ENCODER_QUEUE_CAPACITY    --encoder-queue-capacity    64
 * encoder.workers           CANDLE_ENCODER_WORKERS           --encoder-workers           1
 * encoder.deadline.ms       CANDLE_ENCODER_DEADLINE_MS       --encoder-deadline-ms       10000
 * </pre>
 *
 * @param imagePath the CLIP image encoder's model file (TorchScript for pytorch, ONNX else)
 * @param textPath the CLIP text encoder's model file
 * @param engine the DJL engine of both
 * @param textTemplates a prompt ensemble for classes without a prompt of their own (empty: none)
 * @param image how images are encoded (pixel and aspect-ratio limits, batches, queue, workers)
 * @param deadlineMs the longest one image may hold a stream thread; past it, it is dead-lettered
 *     {@code encoder_busy}; at most an eighth of {@code maxPollIntervalMs}
 * @param maxPollIntervalMs the consumers' {@code max.poll.interval.ms} (pass-through setting, else
 *     Kafka's 300000), which bounds how long a stream thread may wait for the encoder in all
 */
public record EncoderConfig(
    Optional<Path> imagePath,
    Optional<Path> textPath,
    EncoderEngine engine,
    List<String> textTemplates,
    ImageEncoderOptions image,
    int deadlineMs,
    int maxPollIntervalMs) {

  static final List<String> KEYS = List.of(
      "encoder.image.path", "encoder.text.path", "encoder.engine", "encoder.text.templates",
      "encoder.max.pixels", "encoder.max.aspect.ratio", "encoder.batch.size",
      "encoder.queue.capacity", "encoder.workers", "encoder.deadline.ms");

  /** Kafka's consumer default. */
  static final int DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;
  private static final List<String> MAX_POLL_KEYS = List.of(
      "max.poll.interval.ms", "consumer.max.poll.interval.ms",
      "main.consumer.max.poll.interval.ms");

  public EncoderConfig {
    textTemplates = List.copyOf(textTemplates);
    if (deadlineMs <= 0) {
      throw new IllegalArgumentException("encoder.deadline.ms must be positive, got " + deadlineMs);
    }
    if (deadlineMs > maxPollIntervalMs / 8) {
      throw new IllegalArgumentException("encoder.deadline.ms (" + deadlineMs + ") must be at"
          + " most an eighth of max.poll.interval.ms (" + maxPollIntervalMs + "), so that"
          + " waiting for the image encoder never makes a stream thread miss its poll");
    }
  }

  /** All defaults: no encoder. */
  public static EncoderConfig defaults() {
    return load(List.of(), Map.of());
  }

  /**
   * Loads the encoder settings from the same layers as {@link IngestConfig#load}.
   *
   * @throws IllegalArgumentException on an unknown flag, a missing value or an invalid setting
   */
  public static EncoderConfig load(List<String> args, Map<String, String> env) {
    return fromSettings(ConfigLayers.load(args, env));
  }

  /** Whether any encoder is configured. */
  public boolean any() {
    return imagePath.isPresent() || textPath.isPresent();
  }

  /**
   * How long a stream thread may wait for the image encoder within a {@link #budgetWindowMs},
   * in all: an eighth of the poll interval. Kafka Streams polls again once half of the interval
   * has passed since its last poll, a check it makes between batches of records; the waits of
   * one such batch fall in at most two windows, so they add at most a quarter of the interval.
   */
  public long waitBudgetMs() {
    return maxPollIntervalMs / 8;
  }

  /** The window of {@link #waitBudgetMs}: a quarter of the poll interval. */
  public long budgetWindowMs() {
    return maxPollIntervalMs / 4;
  }

  static Map<String, String> defaultSettings() {
    ImageEncoderOptions image = ImageEncoderOptions.defaults();
    Map<String, String> d = new HashMap<>();
    d.put("encoder.image.path", "");
    d.put("encoder.text.path", "");
    d.put("encoder.engine", EncoderEngine.PYTORCH.setting());
    d.put("encoder.text.templates", "");
    d.put("encoder.max.pixels", Long.toString(image.maxPixels()));
    d.put("encoder.max.aspect.ratio", Integer.toString(image.maxAspectRatio()));
    d.put("encoder.batch.size", Integer.toString(image.batchSize()));
    d.put("encoder.queue.capacity", Integer.toString(image.queueCapacity()));
    d.put("encoder.workers", Integer.toString(image.workers()));
    d.put("encoder.deadline.ms", "10000");
    return d;
  }

  static EncoderConfig fromSettings(Map<String, String> s) {
    Map<String, String> overrides = ConfigLayers.streamsOverrides(s);
    String templates = s.get("encoder.text.templates");
    ImageEncoderOptions image;
    EncoderEngine engine;
    try {
      image = new ImageEncoderOptions(LayeredSettings.longOf(s, "encoder.max.pixels"),
          LayeredSettings.intOf(s, "encoder.max.aspect.ratio"),
          LayeredSettings.intOf(s, "encoder.batch.size"),
          LayeredSettings.intOf(s, "encoder.queue.capacity"),
          LayeredSettings.intOf(s, "encoder.workers"));
      engine = EncoderEngine.parse(s.get("encoder.engine"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("encoder settings: " + e.getMessage(), e);
    }
    return new EncoderConfig(path(s.get("encoder.image.path")), path(s.get("encoder.text.path")),
        engine, templates.isBlank() ? List.of() : PromptTemplates.parse(templates), image,
        LayeredSettings.intOf(s, "encoder.deadline.ms"), maxPollIntervalMs(overrides));
  }

  private static Optional<Path> path(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(Path.of(value.strip()));
  }

  private static int maxPollIntervalMs(Map<String, String> overrides) {
    int value = DEFAULT_MAX_POLL_INTERVAL_MS;
    for (String key : MAX_POLL_KEYS) { // the more specific prefix wins, as in Kafka Streams
      if (overrides.containsKey(key)) {
        value = LayeredSettings.intOf(overrides, key);
      }
    }
    return value;
  }
}
