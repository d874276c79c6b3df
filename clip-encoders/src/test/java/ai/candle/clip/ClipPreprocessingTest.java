package ai.candle.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java preprocessing against CLIP's own (torchvision's transforms on PIL, run by
 * make_fixtures.py): the 224 × 224 RGB pixels before {@code ToTensor}, per fixture image.
 */
class ClipPreprocessingTest {

  /**
   * Measured on make_fixtures.py's images: every one gives PIL's pixels exactly (0 of 150,528
   * values differ), so the tolerance is 0 levels. The JPEG matches because Debian's OpenJDK decodes
   * it with the system's libjpeg-turbo, as Pillow does; a JDK with its own bundled libjpeg could be
   * a level off here and there (README.md, "Image preprocessing").
   */
  static final int PNG_LEVELS = 0;

  static final int JPEG_LEVELS = 0;

  static List<String> images() {
    return Fixtures.imageNames();
  }

  @ParameterizedTest
  @MethodSource("images")
  void pixelsMatchClipsTransform(String name) throws Exception {
    byte[] expected = Fixtures.Npy.read("pixels/" + name + ".npy").bytes();
    BufferedImage image = ImageDecoder.decode(Fixtures.image(name), Long.MAX_VALUE);
    byte[] actual = ClipPreprocessing.rgbPixels(image);
    assertEquals(expected.length, actual.length);
    int maxLevels = 0;
    int differing = 0;
    for (int i = 0; i < expected.length; i++) {
      int levels = Math.abs((expected[i] & 0xff) - (actual[i] & 0xff));
      maxLevels = Math.max(maxLevels, levels);
      differing += levels == 0 ? 0 : 1;
    }
    double tensor =
        Fixtures.maxAbsDiff(
            ClipPreprocessing.normalise(expected), ClipPreprocessing.normalise(actual));
    System.out.printf(
        "PREPROCESSING %s (%d x %d): max difference %d levels, %d of %d values"
            + " differ, normalised tensor max abs difference %.6f%n",
        name, image.getWidth(), image.getHeight(), maxLevels, differing, expected.length, tensor);
    int tolerance = name.endsWith(".jpg") ? JPEG_LEVELS : PNG_LEVELS;
    assertTrue(
        maxLevels <= tolerance,
        name
            + ": "
            + maxLevels
            + " levels off, tolerance "
            + tolerance
            + " ("
            + differing
            + " values differ)");
  }

  @Test
  void theShortestSideBecomes224AndTheLongerOneIsTruncatedInProportion() {
    assertArrayEquals(new int[] {336, 224}, ClipPreprocessing.resizedSize(480, 320));
    assertArrayEquals(new int[] {224, 373}, ClipPreprocessing.resizedSize(180, 300)); // 373.33
    assertArrayEquals(new int[] {224, 224}, ClipPreprocessing.resizedSize(1000, 1000));
    assertArrayEquals(new int[] {560, 224}, ClipPreprocessing.resizedSize(900, 360));
    assertArrayEquals(new int[] {298, 224}, ClipPreprocessing.resizedSize(4000, 3000)); // 298.67
    assertArrayEquals(new int[] {224, 224 * 4000}, ClipPreprocessing.resizedSize(1, 4000));
  }

  @Test
  void aLongSideThatWouldNotFitAnIntIsRefusedNotSaturated() {
    // 224 x 10,000,000 = 2.24 billion, more than Integer.MAX_VALUE
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ClipPreprocessing.resizedSize(1, 10_000_000));
    assertEquals(
        "a 1 x 10000000 image cannot be resized to a shortest side of 224: its long side"
            + " would be 2240000000 pixels, more than 2147483647",
        e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> ClipPreprocessing.resizedSize(10_000_000, 1));
  }

  @Test
  void aThinImageIsResampledInTheMemoryOfItsCropWindow() {
    // 1 x 1,000,000 is resized to 224 x 224,000,000: coefficients for the whole long side would
    // take gigabytes; those of the 224 rows of the crop take a few KB
    BufferedImage thin = new BufferedImage(1, 1_000_000, BufferedImage.TYPE_BYTE_GRAY);
    byte[] grey = ((java.awt.image.DataBufferByte) thin.getRaster().getDataBuffer()).getData();
    Arrays.fill(grey, (byte) 77);
    byte[] rgb = ClipPreprocessing.rgbPixels(thin);
    assertEquals(3 * 224 * 224, rgb.length);
    for (byte value : rgb) {
      assertEquals(77, value & 0xff);
    }
  }

  @Test
  void theCoefficientsOfAWindowAreThoseOfTheWholeAxis() {
    int[][] axes = {{480, 336}, {320, 224}, {180, 224}, {4000, 298}, {1, 224}, {5, 1120}};
    for (int[] axis : axes) {
      PilResample.Taps whole = PilResample.taps(axis[0], axis[1]);
      int from = (axis[1] - 7) / 2;
      PilResample.Taps window = PilResample.taps(axis[0], axis[1], from, 7);
      assertEquals(whole.kernelSize(), window.kernelSize());
      for (int out = from; out < from + 7; out++) {
        assertEquals(whole.first(out), window.first(out), "first " + out + " of " + axis[0]);
        assertEquals(whole.count(out), window.count(out), "count " + out + " of " + axis[0]);
        for (int tap = 0; tap < whole.kernelSize(); tap++) {
          assertEquals(
              whole.weights()[whole.weightAt(out) + tap],
              window.weights()[window.weightAt(out) + tap],
              "weight " + tap + " of " + out);
        }
      }
      assertArrayEquals(
          Arrays.copyOfRange(PilResample.nearest(axis[0], axis[1]), from, from + 7),
          PilResample.nearest(axis[0], axis[1], from, 7));
    }
  }

  @Test
  void anImageOfTheTargetSizeIsOnlyCropped() {
    BufferedImage image = new BufferedImage(227, 224, BufferedImage.TYPE_3BYTE_BGR);
    for (int x = 0; x < 227; x++) {
      for (int y = 0; y < 224; y++) {
        image.setRGB(x, y, (x << 16) | (y << 8) | ((x + y) & 0xff));
      }
    }
    byte[] rgb = ClipPreprocessing.rgbPixels(image);
    // (227 - 224) / 2 = 1.5 rounds half to even: 2, as Python's round
    assertEquals(2, rgb[0] & 0xff);
    assertEquals(0, rgb[1] & 0xff);
    assertEquals(225, rgb[3 * 223] & 0xff);
    assertEquals(7, rgb[3 * (224 * 7 + 1) + 1] & 0xff);
  }

  @Test
  void normalisationIsTorchvisionsInFloat32() {
    byte[] rgb = new byte[3 * 224 * 224];
    rgb[0] = (byte) 255;
    rgb[1] = (byte) 128;
    float[] tensor = ClipPreprocessing.normalise(rgb);
    assertEquals((1f - 0.48145466f) / 0.26862954f, tensor[0]);
    assertEquals((128 / 255f - 0.4578275f) / 0.26130258f, tensor[224 * 224]);
    assertEquals((0f - 0.40821073f) / 0.27577711f, tensor[2 * 224 * 224]);
  }

  @Test
  void bicubicIsPillowsKernel() {
    assertEquals(1.0, PilResample.bicubic(0));
    assertEquals(0.0, PilResample.bicubic(1), 0.0);
    assertEquals(0.0, PilResample.bicubic(2), 0.0);
    assertEquals(0.5625, PilResample.bicubic(0.5)); // ((1.5 * 0.5 - 2.5) * 0.25 + 1
    assertEquals(-0.0625, PilResample.bicubic(1.5)); // (((1.5 - 5) * 1.5 + 8) * 1.5 - 4) * -0.5
  }

  @Test
  void nearestPositionsAreAccumulatedAsPillowDoes() {
    assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2}, PilResample.nearest(3, 6));
    assertArrayEquals(new int[] {1, 4, 7}, PilResample.nearest(9, 3));
  }
}
