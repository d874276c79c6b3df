package ai.candle.core.io;

import java.util.Objects;

/**
 * A model blob cannot be read: it is not a Candle model, it was cut short or corrupted in transit,
 * it was written by a newer library, or its contents contradict each other. The message says which,
 * and what to do about it; {@link #kind()} says which for code that reacts to the failure (a scorer
 * counting refused versions by reason), so it need not parse the message.
 */
public class ModelFormatException extends RuntimeException {

  /** What is wrong, for code that tells the failures apart. */
  public enum Kind {
    /**
     * The bytes are not a Candle model blob of a format this library reads: too short, another
     * magic, a newer or invalid format version, a corrupt frame header, bytes past the end.
     */
    FORMAT,
    /**
     * The contents do not hash to the stored checksum: the blob's own SHA-256, or a model version
     * record's checksum of its parameters. Well-framed bytes altered after writing.
     */
    CHECKSUM,
    /**
     * The blob is well framed and intact but what it holds does not add up (the payload does not
     * inflate, the header or the arrays contradict each other), or a model version record
     * contradicts its parameters (their width, the class list): a faulty or incompatible writer.
     */
    INCONSISTENT,
    /** A model version record was fitted on features of another width than the reader's. */
    WIDTH,
    /** A model version record is one chunk of a version; the reader takes whole ones only. */
    CHUNKED
  }

  private final Kind kind;

  public ModelFormatException(Kind kind, String message) {
    super(message);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public ModelFormatException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  /** What is wrong. */
  public Kind kind() {
    return kind;
  }
}
