package ai.candle.streams.validation.internals;

import ai.candle.schemas.DeadLetter;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/** Splitting a stream of {@link Outcome}s into valid values and dead letters, with named nodes. */
public final class OutcomeStreams {

  private OutcomeStreams() {}

  /** Branches {@code prefix + "rejected"} and {@code prefix + "valid"}. */
  public static <T> Map<String, KStream<String, Outcome<T>>> split(
      KStream<String, Outcome<T>> outcomes, String prefix) {
    return outcomes
        .split(Named.as(prefix))
        .branch(Outcome::isRejected, Branched.as("rejected"))
        .defaultBranch(Branched.as("valid"));
  }

  public static <T> KStream<String, T> valid(KStream<String, Outcome<T>> outcomes, String name) {
    return outcomes.mapValues(outcome -> ((Outcome.Valid<T>) outcome).value(), Named.as(name));
  }

  /** The dead letters of rejected outcomes, keyed by the original key bytes. */
  public static <T> KStream<byte[], DeadLetter> deadLetters(
      KStream<String, Outcome<T>> rejected, String name) {
    return rejected.map(
        (key, outcome) -> {
          Outcome.Rejected<T> r = (Outcome.Rejected<T>) outcome;
          return KeyValue.pair(r.originalKey(), r.letter());
        },
        Named.as(name + "-dead-letters"));
  }
}
