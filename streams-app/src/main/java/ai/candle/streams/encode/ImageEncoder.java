package ai.candle.streams.encode;

/**
 * Turns an image into its CLIP image feature (e.g. the CLIP image encoder through DJL, {@link
 * ClipEncoders}).
 *
 * <p>Implementations must be thread-safe: every stream thread calls the same instance, and must
 * return (or give up) in time for the calling stream thread to keep its poll interval. An image
 * that does not decode is the record's fault and is dead-lettered {@code image_decode} ({@link
 * ImageDecodeException}); an image not encoded in time is dead-lettered {@code encoder_busy}
 * ({@link ImageEncoderBusyException}). Anything else, any other exception or {@code Error} (an
 * {@code OutOfMemoryError}), or a result of the wrong width or with non-finite values, is the
 * encoder's failure on that record: dead-lettered {@code encoder_failed}, and the app goes on
 * (stopped, it would meet the same record again when it restarts).
 */
public interface ImageEncoder {

  /**
   * @param image encoded image bytes (PNG, JPEG, ...)
   * @return the feature, of the configured width
   * @throws ImageDecodeException when the bytes are not an image this encoder can read
   * @throws ImageEncoderBusyException when the encoder could not encode it in time
   */
  float[] encode(byte[] image) throws ImageDecodeException, ImageEncoderBusyException;

  /**
   * Fetches and encodes an image given by URI ({@link ImageFetcher}). Encoders that do not fetch
   * refuse it ({@code image_uri}).
   *
   * @throws ImageFetchException when the image was not fetched (dead-lettered {@code image_uri}, or
   *     {@code too_large})
   */
  default float[] encodeUri(String uri)
      throws ImageDecodeException, ImageEncoderBusyException, ImageFetchException {
    throw new ImageFetchException(
        "this image encoder does not fetch image URIs (" + uri + "); send the image bytes instead");
  }
}
