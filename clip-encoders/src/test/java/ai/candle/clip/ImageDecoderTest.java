package ai.candle.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
    UnreadableImageException e =
        assertThrows(UnreadableImageException.class, () -> ImageDecoder.decode(bomb, 25_000_000));
    assertEquals(
        "the png image declares 100000 x 100000 = 10000000000 pixels, more than the"
            + " limit of 25000000 (encoder.max.pixels); refused before decoding",
        e.getMessage());
  }

  @Test
  void theLimitCountsWidthTimesHeight() throws Exception {
    byte[] photo = Fixtures.image("photo.jpg"); // 480 x 320 = 153,600 pixels
    assertEquals(480, ImageDecoder.decode(photo, 153_600).getWidth());
    UnreadableImageException e =
        assertThrows(UnreadableImageException.class, () -> ImageDecoder.decode(photo, 153_599));
    assertTrue(e.getMessage().contains("480 x 320 = 153600 pixels"), e.getMessage());
  }

  @Test
  void bytesThatAreNoImageAreRefusedWithWhatTheyStartWith() {
    UnreadableImageException e =
        assertThrows(
            UnreadableImageException.class,
            () -> ImageDecoder.decode("hello, world".getBytes(StandardCharsets.US_ASCII), 100));
    assertEquals(
        "not an image format this encoder reads (PNG, JPEG, GIF, BMP, WBMP); the bytes"
            + " start with 68656c6c6f2c2077",
        e.getMessage());
    assertEquals(
        "no image: 0 bytes",
        assertThrows(UnreadableImageException.class, () -> ImageDecoder.decode(new byte[0], 100))
            .getMessage());
  }

  @Test
  void aTruncatedPngIsRefusedFromItsChunksBeforeDecoding() throws Exception {
    byte[] png = Fixtures.image("grey_tall.png");
    byte[] truncated = Arrays.copyOf(png, png.length / 2);
    UnreadableImageException e =
        assertThrows(
            UnreadableImageException.class, () -> ImageDecoder.decode(truncated, 1_000_000));
    assertTrue(
        e.getMessage()
            .matches(
                "the png image is damaged: a chunk at byte \\d+ declares"
                    + " \\d+ bytes, more than the \\d+ left"),
        e.getMessage());
  }

  @Test
  void anImageThatDoesNotDecodeKeepsTheCause() {
    byte[] noPixels = pngHeaderOnly(10, 10); // well-formed chunks, no IDAT
    UnreadableImageException e =
        assertThrows(
            UnreadableImageException.class, () -> ImageDecoder.decode(noPixels, 1_000_000));
    assertTrue(e.getMessage().startsWith("the image does not decode: "), e.getMessage());
    assertTrue(e.getCause() != null);
  }

  @Test
  void aJpegCutShortIsRefusedAsDamagedNotFilledIn() throws Exception {
    byte[] photo = Fixtures.image("photo.jpg");
    byte[] cut = Arrays.copyOf(photo, photo.length * 3 / 5);
    UnreadableImageException e =
        assertThrows(UnreadableImageException.class, () -> ImageDecoder.decode(cut, 1_000_000));
    assertTrue(e.getMessage().startsWith("the JPEG image is damaged: "), e.getMessage());
  }

  @Test
  void aPngWhosePixelDataDoesNotMatchItsCrcIsRefused() throws Exception {
    byte[] png = Fixtures.image("grey_tall.png");
    byte[] flipped = png.clone();
    flipped[png.length - 40] ^= 0x01; // in the last IDAT chunk's data, before its CRC and IEND
    UnreadableImageException e =
        assertThrows(UnreadableImageException.class, () -> ImageDecoder.decode(flipped, 1_000_000));
    assertTrue(
        e.getMessage()
            .matches(
                "the png image is damaged: the CRC of chunk 'IDAT' at byte"
                    + " \\d+ does not match its data"),
        e.getMessage());
  }

  @Test
  void aPngChunkDeclaringMoreBytesThanThereAreIsRefused() {
    byte[] png = pngHeaderOnly(10, 10);
    byte[] cut = Arrays.copyOf(png, png.length - 6); // IEND's CRC half gone
    UnreadableImageException e =
        assertThrows(UnreadableImageException.class, () -> ImageDecoder.decode(cut, 1_000_000));
    assertTrue(e.getMessage().startsWith("the png image is damaged: "), e.getMessage());
  }

  @Test
  void aThinPngWithinThePixelLimitIsRefusedFromItsHeader() {
    // 1 x 25,000,000: exactly the default pixel limit, a few tens of KB of zlib. CLIP's resize of
    // its short side to 224 would make the long side 5.6 billion pixels
    byte[] thin = PngChunkWriter.zeroImage(1, 25_000_000, 8, PngChunkWriter.GREY, null);
    UnreadableImageException e =
        assertThrows(
            UnreadableImageException.class,
            () -> ImageDecoder.decode(thin, ImageEncoderOptions.DEFAULT_MAX_PIXELS));
    assertEquals(
        "the png image declares 1 x 25000000 pixels: its long side is more than 100"
            + " times its short side, the limit (encoder.max.aspect.ratio); refused before decoding",
        e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"1, 100000", "100000, 1"})
  void aPngOneHundredThousandTimesAsLongAsItIsWideIsRefused(int width, int height) {
    byte[] png = PngChunkWriter.zeroImage(width, height, 8, PngChunkWriter.GREY, null);
    UnreadableImageException e =
        assertThrows(
            UnreadableImageException.class,
            () -> ImageDecoder.decode(png, ImageEncoderOptions.DEFAULT_MAX_PIXELS));
    assertEquals(
        "the png image declares "
            + width
            + " x "
            + height
            + " pixels: its long side is"
            + " more than 100 times its short side, the limit (encoder.max.aspect.ratio); refused"
            + " before decoding",
        e.getMessage());
  }

  @Test
  void theAspectRatioLimitIsTheLongSideOverTheShortOne() throws Exception {
    byte[] atLimit = PngChunkWriter.zeroImage(10, 1000, 8, PngChunkWriter.GREY, null);
    assertEquals(1000, ImageDecoder.decode(atLimit, 1_000_000, 100).getHeight());
    byte[] over = PngChunkWriter.zeroImage(1001, 10, 8, PngChunkWriter.GREY, null);
    UnreadableImageException e =
        assertThrows(
            UnreadableImageException.class, () -> ImageDecoder.decode(over, 1_000_000, 100));
    assertTrue(
        e.getMessage().contains("1001 x 10 pixels: its long side is more than 100 times"),
        e.getMessage());
    assertEquals(1001, ImageDecoder.decode(over, 1_000_000, 101).getWidth());
  }

  @Test
  void aThinPaletteImageIsRefusedFromItsHeader() {
    // indexed colour, 1 bit a pixel, two palette entries: 1 x 25,000,000 in about 3 KB
    byte[] thin =
        PngChunkWriter.zeroImage(
            1,
            25_000_000,
            1,
            PngChunkWriter.PALETTE,
            new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
    UnreadableImageException e =
        assertThrows(
            UnreadableImageException.class,
            () -> ImageDecoder.decode(thin, ImageEncoderOptions.DEFAULT_MAX_PIXELS));
    assertTrue(
        e.getMessage()
            .contains(
                "1 x 25000000 pixels: its long side is more than 100" + " times its short side"),
        e.getMessage());
  }

  @Test
  void aPngPaletteOfMoreThan256EntriesIsRefused() {
    // 100,000 palette entries: ImageIO would keep the first 256, warn and decode
    byte[] png = PngChunkWriter.zeroImage(16, 16, 8, PngChunkWriter.PALETTE, new byte[300_000]);
    UnreadableImageException e =
        assertThrows(UnreadableImageException.class, () -> ImageDecoder.decode(png, 1_000_000));
    assertEquals(
        "the png image is damaged: its palette (PLTE chunk at byte 33) is 300000 bytes,"
            + " 100000 entries; a PNG palette holds at most 256 (768 bytes)",
        e.getMessage());
  }

  @Test
  void aTiffIsRefusedThoughImageIoReadsIt() throws Exception {
    // a 16 x 16 TIFF whose one tile is declared 8192 x 8192: ImageIO allocates the tile, which
    // the pixel limit (width x height) does not bound
    UnreadableImageException e =
        assertThrows(
            UnreadableImageException.class,
            () -> ImageDecoder.decode(tiffWithOneTile(16, 8192), 1_000_000));
    assertEquals(
        "not an image format this encoder reads (PNG, JPEG, GIF, BMP, WBMP): ImageIO"
            + " reads it as tif; the bytes start with 49492a0008000000",
        e.getMessage());
    BufferedImage small = new BufferedImage(32, 16, BufferedImage.TYPE_3BYTE_BGR);
    ByteArrayOutputStream tiff = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(small, "tiff", tiff));
    assertThrows(
        UnreadableImageException.class, () -> ImageDecoder.decode(tiff.toByteArray(), 1_000_000));
  }

  @Test
  void aBmpThatEmbedsAPngIsRefused() {
    // the BMP header says 16 x 16; ImageIO decodes the embedded 4000 x 4000 PNG whatever its size
    byte[] png = PngChunkWriter.zeroImage(4000, 4000, 8, PngChunkWriter.GREY, null);
    ByteBuffer bmp = ByteBuffer.allocate(54 + png.length).order(ByteOrder.LITTLE_ENDIAN);
    bmp.put((byte) 'B').put((byte) 'M').putInt(54 + png.length).putInt(0).putInt(54);
    bmp.putInt(40)
        .putInt(16)
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) 0)
        .putInt(5 /* BI_PNG */)
        .putInt(png.length)
        .putInt(0)
        .putInt(0)
        .putInt(0)
        .putInt(0);
    bmp.put(png);
    UnreadableImageException e =
        assertThrows(
            UnreadableImageException.class, () -> ImageDecoder.decode(bmp.array(), 1_000_000));
    assertEquals(
        "the bmp image holds an embedded PNG (compression 5), whose size its header does"
            + " not bound; not read (send the PNG itself)",
        e.getMessage());
  }

  /**
   * A little-endian TIFF of {@code side} × {@code side} 8-bit grey pixels in one deflated tile
   * declared {@code tile} × {@code tile}; the tile's data is a few hundred bytes.
   */
  static byte[] tiffWithOneTile(int side, int tile) {
    Deflater deflater = new Deflater(9);
    deflater.setInput(new byte[100_000]);
    deflater.finish();
    byte[] zlib = new byte[256];
    int zlibLength = deflater.deflate(zlib);
    deflater.end();
    int[][] entries = { // tag, type (3 short, 4 long), value
      {256, 4, side}, {257, 4, side}, {258, 3, 8}, {259, 3, 8 /* deflate */},
      {262, 3, 1 /* black is zero */}, {277, 3, 1}, {322, 4, tile}, {323, 4, tile},
      {324, 4, 300 /* tile offset */}, {325, 4, zlibLength}
    };
    ByteBuffer tiff = ByteBuffer.allocate(300 + zlibLength).order(ByteOrder.LITTLE_ENDIAN);
    tiff.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
    tiff.putShort((short) entries.length);
    for (int[] entry : entries) {
      tiff.putShort((short) entry[0]).putShort((short) entry[1]).putInt(1);
      if (entry[1] == 3) {
        tiff.putShort((short) entry[2]).putShort((short) 0);
      } else {
        tiff.putInt(entry[2]);
      }
    }
    tiff.putInt(0); // no next IFD
    tiff.position(300);
    tiff.put(zlib, 0, zlibLength);
    return tiff.array();
  }

  /** A PNG signature, an IHDR chunk (8-bit grey) with a valid CRC, and IEND: no pixel data. */
  static byte[] pngHeaderOnly(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    PngChunkWriter.write(
        out,
        "IHDR",
        ByteBuffer.allocate(13)
            .putInt(width)
            .putInt(height)
            .put((byte) 8)
            .put((byte) 0)
            .put((byte) 0)
            .put((byte) 0)
            .put((byte) 0)
            .array());
    PngChunkWriter.write(out, "IEND", new byte[0]);
    return out.toByteArray();
  }
}
