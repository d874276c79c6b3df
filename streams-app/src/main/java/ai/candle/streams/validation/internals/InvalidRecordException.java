package ai.candle.streams.validation.internals;

import ai.candle.streams.validation.RejectReason;

/** A rule rejected a record; carries the bounded reason and a human-readable message. */
public final class InvalidRecordException extends Exception {

  private static final long serialVersionUID = 1L;
  private final RejectReason reason;

  public InvalidRecordException(RejectReason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public InvalidRecordException(RejectReason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  RejectReason reason() {
    return reason;
  }

  /** The error class a DeadLetter reports: the cause's class, or "validation" for a rule. */
  String errorClass() {
    return getCause() == null ? "validation" : getCause().getClass().getName();
  }
}
