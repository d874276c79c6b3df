package ai.candle.clip;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The chunk structure of a PNG file (signature, then chunks of length, type, data and a CRC-32 of
 * type and data), checked without decoding anything.
 */
final class PngChunks {

  private static final int SIGNATURE = 8;

  /** 256 RGB entries: the most a PNG palette may hold (PIL refuses more). */
  static final int MAX_PALETTE_BYTES = 3 * 256;

  private PngChunks() {}

  /**
   * Checks the CRC of every chunk up to IEND (or the end of the bytes, which must not fall inside a
   * chunk), and that a palette (PLTE) holds at most 256 entries.
   *
   * @throws UnreadableImageException a chunk runs past the end of the bytes, its CRC does not match
   *     its type and data, or the palette is longer
   */
  static void check(byte[] png) throws UnreadableImageException {
    ByteBuffer in = ByteBuffer.wrap(png);
    int at = SIGNATURE;
    while (at + 12 <= png.length) {
      long length = in.getInt(at) & 0xFFFF_FFFFL;
      if (length > png.length - at - 12L) {
        throw new UnreadableImageException(
            "the png image is damaged: a chunk at byte "
                + at
                + " declares "
                + length
                + " bytes, more than the "
                + (png.length - at - 12)
                + " left");
      }
      String type = new String(png, at + 4, 4, StandardCharsets.ISO_8859_1);
      CRC32 crc = new CRC32();
      crc.update(png, at + 4, 4 + (int) length);
      int stored = in.getInt(at + 8 + (int) length);
      if ((int) crc.getValue() != stored) {
        throw new UnreadableImageException(
            "the png image is damaged: the CRC of chunk '"
                + printable(type)
                + "' at byte "
                + at
                + " does not match its data");
      }
      if (type.equals("PLTE") && length > MAX_PALETTE_BYTES) {
        // ImageIO would keep the first 256 entries and decode: the palette is refused instead,
        // as a damaged file, here where its declared length is the only thing read
        throw new UnreadableImageException(
            "the png image is damaged: its palette (PLTE chunk"
                + " at byte "
                + at
                + ") is "
                + length
                + " bytes, "
                + length / 3
                + " entries; a PNG"
                + " palette holds at most 256 ("
                + MAX_PALETTE_BYTES
                + " bytes)");
      }
      if (type.equals("IEND")) {
        return;
      }
      at += 12 + (int) length;
    }
    if (at < png.length) {
      throw new UnreadableImageException(
          "the png image is damaged: it ends inside a chunk at byte "
              + at
              + " ("
              + (png.length - at)
              + " bytes of at least 12)");
    }
  }

  private static String printable(String type) {
    StringBuilder out = new StringBuilder();
    for (char c : type.toCharArray()) {
      out.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return out.toString();
  }
}
