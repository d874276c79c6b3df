package ai.candle.clip;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes image bytes with {@code javax.imageio} (PNG, JPEG, GIF, BMP, WBMP), refusing, before
 * any pixel is decoded, an image whose header declares more than a pixel limit (a small file
 * can declare a huge image: a decompression bomb). Only the first image of a file is read.
 */
public final class ImageDecoder {

  private ImageDecoder() {}

  /**
   * @param maxPixels the largest width × height accepted
   * @throws UnreadableImageException not an image ImageIO reads, corrupt, or over the limit
   */
  public static BufferedImage decode(byte[] bytes, long maxPixels)
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
      try {
        reader.setInput(in, true, true);
        checkSize(reader, maxPixels);
        return reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      // ImageIO's decoders also throw unchecked exceptions on malformed input
      throw new UnreadableImageException("the image does not decode: " + e, e);
    }
  }

  private static void checkSize(ImageReader reader, long maxPixels)
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
  }

  private static String hex(byte[] bytes, int max) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < Math.min(max, bytes.length); i++) {
      out.append(String.format("%02x", bytes[i] & 0xff));
    }
    return out.toString();
  }
}
