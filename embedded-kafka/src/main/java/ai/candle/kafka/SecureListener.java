package ai.candle.kafka;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A second client listener of an {@link EmbeddedKafkaBroker}, secured with TLS and SASL ({@code
 * SASL_SSL}): the broker presents the certificate in {@code keyStore} (PKCS12), and clients
 * authenticate with PLAIN or SCRAM-SHA-512 as one of {@code users} (name to password). The
 * PLAINTEXT listener stays for the broker's own use (inter-broker traffic, creating the SCRAM
 * credentials); services under test connect to the secured one.
 *
 * @param keyStore PKCS12 key store holding the broker's key and certificate
 * @param keyStorePassword its password (also the key's)
 * @param users SASL users, name to password; each gets PLAIN and SCRAM-SHA-512 credentials
 */
public record SecureListener(Path keyStore, String keyStorePassword, Map<String, String> users) {

  /** The listener's name in the broker's configuration. */
  public static final String NAME = "SECURE";

  public SecureListener {
    Objects.requireNonNull(keyStore, "keyStore");
    Objects.requireNonNull(keyStorePassword, "keyStorePassword");
    users = Map.copyOf(users);
    if (users.isEmpty()) {
      throw new IllegalArgumentException("a secure listener needs at least one SASL user");
    }
  }

  /** Broker properties of the listener (added to the PLAINTEXT and controller ones). */
  Map<String, String> brokerProperties() {
    String prefix = "listener.name." + NAME.toLowerCase(java.util.Locale.ROOT) + ".";
    StringBuilder plain =
        new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
    users.forEach(
        (user, password) ->
            plain.append(" user_").append(user).append("=\"").append(password).append('"'));
    plain.append(';');
    Map<String, String> p = new LinkedHashMap<>();
    p.put("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512");
    p.put(prefix + "sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512");
    p.put(prefix + "plain.sasl.jaas.config", plain.toString());
    p.put(
        prefix + "scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    p.put(prefix + "ssl.keystore.location", keyStore.toString());
    p.put(prefix + "ssl.keystore.password", keyStorePassword);
    p.put(prefix + "ssl.key.password", keyStorePassword);
    p.put(prefix + "ssl.keystore.type", "PKCS12");
    return p;
  }

  @Override
  public String toString() {
    return "SecureListener[" + keyStore + ", users " + users.keySet() + "]";
  }
}
