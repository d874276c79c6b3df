package ai.candle.clip;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Writes PNG chunks (length, type, data, CRC-32 of type and data) for tests that hand-make
 * images: well-formed ones, and hostile ones whose header is valid. Published in this module's
 * test-jar (streams-app's HostileImages uses it too).
 */
public final class PngChunkWriter {
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
}
