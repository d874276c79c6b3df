package ai.candle.streams.config;

import ai.candle.clip.EncoderEngine;
import ai.candle.clip.ImageEncoderOptions;
import ai.candle.clip.PromptTemplates;
import ai.candle.service.Setting;
import ai.candle.service.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which CLIP encoders the app runs, declared once below ({@link #SETTINGS}) and loaded with
 * ingest's in the same layers ({@link ConfigLayers}). None by default: features come precomputed.
 *
 * @param imagePath the CLIP image encoder's model file (TorchScript for pytorch, ONNX else)
 * @param textPath the CLIP text encoder's model file
 * @param engine the DJL engine of both
 * @param textTemplates a prompt ensemble for classes without a prompt of their own (empty: none)
 * @param image how images are encoded (pixel and aspect-ratio limits, batches, queue, workers)
 * @param uri which image URIs are fetched, within what limits
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
    ImageFetchOptions uri,
    int deadlineMs,
    int maxPollIntervalMs) {

  static final Setting<String> IMAGE_PATH =
      Setting.optionalText(
          "encoder.image.path",
          "The CLIP image encoder's model file (TorchScript for pytorch, ONNX otherwise); empty: none.");
  static final Setting<String> TEXT_PATH =
      Setting.optionalText("encoder.text.path", "The CLIP text encoder's model file; empty: none.");
  static final Setting<String> ENGINE =
      Setting.choice(
          "encoder.engine",
          EncoderEngine.PYTORCH.setting(),
          "The DJL engine of both encoders.",
          "pytorch",
          "onnxruntime",
          "tensorrt");
  static final Setting<String> TEXT_TEMPLATES =
      Setting.optionalText(
          "encoder.text.templates",
          "A prompt ensemble for classes without a prompt of their own, templates separated by |; empty: none.");
  static final Setting<Long> MAX_PIXELS =
      Setting.positiveLong(
          "encoder.max.pixels",
          ImageEncoderOptions.defaults().maxPixels(),
          "The most pixels (width × height) an image may declare.");
  static final Setting<Integer> MAX_ASPECT_RATIO =
      Setting.positiveInt(
          "encoder.max.aspect.ratio",
          ImageEncoderOptions.defaults().maxAspectRatio(),
          "The most an image's long side may exceed its short side, as" + " a ratio.");
  static final Setting<Integer> BATCH_SIZE =
      Setting.positiveInt(
          "encoder.batch.size",
          ImageEncoderOptions.defaults().batchSize(),
          "Images per batch of the image encoder.");
  static final Setting<Integer> QUEUE_CAPACITY =
      Setting.positiveInt(
          "encoder.queue.capacity",
          ImageEncoderOptions.defaults().queueCapacity(),
          "Images waiting for the image encoder at most; more are"
              + " dead-lettered encoder_busy.");
  static final Setting<Integer> WORKERS =
      Setting.positiveInt(
          "encoder.workers",
          ImageEncoderOptions.defaults().workers(),
          "Threads running the image encoder.");
  static final Setting<Integer> DEADLINE_MS =
      Setting.positiveInt(
          "encoder.deadline.ms",
          10_000,
          "The longest one image may hold a stream thread; past it, it is dead-lettered encoder_busy.");

  static final Setting<String> URI_SCHEMES =
      Setting.optionalText(
          "encoder.uri.schemes",
          "The imageUri schemes fetched, comma-separated, among http, https, file (file needs encoder.uri.file.root);"
              + " others are dead-lettered image_uri. Empty (the default): no URI is fetched, since a fetch goes where"
              + " the producer points it (allow http(s) only where the app's network reaches nothing it should not).");
  static final Setting<String> URI_FILE_ROOT =
      Setting.optionalText(
          "encoder.uri.file.root",
          "The folder file: image URIs must lie in (after resolving links); empty: none.");
  static final Setting<Long> URI_MAX_BYTES =
      Setting.positiveLong(
          "encoder.uri.max.bytes",
          16L << 20,
          "The largest image fetched from an imageUri, in bytes; a larger one is dead-lettered too_large.");
  static final Setting<Integer> URI_TIMEOUT_MS =
      Setting.positiveInt(
          "encoder.uri.timeout.ms",
          5_000,
          "The longest one imageUri fetch may take, body included (and no longer than encoder.deadline.ms and the"
              + " stream thread's wait budget allow); a slower one is dead-lettered image_uri.");

  /** Every encoder setting, in the order the documents list them. */
  static final List<Setting<?>> SETTINGS =
      List.of(
          IMAGE_PATH,
          TEXT_PATH,
          ENGINE,
          TEXT_TEMPLATES,
          MAX_PIXELS,
          MAX_ASPECT_RATIO,
          BATCH_SIZE,
          QUEUE_CAPACITY,
          WORKERS,
          DEADLINE_MS,
          URI_SCHEMES,
          URI_FILE_ROOT,
          URI_MAX_BYTES,
          URI_TIMEOUT_MS);

  /** Kafka's consumer default. */
  static final int DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;

  private static final List<String> MAX_POLL_KEYS =
      List.of(
          "max.poll.interval.ms",
          "consumer.max.poll.interval.ms",
          "main.consumer.max.poll.interval.ms");

  public EncoderConfig {
    textTemplates = List.copyOf(textTemplates);
    if (deadlineMs <= 0) {
      throw new IllegalArgumentException("encoder.deadline.ms must be positive, got " + deadlineMs);
    }
    if (deadlineMs > maxPollIntervalMs / 8) {
      throw new IllegalArgumentException(
          "encoder.deadline.ms ("
              + deadlineMs
              + ") must be at"
              + " most an eighth of max.poll.interval.ms ("
              + maxPollIntervalMs
              + "), so that"
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
    return from(ConfigLayers.load(args, env));
  }

  /** Whether any encoder is configured. */
  public boolean any() {
    return imagePath.isPresent() || textPath.isPresent();
  }

  /**
   * How long a stream thread may wait for the image encoder within a {@link #budgetWindowMs}, in
   * all: an eighth of the poll interval. Kafka Streams polls again once half of the interval has
   * passed since its last poll, a check it makes between batches of records; the waits of one such
   * batch fall in at most two windows, so they add at most a quarter of the interval.
   */
  public long waitBudgetMs() {
    return maxPollIntervalMs / 8;
  }

  /** The window of {@link #waitBudgetMs}: a quarter of the poll interval. */
  public long budgetWindowMs() {
    return maxPollIntervalMs / 4;
  }

  static EncoderConfig from(Settings s) {
    ImageEncoderOptions image;
    ImageFetchOptions uri;
    EncoderEngine engine;
    try {
      image =
          new ImageEncoderOptions(
              s.get(MAX_PIXELS),
              s.get(MAX_ASPECT_RATIO),
              s.get(BATCH_SIZE),
              s.get(QUEUE_CAPACITY),
              s.get(WORKERS));
      uri =
          new ImageFetchOptions(
              schemes(s.get(URI_SCHEMES)),
              path(s.get(URI_FILE_ROOT)),
              s.get(URI_MAX_BYTES),
              Duration.ofMillis(s.get(URI_TIMEOUT_MS)));
      engine = EncoderEngine.parse(s.get(ENGINE));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("encoder settings: " + e.getMessage(), e);
    }
    String templates = s.get(TEXT_TEMPLATES);
    return new EncoderConfig(
        path(s.get(IMAGE_PATH)),
        path(s.get(TEXT_PATH)),
        engine,
        templates.isBlank() ? List.of() : PromptTemplates.parse(templates),
        image,
        uri,
        s.get(DEADLINE_MS),
        maxPollIntervalMs(s.passThrough()));
  }

  private static Set<String> schemes(String value) {
    Set<String> out = new LinkedHashSet<>();
    if (value == null) {
      return out;
    }
    for (String part : value.split(",")) {
      if (!part.isBlank()) {
        out.add(part.strip().toLowerCase(Locale.ROOT));
      }
    }
    return out;
  }

  private static Optional<Path> path(String value) {
    return value == null || value.isBlank()
        ? Optional.empty()
        : Optional.of(Path.of(value.strip()));
  }

  private static int maxPollIntervalMs(Map<String, String> overrides) {
    int value = DEFAULT_MAX_POLL_INTERVAL_MS;
    for (String key : MAX_POLL_KEYS) { // the more specific prefix wins, as in Kafka Streams
      if (overrides.containsKey(key)) {
        try {
          value = Integer.parseInt(overrides.get(key).trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              key + " must be an integer, got '" + overrides.get(key) + "'", e);
        }
      }
    }
    return value;
  }
}
