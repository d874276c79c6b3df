package ai.candle.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

  @Test
  void decodesEachFixture() throws Exception {
    for (String name : Fixtures.imageNames()) {
      assertTrue(ImageDecoder.decode(Fixtures.image(name), 1_000_000).getWidth() > 0, name);
    }
  }

  @Test
  void anImageDeclaringMorePixelsThanTheLimitIsRefusedFromItsHeader() {
    // 70 bytes that declare a 100,000 x 100,000 grey image (10 gigapixels) and hold no pixels
    byte[] bomb = pngHeaderOnly(100_000, 100_000);
    UnreadableImageException e = assertThrows(UnreadableImageException.class,
        () -> ImageDecoder.decode(bomb, 25_000_000));
    assertEquals("the png image declares 100000 x 100000 = 10000000000 pixels, more than the"
        + " limit of 25000000 (encoder.max.pixels); refused before decoding", e.getMessage());
  }

  @Test
  void theLimitCountsWidthTimesHeight() throws Exception {
    byte[] photo = Fixtures.image("photo.jpg"); // 480 x 320 = 153,600 pixels
    assertEquals(480, ImageDecoder.decode(photo, 153_600).getWidth());
    UnreadableImageException e = assertThrows(UnreadableImageException.class,
        () -> ImageDecoder.decode(photo, 153_599));
    assertTrue(e.getMessage().contains("480 x 320 = 153600 pixels"), e.getMessage());
  }

  @Test
  void bytesThatAreNoImageAreRefusedWithWhatTheyStartWith() {
    UnreadableImageException e = assertThrows(UnreadableImageException.class,
        () -> ImageDecoder.decode("hello, world".getBytes(StandardCharsets.US_ASCII), 100));
    assertEquals("not an image format this encoder reads (PNG, JPEG, GIF, BMP, WBMP); the bytes"
        + " start with 68656c6c6f2c2077", e.getMessage());
    assertEquals("no image: 0 bytes", assertThrows(UnreadableImageException.class,
        () -> ImageDecoder.decode(new byte[0], 100)).getMessage());
  }

  @Test
  void aTruncatedPngIsRefusedFromItsChunksBeforeDecoding() throws Exception {
    byte[] png = Fixtures.image("grey_tall.png");
    byte[] truncated = Arrays.copyOf(png, png.length / 2);
    UnreadableImageException e = assertThrows(UnreadableImageException.class,
        () -> ImageDecoder.decode(truncated, 1_000_000));
    assertTrue(e.getMessage().matches("the png image is damaged: a chunk at byte \\d+ declares"
        + " \\d+ bytes, more than the \\d+ left"), e.getMessage());
  }

  @Test
  void anImageThatDoesNotDecodeKeepsTheCause() {
    byte[] noPixels = pngHeaderOnly(10, 10); // well-formed chunks, no IDAT
    UnreadableImageException e = assertThrows(UnreadableImageException.class,
        () -> ImageDecoder.decode(noPixels, 1_000_000));
    assertTrue(e.getMessage().startsWith("the image does not decode: "), e.getMessage());
    assertTrue(e.getCause() != null);
  }

  @Test
  void aJpegCutShortIsRefusedAsDamagedNotFilledIn() throws Exception {
    byte[] photo = Fixtures.image("photo.jpg");
    byte[] cut = Arrays.copyOf(photo, photo.length * 3 / 5);
    UnreadableImageException e = assertThrows(UnreadableImageException.class,
        () -> ImageDecoder.decode(cut, 1_000_000));
    assertTrue(e.getMessage().startsWith("the JPEG image is damaged: "), e.getMessage());
  }

  @Test
  void aPngWhosePixelDataDoesNotMatchItsCrcIsRefused() throws Exception {
    byte[] png = Fixtures.image("grey_tall.png");
    byte[] flipped = png.clone();
    flipped[png.length - 40] ^= 0x01; // in the last IDAT chunk's data, before its CRC and IEND
    UnreadableImageException e = assertThrows(UnreadableImageException.class,
        () -> ImageDecoder.decode(flipped, 1_000_000));
    assertTrue(e.getMessage().matches("the png image is damaged: the CRC of chunk 'IDAT' at byte"
        + " \\d+ does not match its data"), e.getMessage());
  }

  @Test
  void aPngChunkDeclaringMoreBytesThanThereAreIsRefused() {
    byte[] png = pngHeaderOnly(10, 10);
    byte[] cut = Arrays.copyOf(png, png.length - 6); // IEND's CRC half gone
    UnreadableImageException e = assertThrows(UnreadableImageException.class,
        () -> ImageDecoder.decode(cut, 1_000_000));
    assertTrue(e.getMessage().startsWith("the png image is damaged: "), e.getMessage());
  }

  /** A PNG signature, an IHDR chunk (8-bit grey) with a valid CRC, and IEND: no pixel data. */
  static byte[] pngHeaderOnly(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    PngChunkWriter.write(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).array());
    PngChunkWriter.write(out, "IEND", new byte[0]);
    return out.toByteArray();
  }
}
