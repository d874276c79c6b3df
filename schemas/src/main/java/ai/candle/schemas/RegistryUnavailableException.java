package ai.candle.schemas;

import org.apache.kafka.common.errors.RetriableException;

/**
 * The schema registry did not answer (connection refused, timeouts, 5xx) within the client's
 * patience. Not a {@link org.apache.kafka.common.errors.SerializationException}: the record is not
 * at fault, so it is never dead-lettered for it; the service stops instead and, restarted, reads
 * the record again from its last committed offset.
 */
public final class RegistryUnavailableException extends RetriableException {
  RegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
