package ai.candle.streams.encode;

import ai.candle.clip.ClipImageEncoder;
import ai.candle.clip.ClipTextEncoder;
import ai.candle.clip.EncoderBusyException;
import ai.candle.clip.EncoderLoadException;
import ai.candle.clip.UnreadableImageException;
import ai.candle.streams.config.EncoderConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The CLIP encoders of an {@link EncoderConfig} (clip-encoders' DJL encoders), as the topologies'
 * {@link Encoders}; closes them.
 *
 * <p>Images: every stream thread hands its image to the shared {@link ClipImageEncoder}, which
 * batches what all threads queued, and waits for the feature at most {@code encoder.deadline.ms}
 * and within the thread's {@link WaitBudget} (an eighth of {@code max.poll.interval.ms} in each
 * quarter of it). An image not encoded in that time is dead-lettered {@code encoder_busy}; one that
 * does not decode, or is over {@code encoder.max.pixels} or {@code encoder.max.aspect.ratio},
 * {@code image_decode}; one the encoder fails on (its model throws, an {@code Error} such as {@code
 * OutOfMemoryError}: {@code EncoderFailedException}, passed on to validation's {@code
 * ImageFeatures}) {@code encoder_failed}.
 *
 * <p>Text: the prompt's feature; for a class whose prompt is the configured template's, the
 * ensemble of {@code encoder.text.templates} when set.
 */
public final class ClipEncoders implements AutoCloseable {

  private final Optional<ClipImageEncoder> image;
  private final Optional<ClipTextEncoder> text;
  private final Encoders encoders;

  private ClipEncoders(
      EncoderConfig config, Optional<ClipImageEncoder> image, Optional<ClipTextEncoder> text) {
    this.image = image;
    this.text = text;
    WaitBudget budget =
        new WaitBudget(
            TimeUnit.MILLISECONDS.toNanos(config.budgetWindowMs()),
            TimeUnit.MILLISECONDS.toNanos(config.waitBudgetMs()),
            System::nanoTime);
    this.encoders =
        new Encoders(
            image.map(
                e ->
                    new Images(
                        e,
                        Duration.ofMillis(config.deadlineMs()),
                        budget,
                        new ImageFetcher(config.uri()))),
            text.map(e -> new Texts(e, config.textTemplates())));
  }

  /**
   * Loads the configured encoders (none: {@link Encoders#none()}) and checks that their features
   * are {@code featureWidth} wide.
   *
   * @throws EncoderLoadException a model cannot be loaded (the message says why and what to do), or
   *     its features are not {@code featureWidth} wide
   */
  public static ClipEncoders load(EncoderConfig config, int featureWidth)
      throws EncoderLoadException {
    Optional<ClipImageEncoder> image = Optional.empty();
    try {
      if (config.imagePath().isPresent()) {
        image =
            Optional.of(
                ClipImageEncoder.load(config.imagePath().get(), config.engine(), config.image()));
        requireWidth("encoder.image.path", image.get().dimension(), featureWidth);
      }
      Optional<ClipTextEncoder> text = Optional.empty();
      if (config.textPath().isPresent()) {
        text = Optional.of(ClipTextEncoder.load(config.textPath().get(), config.engine()));
        try {
          requireWidth("encoder.text.path", text.get().dimension(), featureWidth);
        } catch (EncoderLoadException e) {
          text.get().close();
          throw e;
        }
      }
      return new ClipEncoders(config, image, text);
    } catch (EncoderLoadException | RuntimeException e) {
      image.ifPresent(ClipImageEncoder::close);
      throw e;
    }
  }

  private static void requireWidth(String key, int dimension, int featureWidth)
      throws EncoderLoadException {
    if (dimension != featureWidth) {
      throw new EncoderLoadException(
          key
              + ": the model gives features of width D = "
              + dimension
              + " but feature.width = "
              + featureWidth
              + "; set feature.width to "
              + dimension
              + " (the trainer's and the scorer's features must be as wide) or use the CLIP model"
              + " whose D is "
              + featureWidth,
          new IllegalArgumentException("D = " + dimension));
    }
  }

  /** The encoders for the ingest and the scoring topology. */
  public Encoders encoders() {
    return encoders;
  }

  @Override
  public void close() {
    image.ifPresent(ClipImageEncoder::close);
    text.ifPresent(ClipTextEncoder::close);
  }

  /**
   * Image bytes through the shared batched encoder, each thread within its deadline and budget;
   * image URIs fetched first, the fetch within the same budget (it holds the stream thread too).
   */
  static final class Images implements ImageEncoder {

    private final ClipImageEncoder encoder;
    private final Duration deadline;
    private final WaitBudget budget;
    private final ImageFetcher fetcher;

    Images(ClipImageEncoder encoder, Duration deadline, WaitBudget budget, ImageFetcher fetcher) {
      this.encoder = encoder;
      this.deadline = deadline;
      this.budget = budget;
      this.fetcher = fetcher;
    }

    @Override
    public float[] encodeUri(String uri)
        throws ImageDecodeException, ImageEncoderBusyException, ImageFetchException {
      long allowance = budget.allowance(deadline.toNanos());
      if (allowance == 0) {
        throw busy();
      }
      long start = budget.now();
      byte[] image;
      try {
        image = fetcher.fetch(uri, Duration.ofNanos(allowance));
      } finally {
        budget.spend(budget.now() - start);
      }
      return encode(image);
    }

    private ImageEncoderBusyException busy() {
      return new ImageEncoderBusyException(
          "this stream thread has waited "
              + TimeUnit.NANOSECONDS.toMillis(budget.budgetNanos())
              + " ms for the image encoder"
              + " within the last "
              + TimeUnit.NANOSECONDS.toMillis(budget.windowNanos())
              + " ms, its budget (max.poll.interval.ms / 8 in each quarter of it)",
          null);
    }

    @Override
    public float[] encode(byte[] image) throws ImageDecodeException, ImageEncoderBusyException {
      long allowance = budget.allowance(deadline.toNanos());
      if (allowance == 0) {
        throw busy();
      }
      long start = budget.now();
      try {
        return encoder.encode(image, Duration.ofNanos(allowance));
      } catch (UnreadableImageException e) {
        throw new ImageDecodeException(e.getMessage(), e);
      } catch (EncoderBusyException e) {
        throw new ImageEncoderBusyException(e.getMessage(), e);
      } finally {
        budget.spend(budget.now() - start);
      }
    }
  }

  /** Prompts through the text encoder; class names through the ensemble when there is one. */
  static final class Texts implements TextEncoder {

    private final ClipTextEncoder encoder;
    private final List<String> templates;

    Texts(ClipTextEncoder encoder, List<String> templates) {
      this.encoder = encoder;
      this.templates = List.copyOf(templates);
    }

    @Override
    public float[] encode(String prompt) {
      return encoder.encode(prompt);
    }

    @Override
    public float[] encodeClassName(String className, String templatePrompt) {
      return templates.isEmpty()
          ? encode(templatePrompt)
          : encoder.encodeEnsemble(className, templates);
    }
  }
}
