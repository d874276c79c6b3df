package ai.candle.cli.ops;

import ai.candle.cli.internals.UserException;
import ai.candle.schemas.SerdeConfig;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Option;

/**
 * Where Kafka is and how to reach it, shared by the operator commands as a picocli mixin: the
 * bootstrap servers and any client setting (security first of all) passed through unchanged to
 * every client a command opens. Values are never printed: they may hold passwords.
 */
public final class KafkaOptions {
  /** The broker of a local deployment; {@code ./candle demo --keep-running} prints its own. */
  public static final String DEFAULT_BOOTSTRAP = "localhost:9092";

  /** How long a command waits for the broker to answer before it says it cannot reach it. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT",
      description =
          "Kafka's bootstrap servers, comma-separated (./candle demo --keep-running prints the address of "
              + "its embedded broker). Default: bootstrap.servers of --kafka-config(-file), else "
              + DEFAULT_BOOTSTRAP
              + ".")
  String bootstrapServers;

  @Option(
      names = "--kafka-config",
      paramLabel = "KEY=VALUE",
      description =
          "A Kafka client setting passed to every client of the command (repeatable), e.g. "
              + "security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512, ssl.truststore.location=FILE. "
              + "Wins over --kafka-config-file.")
  Map<String, String> settings = new LinkedHashMap<>();

  @Option(
      names = "--kafka-config-file",
      paramLabel = "FILE",
      description =
          "A properties file of Kafka client settings, as --kafka-config: keeps passwords "
              + "(sasl.jaas.config, ssl.*.password) off the command line and out of the shell's history.")
  Path settingsFile;

  @Option(
      names = "--serde",
      paramLabel = "FORMAT",
      defaultValue = "single-object",
      description =
          "The wire format the command writes, as the services' serde setting: single-object (Avro "
              + "single-object encoding) or registry (Confluent framing with a schema id; needs --registry-url). Both "
              + "are read. Default: ${DEFAULT-VALUE}.")
  String serde = "single-object";

  @Option(
      names = "--registry-url",
      paramLabel = "URL",
      description =
          "The schema registry's Confluent-compatible REST API, as the services' registry.url (e.g. "
              + "http://localhost:8080/apis/ccompat/v7): needed to write with --serde registry and to read "
              + "registry-framed values.")
  String registryUrl;

  /**
   * The client settings: the file's, then --kafka-config's, then the bootstrap servers. Silences
   * the Kafka clients' own log lines (a retry warning per second while a broker is out of reach):
   * the command says in one line what went wrong.
   */
  public Map<String, Object> clientConfig() {
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "off");
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) DEFAULT_TIMEOUT.toMillis());
    config.put(CommonClientConfigs.CLIENT_ID_CONFIG, "candle-cli");
    config.putAll(fileSettings());
    config.putAll(settings);
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return config;
  }

  /**
   * The topics with these names and the serdes the services use: every operator command encodes and
   * decodes through them, never through a serde of its own.
   */
  public Topics topics(TopicNames names) {
    return Topics.of(names, serdeConfig());
  }

  /** The wire format and registry of --serde and --registry-url, as the services read them. */
  public SerdeConfig serdeConfig() {
    try {
      return SerdeConfig.of(serde, registryUrl);
    } catch (IllegalArgumentException e) {
      throw new UserException(
          e.getMessage().replace("registry.url", "--registry-url") + " (--serde, --registry-url)");
    }
  }

  /** The topics with the default names (for decoding: a serde does not depend on the name). */
  public Topics topics() {
    return topics(TopicNames.defaults());
  }

  /**
   * The default topic names with some replaced (a command's --topic): {@code replace} maps a
   * default name to the one to use.
   */
  static TopicNames names(java.util.function.UnaryOperator<String> replace) {
    TopicNames d = TopicNames.defaults();
    return new TopicNames(
        replace.apply(d.labeledImages()),
        replace.apply(d.unlabeledImages()),
        replace.apply(d.classAnnouncements()),
        replace.apply(d.classes()),
        replace.apply(d.classCounts()),
        replace.apply(d.features()),
        replace.apply(d.models()),
        replace.apply(d.predictions()),
        replace.apply(d.deadLetter()),
        replace.apply(d.trainingStore()),
        replace.apply(d.modelHistory()));
  }

  /** The bootstrap servers the command connects to. */
  public String bootstrapServers() {
    if (bootstrapServers != null) {
      return bootstrapServers;
    }
    Object configured = settings.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    if (configured == null) {
      configured = fileSettings().get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    }
    return configured != null ? configured.toString() : DEFAULT_BOOTSTRAP;
  }

  /** How long to wait for the broker: default.api.timeout.ms when set, else 15 s. */
  public Duration timeout() {
    Object ms = clientConfig().get(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG);
    if (ms == null) {
      return DEFAULT_TIMEOUT;
    }
    try {
      return Duration.ofMillis(Long.parseLong(ms.toString()));
    } catch (NumberFormatException e) {
      throw new UserException("default.api.timeout.ms must be a number of milliseconds");
    }
  }

  private Map<String, String> fileSettings() {
    if (settingsFile == null) {
      return Map.of();
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(settingsFile)) {
      p.load(r);
    } catch (NoSuchFileException e) {
      throw new UserException(
          "the Kafka client settings file "
              + settingsFile
              + " (--kafka-config-file) does not exist");
    } catch (IOException | IllegalArgumentException e) {
      throw new UserException(
          "cannot read the Kafka client settings file "
              + settingsFile
              + " (--kafka-config-file): "
              + e.getMessage(),
          e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }
}
