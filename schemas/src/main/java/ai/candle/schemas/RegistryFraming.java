package ai.candle.schemas;

import java.nio.ByteBuffer;

/**
 * The registry wire format's 5-byte header: magic byte {@code 0}, then the big-endian 4-byte schema
 * id.
 */
final class RegistryFraming {
  static final byte MAGIC = 0;
  static final int HEADER_LENGTH = 5;

  private RegistryFraming() {}

  /**
   * Whether {@code bytes} start with the registry header (single-object encoding starts with {@code
   * C3 01}).
   */
  static boolean isFramed(byte[] bytes) {
    return bytes.length >= HEADER_LENGTH && bytes[0] == MAGIC;
  }

  /** The schema id of a framed value. */
  static int schemaId(byte[] bytes) {
    return ByteBuffer.wrap(bytes, 1, 4).getInt();
  }

  /** The header for {@code schemaId}. */
  static byte[] header(int schemaId) {
    return ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).putInt(schemaId).array();
  }
}
