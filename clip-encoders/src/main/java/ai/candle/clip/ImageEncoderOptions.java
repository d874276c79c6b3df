package ai.candle.clip;

/**
 * How a {@link ClipImageEncoder} works off its callers' threads.
 *
 * @param maxPixels the largest width × height of an image accepted; larger ones are refused from
 *     their header, before decoding
 * @param maxAspectRatio the most times an image's long side may be its short side; thinner images
 *     are refused from their header, before decoding (CLIP resizes the short side to 224, so the
 *     long side becomes 224 × the ratio)
 * @param batchSize the most images run through the model at once
 * @param queueCapacity the most images waiting (not yet in a batch); a full queue makes {@link
 *     ClipImageEncoder#submit} fail at once and {@link ClipImageEncoder#encode} wait
 * @param workers threads that decode, preprocess and run batches, each with its own predictor
 */
public record ImageEncoderOptions(
    long maxPixels, int maxAspectRatio, int batchSize, int queueCapacity, int workers) {

  /** 25 megapixels (a 6000 × 4000 photo): about 75 MB decoded. */
  public static final long DEFAULT_MAX_PIXELS = 25_000_000L;

  /**
   * 100: a 20,000 × 200 banner passes, a 1 × 25,000,000 strip does not. CLIP's centre crop of an
   * image that long sees a hundredth of it.
   */
  public static final int DEFAULT_MAX_ASPECT_RATIO = 100;

  /**
   * The largest {@code maxAspectRatio} accepted: the resized long side, 224 × the ratio, must fit
   * an {@code int} (as PIL's sizes do).
   */
  public static final int MAX_ASPECT_RATIO_LIMIT = Integer.MAX_VALUE / ClipPreprocessing.SIZE;

  public ImageEncoderOptions {
    positive(maxPixels, "maxPixels");
    if (maxAspectRatio < 1 || maxAspectRatio > MAX_ASPECT_RATIO_LIMIT) {
      throw new IllegalArgumentException(
          "maxAspectRatio must be between 1 and "
              + MAX_ASPECT_RATIO_LIMIT
              + ", got "
              + maxAspectRatio);
    }
    positive(batchSize, "batchSize");
    positive(queueCapacity, "queueCapacity");
    positive(workers, "workers");
  }

  /** 25 megapixels, an aspect ratio of at most 100, batches of up to 16, 64 waiting, one worker. */
  public static ImageEncoderOptions defaults() {
    return new ImageEncoderOptions(DEFAULT_MAX_PIXELS, DEFAULT_MAX_ASPECT_RATIO, 16, 64, 1);
  }

  public ImageEncoderOptions withMaxPixels(long value) {
    return new ImageEncoderOptions(value, maxAspectRatio, batchSize, queueCapacity, workers);
  }

  public ImageEncoderOptions withMaxAspectRatio(int value) {
    return new ImageEncoderOptions(maxPixels, value, batchSize, queueCapacity, workers);
  }

  public ImageEncoderOptions withBatchSize(int value) {
    return new ImageEncoderOptions(maxPixels, maxAspectRatio, value, queueCapacity, workers);
  }

  public ImageEncoderOptions withQueueCapacity(int value) {
    return new ImageEncoderOptions(maxPixels, maxAspectRatio, batchSize, value, workers);
  }

  public ImageEncoderOptions withWorkers(int value) {
    return new ImageEncoderOptions(maxPixels, maxAspectRatio, batchSize, queueCapacity, value);
  }

  private static void positive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }
}
