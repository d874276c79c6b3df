package ai.candle.clip;

/**
 * How a {@link ClipImageEncoder} works off its callers' threads.
 *
 * @param maxPixels the largest width × height of an image accepted; larger ones are refused
 *     from their header, before decoding
 * @param batchSize the most images run through the model at once
 * @param queueCapacity the most images waiting (not yet in a batch); a full queue makes
 *     {@link ClipImageEncoder#submit} fail at once and {@link ClipImageEncoder#encode} wait
 * @param workers threads that decode, preprocess and run batches, each with its own predictor
 */
public record ImageEncoderOptions(long maxPixels, int batchSize, int queueCapacity, int workers) {

  /** 25 megapixels (a 6000 × 4000 photo): about 75 MB decoded. */
  public static final long DEFAULT_MAX_PIXELS = 25_000_000L;

  public ImageEncoderOptions {
    positive(maxPixels, "maxPixels");
    positive(batchSize, "batchSize");
    positive(queueCapacity, "queueCapacity");
    positive(workers, "workers");
  }

  /** 25 megapixels, batches of up to 16, 64 waiting, one worker. */
  public static ImageEncoderOptions defaults() {
    return new ImageEncoderOptions(DEFAULT_MAX_PIXELS, 16, 64, 1);
  }

  public ImageEncoderOptions withMaxPixels(long value) {
    return new ImageEncoderOptions(value, batchSize, queueCapacity, workers);
  }

  public ImageEncoderOptions withBatchSize(int value) {
    return new ImageEncoderOptions(maxPixels, value, queueCapacity, workers);
  }

  public ImageEncoderOptions withQueueCapacity(int value) {
    return new ImageEncoderOptions(maxPixels, batchSize, value, workers);
  }

  public ImageEncoderOptions withWorkers(int value) {
    return new ImageEncoderOptions(maxPixels, batchSize, queueCapacity, value);
  }

  private static void positive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }
}
