package ai.candle.kafka;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * TLS material generated at test time with the JDK's {@code keytool} (never committed): a
 * self-signed key pair for the broker ({@code CN=localhost}, SAN 127.0.0.1 and localhost) in a
 * PKCS12 key store, and a trust store holding its certificate.
 *
 * @param keyStore the broker's key store
 * @param trustStore a trust store that trusts the broker
 * @param password the password of both stores
 */
public record TestCertificates(Path keyStore, Path trustStore, String password) {

  /** Generates a fresh key pair and stores in {@code dir}. */
  public static TestCertificates generate(Path dir, String alias, String password)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path keyStore = dir.resolve(alias + "-keystore.p12");
    Path cert = dir.resolve(alias + ".crt");
    Path trustStore = dir.resolve(alias + "-truststore.p12");
    keytool(
        "-genkeypair",
        "-alias",
        alias,
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "2",
        "-dname",
        "CN=localhost",
        "-ext",
        "SAN=ip:127.0.0.1,dns:localhost",
        "-keystore",
        keyStore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        password,
        "-keypass",
        password);
    keytool(
        "-exportcert",
        "-alias",
        alias,
        "-keystore",
        keyStore.toString(),
        "-storepass",
        password,
        "-rfc",
        "-file",
        cert.toString());
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        alias,
        "-file",
        cert.toString(),
        "-keystore",
        trustStore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        password);
    return new TestCertificates(keyStore, trustStore, password);
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + output);
    }
  }

  /**
   * Client settings for the broker's secure listener: SASL_SSL with this trust store, the given
   * mechanism (PLAIN or SCRAM-SHA-512) and credentials.
   */
  public java.util.Map<String, Object> clientConfig(
      String bootstrap, String mechanism, String user, String password) {
    String module =
        mechanism.equals("PLAIN")
            ? "org.apache.kafka.common.security.plain.PlainLoginModule"
            : "org.apache.kafka.common.security.scram.ScramLoginModule";
    return java.util.Map.of(
        "bootstrap.servers",
        bootstrap,
        "security.protocol",
        "SASL_SSL",
        "ssl.truststore.location",
        trustStore.toString(),
        "ssl.truststore.password",
        this.password,
        "ssl.truststore.type",
        "PKCS12",
        "sasl.mechanism",
        mechanism,
        "sasl.jaas.config",
        module + " required username=\"" + user + "\" password=\"" + password + "\";");
  }
}
