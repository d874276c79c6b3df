package ai.candle.streams.validation.internals;

import ai.candle.clip.EncoderFailedException;
import ai.candle.streams.encode.ImageDecodeException;
import ai.candle.streams.encode.ImageEncoder;
import ai.candle.streams.encode.ImageEncoderBusyException;
import ai.candle.streams.encode.ImageFetchException;
import ai.candle.streams.validation.RejectReason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The feature of an image record that carries exactly one of image bytes, an image URI or a
 * precomputed feature (labelled and unlabelled images alike): the feature as it is, checked, or the
 * image through the configured encoder.
 */
public final class ImageFeatures {

  static final String NO_ENCODER = "no image encoder configured";

  private ImageFeatures() {}

  /**
   * @throws InvalidRecordException not exactly one source ({@code image_feature_choice}), a feature
   *     of the wrong width or with a non-finite value, an image without an encoder ({@code
   *     no_encoder}), an image URI not fetched ({@code image_uri}, or {@code too_large}), one the
   *     encoder cannot decode ({@code image_decode}), one it could not encode in time ({@code
   *     encoder_busy}), or one it failed on: it threw anything else, an {@code Error} included, or
   *     its feature is invalid ({@code encoder_failed})
   */
  public static List<Float> of(
      ByteBuffer imageBytes,
      String imageUri,
      List<Float> feature,
      Optional<ImageEncoder> encoder,
      int width)
      throws InvalidRecordException {
    exactlyOneSource(imageBytes, imageUri, feature);
    if (feature != null) {
      Checks.feature("feature", feature, width);
      return feature;
    }
    ImageEncoder imageEncoder =
        encoder.orElseThrow(() -> new InvalidRecordException(RejectReason.NO_ENCODER, NO_ENCODER));
    float[] encoded;
    try {
      encoded =
          imageBytes != null
              ? imageEncoder.encode(bytes(imageBytes))
              : imageEncoder.encodeUri(imageUri);
    } catch (ImageDecodeException e) {
      throw new InvalidRecordException(
          RejectReason.IMAGE_DECODE, "image does not decode: " + e.getMessage(), e);
    } catch (ImageFetchException e) {
      throw new InvalidRecordException(
          e.tooLarge() ? RejectReason.TOO_LARGE : RejectReason.IMAGE_URI, e.getMessage(), e);
    } catch (ImageEncoderBusyException e) {
      throw new InvalidRecordException(
          RejectReason.ENCODER_BUSY, "image encoder busy: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      // The encoder failed on this record: its model threw, or an Error was thrown
      // (ClipImageEncoder hands an OutOfMemoryError of its worker over as an
      // EncoderFailedException). Thrown on, it would stop the stream thread, and the client;
      // restarted, the app would read the same record and fail again. The record is
      // dead-lettered instead, and the next one goes on.
      throw new InvalidRecordException(
          RejectReason.ENCODER_FAILED, "image encoder failed: " + failure(e), e);
    }
    return Checks.imageEncoderOutput(encoded, width);
  }

  /** What failed: ClipImageEncoder's message names the Error behind it; others by their class. */
  private static String failure(Throwable e) {
    return e instanceof EncoderFailedException && e.getMessage() != null
        ? e.getMessage()
        : e.toString();
  }

  /** The values as a float array (for the scorer). */
  public static float[] toArray(List<Float> feature) {
    float[] out = new float[feature.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = feature.get(i);
    }
    return out;
  }

  private static void exactlyOneSource(ByteBuffer imageBytes, String imageUri, List<Float> feature)
      throws InvalidRecordException {
    List<String> set = new ArrayList<>();
    if (imageBytes != null) {
      set.add("imageBytes");
    }
    if (imageUri != null) {
      set.add("imageUri");
    }
    if (feature != null) {
      set.add("feature");
    }
    if (set.size() != 1) {
      throw new InvalidRecordException(
          RejectReason.IMAGE_FEATURE_CHOICE,
          (set.isEmpty()
                  ? "neither an image (imageBytes or imageUri) nor a feature is set"
                  : String.join(" and ", set) + " are all set")
              + "; exactly one of imageBytes, imageUri, feature is required");
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
