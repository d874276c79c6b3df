package ai.candle.streams.validation.internals;

import ai.candle.streams.validation.RejectReason;
import java.util.List;

/** The validation rules shared by the processors; each throws with a readable reason. */
public final class Checks {

  private Checks() {}

  /**
   * Rejects an empty name, one longer than {@code max} code points, or one with control characters.
   */
  static void name(String what, String value, int max) throws InvalidRecordException {
    text(RejectReason.LABEL, what, value, max);
  }

  /**
   * Rejects an empty image id, one longer than {@code max} code points, or one with control
   * characters.
   */
  public static void id(String value, int max) throws InvalidRecordException {
    text(RejectReason.ID, "id", value, max);
  }

  static void prompt(String what, String value, int max) throws InvalidRecordException {
    text(RejectReason.PROMPT, what, value, max);
  }

  private static void text(RejectReason reason, String what, String value, int max)
      throws InvalidRecordException {
    if (value.isBlank()) {
      throw new InvalidRecordException(reason, what + " is empty");
    }
    int length = value.codePointCount(0, value.length());
    if (length > max) {
      throw new InvalidRecordException(
          reason, what + " is " + length + " characters long, more than the maximum " + max);
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        throw new InvalidRecordException(
            reason,
            String.format(
                "%s contains the control character U+%04X at index %d", what, (int) c, i));
      }
    }
  }

  /** Rejects a feature whose width is not {@code width} or that holds NaN or infinity. */
  static void feature(String what, List<Float> feature, int width) throws InvalidRecordException {
    if (feature.size() != width) {
      throw new InvalidRecordException(
          RejectReason.WIDTH,
          what + " has " + feature.size() + " values, expected " + width + " (feature.width)");
    }
    for (int i = 0; i < feature.size(); i++) {
      float v = feature.get(i);
      if (!Float.isFinite(v)) {
        throw new InvalidRecordException(
            RejectReason.NON_FINITE, what + "[" + i + "] is " + v + "; every value must be finite");
      }
    }
  }

  /** Rejects a record larger than {@code max} bytes (key plus value). */
  public static void size(byte[] key, byte[] value, int max, String setting)
      throws InvalidRecordException {
    long size = (key == null ? 0L : key.length) + (long) value.length;
    if (size > max) {
      throw new InvalidRecordException(
          RejectReason.TOO_LARGE,
          "record is "
              + size
              + " bytes (key + value), more than the maximum "
              + max
              + " ("
              + setting
              + ")");
    }
  }

  /** Rejects a tombstone where a value is required. */
  public static byte[] present(byte[] value, String type) throws InvalidRecordException {
    if (value == null) {
      throw new InvalidRecordException(
          RejectReason.NOT_SCHEMA, "record has no value (null); a " + type + " is required");
    }
    return value;
  }

  /** A feature an encoder produced must be valid: anything else is a configuration error. */
  public static List<Float> encoderOutput(String encoder, float[] feature, int width) {
    String problem = outputProblem(encoder, feature, width);
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
    return values(feature);
  }

  /**
   * The feature the image encoder produced for one record: one of the wrong width or with a
   * non-finite value fails that record ({@code encoder_failed}), not the app.
   */
  static List<Float> imageEncoderOutput(float[] feature, int width) throws InvalidRecordException {
    String problem = outputProblem("image encoder", feature, width);
    if (problem != null) {
      throw new InvalidRecordException(
          RejectReason.ENCODER_FAILED, "image encoder failed: " + problem);
    }
    return values(feature);
  }

  /** What is wrong with an encoder's feature, or null. */
  private static String outputProblem(String encoder, float[] feature, int width) {
    if (feature == null || feature.length != width) {
      return encoder
          + " returned "
          + (feature == null ? "null" : feature.length + " values")
          + ", expected "
          + width
          + " (feature.width); check the encoder's model";
    }
    for (int i = 0; i < width; i++) {
      if (!Float.isFinite(feature[i])) {
        return encoder + " returned " + feature[i] + " at index " + i + "; check the encoder";
      }
    }
    return null;
  }

  private static List<Float> values(float[] feature) {
    List<Float> values = new java.util.ArrayList<>(feature.length);
    for (float value : feature) {
      values.add(value);
    }
    return values;
  }
}
