package ai.candle.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Kafka broker (KRaft, combined broker + controller) running inside this JVM,
 * built from Kafka's own server classes. It is the service's embedded default (no Kafka address
 * configured) and the broker the integration tests use when no Docker engine is present.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().dataDir(dir).start()) {
 *     kafka.createTopics(new NewTopic("t", 3, (short) 1));
 *     String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 *
 * <p>Data lives in {@code <dataDir>/kafka-logs}; the directory is formatted on first start and
 * reused on the next (same data, same cluster id). Without a data dir a temporary one is used and
 * deleted on {@link #close()}. Listens on 127.0.0.1 only.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final String BROKER_LISTENER = "PLAINTEXT";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String HOST = "127.0.0.1";
  private static final int NODE_ID = 1;
  private static final int START_ATTEMPTS = 3;
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  private final KafkaRaftServer server;
  private final Path dataDir;
  private final boolean deleteDataDirOnClose;
  private final int port;
  private final int controllerPort;
  private final int securePort;
  private boolean closed;

  private EmbeddedKafkaBroker(
      KafkaRaftServer server,
      Path dataDir,
      boolean deleteDataDirOnClose,
      int port,
      int controllerPort,
      int securePort) {
    this.server = server;
    this.dataDir = dataDir;
    this.deleteDataDirOnClose = deleteDataDirOnClose;
    this.port = port;
    this.controllerPort = controllerPort;
    this.securePort = securePort;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A broker with a temporary data dir (deleted on close) on a free port. */
  public static EmbeddedKafkaBroker start() {
    return builder().start();
  }

  /** {@code host:port} of the client listener, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  public int port() {
    return port;
  }

  /**
   * {@code host:port} of the {@link SecureListener} (SASL_SSL), for clients that must authenticate.
   *
   * @throws IllegalStateException when the broker was started without one
   */
  public String secureBootstrapServers() {
    if (securePort == 0) {
      throw new IllegalStateException(
          "this broker has no secure listener (Builder.secureListener)");
    }
    return HOST + ":" + securePort;
  }

  /** Port of the KRaft controller listener (internal; clients never use it). */
  public int controllerPort() {
    return controllerPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Creates the topics and waits until their leaders take writes; fails if one exists already. */
  public void createTopics(NewTopic... topics) {
    createTopics(List.of(topics));
  }

  /**
   * Creates the topics and waits until their leaders take writes ({@link TopicLeaders}); fails if
   * one exists already.
   */
  public void createTopics(Collection<NewTopic> topics) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      admin.createTopics(topics).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      TopicLeaders.await(admin, topicNames(topics), ADMIN_TIMEOUT);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "Could not create topics "
              + topicNames(topics)
              + " on "
              + bootstrapServers()
              + ": "
              + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "Creating topics "
              + topicNames(topics)
              + " on "
              + bootstrapServers()
              + " took longer than "
              + ADMIN_TIMEOUT,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating topics " + topicNames(topics), e);
    }
  }

  /** Gives each user a SCRAM-SHA-512 credential (through the PLAINTEXT listener). */
  private void createScramUsers(Map<String, String> users) {
    List<org.apache.kafka.clients.admin.UserScramCredentialAlteration> upserts =
        new java.util.ArrayList<>();
    users.forEach(
        (user, password) ->
            upserts.add(
                new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(
                    user,
                    new org.apache.kafka.clients.admin.ScramCredentialInfo(
                        org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 4096),
                    password)));
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      admin
          .alterUserScramCredentials(upserts)
          .all()
          .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Could not create the SCRAM users " + users.keySet() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating SCRAM users", e);
    }
  }

  /** Creates one topic with replication factor 1 and the given topic configs. */
  public void createTopic(String name, int partitions, Map<String, String> configs) {
    createTopics(new NewTopic(name, partitions, (short) 1).configs(configs));
  }

  /** Stops the broker (controlled shutdown), waits for its threads, frees its ports. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long started = System.nanoTime();
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      if (deleteDataDirOnClose) {
        deleteRecursively(dataDir);
      }
    }
    LOG.info(
        "Embedded Kafka broker on {} stopped in {} ms",
        bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  @Override
  public String toString() {
    return "EmbeddedKafkaBroker[" + bootstrapServers() + ", data " + dataDir + "]";
  }

  private static List<String> topicNames(Collection<NewTopic> topics) {
    return topics.stream().map(NewTopic::name).toList();
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.warn("Could not delete embedded Kafka data dir {}: {}", dir, e.toString());
    }
  }

  /** Options of an {@link EmbeddedKafkaBroker}; {@link #start()} starts it. */
  public static final class Builder {
    private Path dataDir;
    private int port;
    private int controllerPort;
    private SecureListener secure;
    private final Map<String, String> brokerProperties = new LinkedHashMap<>();

    private Builder() {}

    /** Where the broker keeps its data; kept after close. Default: a temp dir deleted on close. */
    public Builder dataDir(Path dir) {
      this.dataDir = Objects.requireNonNull(dir, "dataDir");
      return this;
    }

    /** Client listener port; 0 (the default) picks a free one. */
    public Builder port(int port) {
      this.port = checkPort(port);
      return this;
    }

    /** KRaft controller listener port; 0 (the default) picks a free one. */
    public Builder controllerPort(int port) {
      this.controllerPort = checkPort(port);
      return this;
    }

    /** Adds a SASL_SSL client listener on a free port (see {@link SecureListener}). */
    public Builder secureListener(SecureListener listener) {
      this.secure = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * A broker property (e.g. {@code message.max.bytes}); overrides the embedded defaults,
     * including listeners if you set them (then you also own the ports).
     */
    public Builder brokerProperty(String key, Object value) {
      brokerProperties.put(Objects.requireNonNull(key, "key"), String.valueOf(value));
      return this;
    }

    public Builder brokerProperties(Map<String, ?> properties) {
      properties.forEach(this::brokerProperty);
      return this;
    }

    /**
     * Formats the data dir if needed and starts the broker; returns once it accepts clients. A port
     * picked as free but taken before the broker bound it is retried with new ports.
     */
    public EmbeddedKafkaBroker start() {
      boolean temporary = dataDir == null;
      Path dir = temporary ? createTempDir() : dataDir;
      boolean retryOnBind = port == 0 || controllerPort == 0;
      try {
        for (int attempt = 1; ; attempt++) {
          try {
            return startOnce(dir, temporary);
          } catch (RuntimeException e) {
            if (!retryOnBind || attempt >= START_ATTEMPTS || !causedByBind(e)) {
              throw e;
            }
            LOG.warn(
                "Embedded Kafka broker could not bind a port (attempt {}), retrying: {}",
                attempt,
                e.toString());
          }
        }
      } catch (RuntimeException e) {
        if (temporary) {
          deleteRecursively(dir);
        }
        throw e;
      }
    }

    private EmbeddedKafkaBroker startOnce(Path dir, boolean temporary) {
      long started = System.nanoTime();
      int brokerPort = port != 0 ? port : freePort();
      int ctrlPort = controllerPort != 0 ? controllerPort : freePort(brokerPort);
      int securePort = secure == null ? 0 : freePort(brokerPort, ctrlPort);
      Path logDir = dir.resolve("kafka-logs");
      Properties props = serverProperties(logDir, brokerPort, ctrlPort, securePort);
      KafkaConfig config = KafkaConfig.fromProps(props, false);
      format(logDir);
      KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
      try {
        server.startup();
      } catch (RuntimeException e) {
        shutdownQuietly(server);
        throw new IllegalStateException(
            "Embedded Kafka broker failed to start on "
                + HOST
                + ":"
                + brokerPort
                + " (data "
                + logDir
                + "): "
                + e.getMessage(),
            e);
      }
      EmbeddedKafkaBroker broker =
          new EmbeddedKafkaBroker(server, dir, temporary, brokerPort, ctrlPort, securePort);
      if (secure != null) {
        broker.createScramUsers(secure.users());
      }
      LOG.info(
          "Embedded Kafka broker (KRaft) ready on {} in {} ms, data in {}",
          broker.bootstrapServers(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
          logDir);
      return broker;
    }

    private Properties serverProperties(Path logDir, int brokerPort, int ctrlPort, int securePort) {
      Properties p = new Properties();
      p.put("process.roles", "broker,controller");
      p.put("node.id", String.valueOf(NODE_ID));
      p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + ctrlPort);
      p.put(
          "listeners",
          BROKER_LISTENER
              + "://"
              + HOST
              + ":"
              + brokerPort
              + ","
              + CONTROLLER_LISTENER
              + "://"
              + HOST
              + ":"
              + ctrlPort);
      p.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort);
      p.put("controller.listener.names", CONTROLLER_LISTENER);
      p.put("inter.broker.listener.name", BROKER_LISTENER);
      p.put(
          "listener.security.protocol.map",
          BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
      p.put("log.dirs", logDir.toString());
      // One node: every internal topic has one replica; fewer partitions keep startup fast.
      p.put("offsets.topic.replication.factor", "1");
      p.put("offsets.topic.num.partitions", "5");
      p.put("transaction.state.log.replication.factor", "1");
      p.put("transaction.state.log.min.isr", "1");
      p.put("transaction.state.log.num.partitions", "5");
      p.put("share.coordinator.state.topic.replication.factor", "1");
      p.put("share.coordinator.state.topic.min.isr", "1");
      p.put("group.initial.rebalance.delay.ms", "0");
      p.put("num.partitions", "1");
      if (secure != null) {
        String listener = SecureListener.NAME + "://" + HOST + ":" + securePort;
        p.put("listeners", p.get("listeners") + "," + listener);
        p.put("advertised.listeners", p.get("advertised.listeners") + "," + listener);
        p.put(
            "listener.security.protocol.map",
            p.get("listener.security.protocol.map") + "," + SecureListener.NAME + ":SASL_SSL");
        p.putAll(secure.brokerProperties());
      }
      p.putAll(brokerProperties);
      return p;
    }

    private static void format(Path logDir) {
      if (Files.exists(logDir.resolve("meta.properties"))) {
        return; // formatted before: a restart keeps the data and the cluster id
      }
      try {
        Files.createDirectories(logDir);
        new Formatter()
            .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
            .setNodeId(NODE_ID)
            .setClusterId(Uuid.randomUuid().toString())
            .setDirectories(List.of(logDir.toString()))
            .setMetadataLogDirectory(logDir.toString())
            .setControllerListenerName(CONTROLLER_LISTENER)
            .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
            .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
            .run();
      } catch (Exception e) {
        throw new IllegalStateException(
            "Could not format Kafka data dir "
                + logDir
                + " (delete it, or give another data dir): "
                + e.getMessage(),
            e);
      }
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
      try {
        server.shutdown();
        server.awaitShutdown();
      } catch (RuntimeException e) {
        LOG.warn("Shutting down a broker that failed to start also failed: {}", e.toString());
      }
    }

    private static boolean causedByBind(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof BindException
            || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
          return true;
        }
      }
      return false;
    }

    private static Path createTempDir() {
      try {
        return Files.createTempDirectory("embedded-kafka-");
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Could not create a temp dir for the embedded Kafka broker", e);
      }
    }

    private static int checkPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 (free) or 1..65535, was " + port);
      }
      return port;
    }

    private static int freePort(int... avoid) {
      for (int i = 0; i < 10; i++) {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
          int candidate = s.getLocalPort();
          if (java.util.Arrays.stream(avoid).noneMatch(a -> a == candidate)) {
            return candidate;
          }
        } catch (IOException e) {
          throw new UncheckedIOException("Could not find a free port on " + HOST, e);
        }
      }
      throw new IllegalStateException("Could not find a free port on " + HOST);
    }
  }
}
