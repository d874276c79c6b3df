package ai.candle.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of {@code clip-encoders/fixtures} (made by {@code make_fixtures.py}; the build passes
 * their folder as {@code -Dclip.fixtures}) and a reader of the .npy arrays among them.
 */
final class Fixtures {

  static final int D = 64;

  /** The embeddings must match the script's to this, absolutely (issue 8). */
  static final double FEATURE_TOLERANCE = 1e-4;

  private Fixtures() {}

  static Path dir() {
    return Path.of(System.getProperty("clip.fixtures", "fixtures"));
  }

  static Path model(String file) {
    return dir().resolve("models").resolve(file);
  }

  static Path imageModel(EncoderEngine engine) {
    return model(engine == EncoderEngine.PYTORCH ? "image_encoder.pt" : "image_encoder.onnx");
  }

  static Path textModel(EncoderEngine engine) {
    return model(engine == EncoderEngine.PYTORCH ? "text_encoder.pt" : "text_encoder.onnx");
  }

  static List<String> lines(String expectedFile) {
    try {
      return Files.readAllLines(dir().resolve("expected").resolve(expectedFile));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> imageNames() {
    return lines("images.txt").stream().filter(s -> !s.isEmpty()).toList();
  }

  static byte[] image(String name) {
    try {
      return Files.readAllBytes(dir().resolve("images").resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A C-order little-endian .npy array: its shape and raw data. */
  record Npy(String dtype, int[] shape, ByteBuffer data) {

    private static final Pattern DESCR = Pattern.compile("'descr': '([^']+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape': \\(([^)]*)\\)");

    static Npy read(String expectedFile) {
      try {
        return parse(Files.readAllBytes(dir().resolve("expected").resolve(expectedFile)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static Npy parse(byte[] bytes) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      int major = bytes[6];
      int headerLength = major == 1 ? Short.toUnsignedInt(buffer.getShort(8)) : buffer.getInt(8);
      int start = major == 1 ? 10 : 12;
      String header = new String(bytes, start, headerLength, StandardCharsets.ISO_8859_1);
      if (header.contains("'fortran_order': True")) {
        throw new IllegalArgumentException("Fortran order not read: " + header);
      }
      Matcher descr = DESCR.matcher(header);
      Matcher shape = SHAPE.matcher(header);
      if (!descr.find() || !shape.find()) {
        throw new IllegalArgumentException("not an .npy header: " + header);
      }
      int[] dims =
          Arrays.stream(shape.group(1).split(","))
              .map(String::strip)
              .filter(s -> !s.isEmpty())
              .mapToInt(Integer::parseInt)
              .toArray();
      ByteBuffer data =
          ByteBuffer.wrap(bytes, start + headerLength, bytes.length - start - headerLength)
              .slice()
              .order(ByteOrder.LITTLE_ENDIAN);
      return new Npy(descr.group(1), dims, data);
    }

    float[][] floatRows() {
      assertEquals("<f4", dtype);
      float[][] rows = new float[shape[0]][shape[1]];
      for (float[] row : rows) {
        for (int j = 0; j < row.length; j++) {
          row[j] = data.getFloat();
        }
      }
      data.rewind();
      return rows;
    }

    long[][] longRows() {
      assertEquals("<i8", dtype);
      long[][] rows = new long[shape[0]][shape[1]];
      for (long[] row : rows) {
        for (int j = 0; j < row.length; j++) {
          row[j] = data.getLong();
        }
      }
      data.rewind();
      return rows;
    }

    byte[] bytes() {
      assertEquals("|u1", dtype);
      byte[] out = new byte[data.remaining()];
      data.duplicate().get(out);
      return out;
    }
  }

  /** The largest absolute difference between two rows of equal length. */
  static double maxAbsDiff(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, "widths");
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs((double) expected[i] - actual[i]));
    }
    return max;
  }
}
