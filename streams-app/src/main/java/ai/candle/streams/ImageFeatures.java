package ai.candle.streams;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The feature of an image record that carries exactly one of image bytes, an image URI or a
 * precomputed feature (labelled and unlabelled images alike): the feature as it is, checked, or
 * the image through the configured encoder.
 */
final class ImageFeatures {

  static final String NO_ENCODER = "no image encoder configured";

  private ImageFeatures() {}

  /**
   * @throws InvalidRecordException not exactly one source ({@code image_feature_choice}), a
   *     feature of the wrong width or with a non-finite value, an image without an encoder
   *     ({@code no_encoder}), one the encoder cannot decode ({@code image_decode}) or one it
   *     could not encode in time ({@code encoder_busy})
   */
  static List<Float> of(ByteBuffer imageBytes, String imageUri, List<Float> feature,
      Optional<ImageEncoder> encoder, int width) throws InvalidRecordException {
    exactlyOneSource(imageBytes, imageUri, feature);
    if (feature != null) {
      Checks.feature("feature", feature, width);
      return feature;
    }
    ImageEncoder imageEncoder = encoder.orElseThrow(
        () -> new InvalidRecordException(RejectReason.NO_ENCODER, NO_ENCODER));
    try {
      float[] encoded = imageBytes != null
          ? imageEncoder.encode(bytes(imageBytes))
          : imageEncoder.encodeUri(imageUri);
      return Checks.encoderOutput("image encoder", encoded, width);
    } catch (ImageDecodeException e) {
      throw new InvalidRecordException(RejectReason.IMAGE_DECODE,
          "image does not decode: " + e.getMessage(), e);
    } catch (ImageEncoderBusyException e) {
      throw new InvalidRecordException(RejectReason.ENCODER_BUSY,
          "image encoder busy: " + e.getMessage(), e);
    }
  }

  /** The values as a float array (for the scorer). */
  static float[] toArray(List<Float> feature) {
    float[] out = new float[feature.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = feature.get(i);
    }
    return out;
  }

  private static void exactlyOneSource(ByteBuffer imageBytes, String imageUri,
      List<Float> feature) throws InvalidRecordException {
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
      throw new InvalidRecordException(RejectReason.IMAGE_FEATURE_CHOICE,
          (set.isEmpty() ? "neither an image (imageBytes or imageUri) nor a feature is set"
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
