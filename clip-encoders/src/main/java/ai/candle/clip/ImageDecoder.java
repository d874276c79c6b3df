package ai.candle.clip;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes image bytes with {@code javax.imageio} (PNG, JPEG, GIF, BMP, WBMP), refusing, before
 * any pixel is decoded, an image whose header declares more than a pixel limit (a small file
 * can declare a huge image: a decompression bomb) or a long side more than a limit times its
 * short side (CLIP's resize of the short side to 224 would make the long side 224 times the
 * ratio: a 1 × 25,000,000 strip would become 224 × 5,600,000,000). Only the first image of a
 * file is read.
 *
 * <p>A damaged image is refused rather than half decoded: one whose reader warns that data is
 * missing (a JPEG cut short decodes with grey rows and a "premature end" warning; warnings about
 * harmless oddities, such as an ignored ICC profile, are not refusals), and a PNG with a chunk
 * whose CRC does not match (ImageIO does not check them, and flipped bits in the pixel data can
 * still inflate to pixels).
 */
public final class ImageDecoder {

  /** Reader warnings that mean pixels were invented for data that is not there. */
  private static final Pattern MISSING_DATA =
      Pattern.compile("premature end|truncated|missing eoi", Pattern.CASE_INSENSITIVE);

  private ImageDecoder() {}

  /**
   * {@link #decode(byte[], long, int)} with the default aspect-ratio limit
   * ({@link ImageEncoderOptions#DEFAULT_MAX_ASPECT_RATIO}).
   */
  public static BufferedImage decode(byte[] bytes, long maxPixels)
      throws UnreadableImageException {
    return decode(bytes, maxPixels, ImageEncoderOptions.DEFAULT_MAX_ASPECT_RATIO);
  }

  /**
   * @param maxPixels the largest width × height accepted
   * @param maxAspectRatio the most times the long side may be the short side
   * @throws UnreadableImageException not an image ImageIO reads, corrupt, or over a limit
   */
  public static BufferedImage decode(byte[] bytes, long maxPixels, int maxAspectRatio)
      throws UnreadableImageException {
    if (bytes.length == 0) {
      throw new UnreadableImageException("no image: 0 bytes");
    }
    // in memory: ImageIO's default stream may cache to a temporary file
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new UnreadableImageException("not an image format this encoder reads (PNG, JPEG,"
            + " GIF, BMP, WBMP); the bytes start with " + hex(bytes, 8));
      }
      ImageReader reader = readers.next();
      List<String> warnings = new ArrayList<>();
      try {
        reader.setInput(in, true, true);
        if ("png".equalsIgnoreCase(reader.getFormatName())) {
          PngChunks.checkCrcs(bytes);
        }
        checkSize(reader, maxPixels, maxAspectRatio);
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        BufferedImage image = reader.read(0);
        for (String warning : warnings) {
          if (MISSING_DATA.matcher(warning).find()) {
            throw new UnreadableImageException("the " + reader.getFormatName() + " image is"
                + " damaged: " + warning);
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

  private static void checkSize(ImageReader reader, long maxPixels, int maxAspectRatio)
      throws IOException, UnreadableImageException {
    int width = reader.getWidth(0);
    int height = reader.getHeight(0);
    long pixels = (long) width * height;
    if (width <= 0 || height <= 0) {
      throw new UnreadableImageException("the " + reader.getFormatName() + " header declares "
          + width + " x " + height + " pixels");
    }
    if (pixels > maxPixels) {
      throw new UnreadableImageException("the " + reader.getFormatName() + " image declares "
          + width + " x " + height + " = " + pixels + " pixels, more than the limit of "
          + maxPixels + " (encoder.max.pixels); refused before decoding");
    }
    // in longs: exact, whatever the sides
    if (Math.max(width, height) > (long) maxAspectRatio * Math.min(width, height)) {
      throw new UnreadableImageException("the " + reader.getFormatName() + " image declares "
          + width + " x " + height + " pixels: its long side is more than " + maxAspectRatio
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
