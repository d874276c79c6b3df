package ai.candle.clip;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Writes PNG chunks (length, type, data, CRC-32 of type and data) for tests that hand-make images:
 * well-formed ones, and hostile ones whose header is valid. Published in this module's test-jar
 * (streams-app's HostileImages uses it too).
 */
public final class PngChunkWriter {

  /** PNG colour types. */
  public static final int GREY = 0;

  public static final int PALETTE = 3;

  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private PngChunkWriter() {}

  /** Appends one chunk with a valid CRC. */
  public static void write(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(typeBytes);
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  /**
   * A whole PNG of {@code width} × {@code height} zero samples, one channel (grey, or palette
   * indices with {@code palette} as its PLTE chunk, which may be null): its IDAT holds every
   * scanline, deflated as it is written, so that a few KB stand for millions of pixels.
   */
  public static byte[] zeroImage(
      int width, int height, int bitDepth, int colourType, byte[] palette) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(SIGNATURE);
    write(
        out,
        "IHDR",
        ByteBuffer.allocate(13)
            .putInt(width)
            .putInt(height)
            .put((byte) bitDepth)
            .put((byte) colourType)
            .put((byte) 0)
            .put((byte) 0)
            .put((byte) 0)
            .array());
    if (palette != null) {
      write(out, "PLTE", palette);
    }
    write(out, "IDAT", zeroScanlines(width, height, bitDepth));
    write(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  /** Scanlines of one channel (a filter byte, then the samples), all zero, deflated. */
  private static byte[] zeroScanlines(int width, int height, int bitDepth) {
    long total = (1 + ((long) width * bitDepth + 7) / 8) * height;
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    try (DeflaterOutputStream zlib = new DeflaterOutputStream(compressed, deflater, 1 << 16)) {
      byte[] zeros = new byte[1 << 20];
      for (long written = 0; written < total; written += zeros.length) {
        zlib.write(zeros, 0, (int) Math.min(zeros.length, total - written));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deflater.end();
    }
    return compressed.toByteArray();
  }
}
