package ai.candle.clip;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes image bytes with {@code javax.imageio} (PNG, JPEG, GIF, BMP, WBMP), refusing, before any
 * pixel is decoded, an image whose header declares more than a pixel limit (a small file can
 * declare a huge image: a decompression bomb) or a long side more than a limit times its short side
 * (CLIP's resize of the short side to 224 would make the long side 224 times the ratio: a 1 ×
 * 25,000,000 strip would become 224 × 5,600,000,000). Only the first image of a file is read.
 *
 * <p>What a header may declare is bounded before ImageIO sees it: other formats that ImageIO reads
 * (TIFF, whose tiles a header may declare far larger than its pixels) are refused, as is a BMP that
 * embeds a JPEG or PNG (whose size the BMP header does not give) and a PNG palette of more than 256
 * entries.
 *
 * <p>A damaged image is refused rather than half decoded: one whose reader warns that data is
 * missing (a JPEG cut short decodes with grey rows and a "premature end" warning; warnings about
 * harmless oddities, such as an ignored ICC profile, are not refusals), and a PNG with a chunk
 * whose CRC does not match (ImageIO does not check them, and flipped bits in the pixel data can
 * still inflate to pixels).
 */
public final class ImageDecoder {

  /** The formats read, as ImageIO's readers name them (lower case). */
  private static final Set<String> FORMATS = Set.of("png", "jpeg", "gif", "bmp", "wbmp");

  private static final String FORMAT_NAMES = "PNG, JPEG, GIF, BMP, WBMP";

  /** Reader warnings that mean pixels were invented for data that is not there. */
  private static final Pattern MISSING_DATA =
      Pattern.compile("premature end|truncated|missing eoi", Pattern.CASE_INSENSITIVE);

  private ImageDecoder() {}

  /**
   * {@link #decode(byte[], long, int)} with the default aspect-ratio limit ({@link
   * ImageEncoderOptions#DEFAULT_MAX_ASPECT_RATIO}).
   */
  public static BufferedImage decode(byte[] bytes, long maxPixels) throws UnreadableImageException {
    return decode(bytes, maxPixels, ImageEncoderOptions.DEFAULT_MAX_ASPECT_RATIO);
  }

  /**
   * @param maxPixels the largest width × height accepted
   * @param maxAspectRatio the most times the long side may be the short side
   * @throws UnreadableImageException not an image of a format read here, corrupt, or over a limit
   */
  public static BufferedImage decode(byte[] bytes, long maxPixels, int maxAspectRatio)
      throws UnreadableImageException {
    if (bytes.length == 0) {
      throw new UnreadableImageException("no image: 0 bytes");
    }
    // in memory: ImageIO's default stream may cache to a temporary file
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      ImageReader reader = reader(in, bytes);
      List<String> warnings = new ArrayList<>();
      try {
        // metadata ignored: ImageIO would otherwise inflate a PNG's compressed text chunks
        // (zTXt, iTXt) whole, however large they inflate
        reader.setInput(in, true, true);
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        if (format.equals("png")) {
          PngChunks.check(bytes);
        } else if (format.equals("bmp")) {
          refuseEmbeddedImage(bytes);
        }
        checkSize(reader, maxPixels, maxAspectRatio);
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        BufferedImage image = reader.read(0);
        for (String warning : warnings) {
          if (MISSING_DATA.matcher(warning).find()) {
            throw new UnreadableImageException(
                "the " + reader.getFormatName() + " image is" + " damaged: " + warning);
          }
        }
        return image;
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      // ImageIO's decoders also throw unchecked exceptions on malformed input
      throw new UnreadableImageException("the image does not decode: " + e, e);
    }
  }

  /** The first of ImageIO's readers for the bytes whose format is one of {@link #FORMATS}. */
  private static ImageReader reader(ImageInputStream in, byte[] bytes)
      throws IOException, UnreadableImageException {
    Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
    String other = null;
    while (readers.hasNext()) {
      ImageReader reader = readers.next();
      if (FORMATS.contains(reader.getFormatName().toLowerCase(Locale.ROOT))) {
        return reader;
      }
      other = other == null ? reader.getFormatName() : other;
    }
    throw new UnreadableImageException(
        "not an image format this encoder reads ("
            + FORMAT_NAMES
            + ")"
            + (other == null ? "" : ": ImageIO reads it as " + other)
            + "; the bytes start with "
            + hex(bytes, 8));
  }

  /**
   * Refuses a BMP whose pixels are an embedded JPEG or PNG (compression BI_JPEG or BI_PNG): ImageIO
   * decodes the embedded image whatever size it declares, which the BMP header's width and height
   * do not bound.
   */
  private static void refuseEmbeddedImage(byte[] bmp) throws UnreadableImageException {
    // BITMAPFILEHEADER (14 bytes), then the info header: its size, and its compression at 16
    // in the headers of 40 bytes or more (the 12-byte OS/2 header has no compression)
    if (bmp.length < 34) {
      return; // too short to hold it: the reader says what is wrong
    }
    ByteBuffer header = ByteBuffer.wrap(bmp).order(ByteOrder.LITTLE_ENDIAN);
    int compression = header.getInt(14) >= 40 ? header.getInt(30) : 0;
    if (compression == 4 || compression == 5) {
      throw new UnreadableImageException(
          "the bmp image holds an embedded "
              + (compression == 4 ? "JPEG" : "PNG")
              + " (compression "
              + compression
              + "), whose"
              + " size its header does not bound; not read (send the "
              + (compression == 4 ? "JPEG" : "PNG")
              + " itself)");
    }
  }

  private static void checkSize(ImageReader reader, long maxPixels, int maxAspectRatio)
      throws IOException, UnreadableImageException {
    int width = reader.getWidth(0);
    int height = reader.getHeight(0);
    long pixels = (long) width * height;
    if (width <= 0 || height <= 0) {
      throw new UnreadableImageException(
          "the "
              + reader.getFormatName()
              + " header declares "
              + width
              + " x "
              + height
              + " pixels");
    }
    if (pixels > maxPixels) {
      throw new UnreadableImageException(
          "the "
              + reader.getFormatName()
              + " image declares "
              + width
              + " x "
              + height
              + " = "
              + pixels
              + " pixels, more than the limit of "
              + maxPixels
              + " (encoder.max.pixels); refused before decoding");
    }
    // in longs: exact, whatever the sides
    if (Math.max(width, height) > (long) maxAspectRatio * Math.min(width, height)) {
      throw new UnreadableImageException(
          "the "
              + reader.getFormatName()
              + " image declares "
              + width
              + " x "
              + height
              + " pixels: its long side is more than "
              + maxAspectRatio
              + " times its short side, the limit (encoder.max.aspect.ratio); refused before"
              + " decoding");
    }
  }

  private static String hex(byte[] bytes, int max) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < Math.min(max, bytes.length); i++) {
      out.append(String.format("%02x", bytes[i] & 0xff));
    }
    return out.toString();
  }
}
