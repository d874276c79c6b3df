package ai.candle.schemas;

import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Walks a datum with its writer schema without building values: a string, bytes or collection whose
 * declared length exceeds what the record holds fails here, before a decoder allocates anything, so
 * a few crafted bytes cannot exhaust the heap. Bytes left after the datum fail too.
 */
final class AvroBounds {
  private AvroBounds() {}

  /** Checks the datum that starts at {@code offset} of {@code bytes} and runs to their end. */
  static void check(Schema writer, byte[] bytes, int offset) throws IOException {
    BinaryDecoder in =
        DecoderFactory.get().binaryDecoder(bytes, offset, bytes.length - offset, null);
    GenericDatumReader.skip(writer, in);
    if (!in.isEnd()) {
      throw new IOException("bytes left after the end of the record");
    }
  }
}
