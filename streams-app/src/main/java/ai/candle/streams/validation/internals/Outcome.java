package ai.candle.streams.validation.internals;

import ai.candle.schemas.DeadLetter;

/** What a validating processor forwards: a valid value, or a dead letter with the original key. */
public sealed interface Outcome<T> {

  record Valid<T>(T value) implements Outcome<T> {}

  record Rejected<T>(byte[] originalKey, DeadLetter letter) implements Outcome<T> {}

  static boolean isRejected(Object key, Outcome<?> outcome) {
    return outcome instanceof Rejected;
  }
}
