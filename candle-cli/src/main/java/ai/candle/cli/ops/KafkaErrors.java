package ai.candle.cli.ops;

import ai.candle.cli.internals.UserException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Turns what the Kafka clients throw when the broker is out of reach, refuses this client or is
 * misconfigured into a {@link UserException} that says what to check (exit code 2, one line). The
 * messages name settings, never their values.
 */
final class KafkaErrors {

  private KafkaErrors() {}

  /** Runs {@code body}, translating Kafka's errors for a person. */
  static <T> T explained(KafkaOptions kafka, Callable<T> body) throws Exception {
    try {
      return body.call();
    } catch (KafkaException | ExecutionException e) {
      UserException user = explain(kafka.bootstrapServers(), e);
      if (user == null) {
        throw e;
      }
      throw user;
    }
  }

  /** A user error for a Kafka failure, or null when it is not one a person can fix. */
  static UserException explain(String bootstrap, Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String advice = advice(bootstrap, t);
      if (advice != null) {
        return new UserException(advice, e);
      }
    }
    return null;
  }

  private static String advice(String bootstrap, Throwable t) {
    if (t instanceof AuthenticationException) {
      return "Kafka at "
          + bootstrap
          + " refused to authenticate this client ("
          + t.getMessage()
          + "); check the security settings given with --kafka-config or --kafka-config-file";
    }
    if (t instanceof AuthorizationException) {
      return "Kafka at "
          + bootstrap
          + " does not allow this: "
          + t.getMessage()
          + "; ask for the ACLs, or check the user in --kafka-config";
    }
    if (t instanceof ConfigException) {
      return "a Kafka client setting is wrong: "
          + t.getMessage()
          + " (--kafka-config, --kafka-config-file)";
    }
    if (t instanceof TimeoutException) {
      return "no answer from Kafka at "
          + bootstrap
          + " in time ("
          + t.getMessage()
          + "); is the broker running "
          + "and reachable? Set --bootstrap-servers, and security settings with --kafka-config";
    }
    return null;
  }
}
