package ai.candle.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: the embedded broker's data dir runs out of space, or is read-only. The broker runs as a
 * child JVM ({@link EmbeddedKafkaBrokerMain}) on a small tmpfs, because Kafka halts the JVM it runs
 * in when its only log dir fails. Checked: the producer sees errors (no silent success), the broker
 * says {@code No space left on device} / {@code Read-only file system} and exits with status 1
 * instead of hanging, and once space returns a restart on the same data dir and ports serves every
 * acknowledged record exactly once and takes new ones.
 *
 * <p>Needs {@code mount -t tmpfs} (root or CAP_SYS_ADMIN); skipped, saying so, where refused.
 */
class BrokerDiskFullIT {

  private static final String TOPIC = "disk-fill";

  /** Holds the KRaft metadata log and a few MB of records, so the records fill it. */
  private static final int SMALL_TMPFS_MB = 32;

  private static final int GROWN_TMPFS_MB = 64;
  private static final int VALUE_BYTES = 4 * 1024;
  private static final Duration BROKER_START = Duration.ofSeconds(60);

  /** How long the disk may take to fill: at a few MB/s, 32 MB take seconds. */
  private static final Duration FILL_LIMIT = Duration.ofSeconds(60);

  /** The broker must exit within this after the producer stops (no hang on a failed disk). */
  private static final Duration EXIT_LIMIT = Duration.ofSeconds(30);

  private static final Pattern READY_LINE =
      Pattern.compile(
          Pattern.quote(EmbeddedKafkaBrokerMain.READY)
              + " bootstrap=(\\S+):(\\d+) controllerPort=(\\d+)");
  private static final Pattern TIMESTAMP = Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ");
  private static final List<String> CHILD_JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC");

  @TempDir Path work;

  @Test
  void aFullDataDirStopsTheBrokerClearlyAndEveryAcknowledgedRecordSurvivesOnce() throws Exception {
    Path dataDir = work.resolve("disk");
    Files.createDirectories(dataDir);
    try (Tmpfs disk = Tmpfs.mount(dataDir, SMALL_TMPFS_MB)) {
      ChildBroker first = ChildBroker.start(dataDir, 0, 0, work.resolve("broker-full.log"));
      Filled filled;
      try (JvmProcess process = first.process()) {
        createTopic(first.bootstrap());
        filled = produceUntilTheBrokerFails(first);
      }
      assertTrue(filled.failed().size() > 0, "the producer saw no error: " + filled);
      assertTrue(
          filled.acknowledged().size() > 0,
          "nothing was acknowledged before the disk filled: " + filled);
      assertEquals(
          1, filled.exitStatus(), "the broker's exit status; log:\n" + first.process().logTail(40));
      assertTrue(
          first.process().countInLog("No space left on device") > 0,
          "no 'No space left on device' in the broker's log:\n" + first.process().logTail(60));
      assertTrue(
          first.process().countInLog("FATAL Shutdown broker because all log dirs") > 0,
          "the broker did not say why it stops:\n" + first.process().logTail(60));
      assertTrue(
          filled.exitAfterDiskErrorSeconds() <= EXIT_LIMIT.toSeconds(),
          "the broker exited "
              + filled.exitAfterDiskErrorSeconds()
              + " s after its first disk error, later than "
              + EXIT_LIMIT);
      printLines(
          first.process(),
          "Error while appending records",
          "No space left on device",
          "have failed",
          "fatal fault");

      disk.resize(GROWN_TMPFS_MB);
      ChildBroker restarted =
          ChildBroker.start(
              dataDir, first.port(), first.controllerPort(), work.resolve("broker-restarted.log"));
      try (JvmProcess process = restarted.process()) {
        Map<Long, Integer> readBack = readAll(restarted.bootstrap());
        assertEachAcknowledgedOnceAndNoDuplicates(readBack, filled.acknowledged(), filled.sent());
        Set<Long> more = produceAcknowledged(restarted.bootstrap(), filled.sent(), 100);
        Map<Long, Integer> afterMore = readAll(restarted.bootstrap());
        assertTrue(
            afterMore.keySet().containsAll(more), "records produced after the restart are missing");
        printLines(restarted.process(), "Corruption found", "truncat");
        System.out.printf(
            "FIGURES BrokerDiskFullIT disk full: tmpfs=%dMB (grown to %dMB) sent=%d"
                + " acknowledged=%d failedSends=%d errors=%s brokerExited=%.1fs after producing"
                + " started, %.2fs after its first disk error, status %d; readBackAfterRestart=%d"
                + " (unacknowledged among them: %d) producedAfterRestart=%d%n",
            SMALL_TMPFS_MB,
            GROWN_TMPFS_MB,
            filled.sent(),
            filled.acknowledged().size(),
            filled.failed().size(),
            filled.errors(),
            filled.exitSeconds(),
            filled.exitAfterDiskErrorSeconds(),
            filled.exitStatus(),
            readBack.size(),
            readBack.size() - filled.acknowledged().size(),
            more.size());
      }
    }
  }

  @Test
  void aReadOnlyDataDirStopsTheBrokerAtStartAndItsDataIsServedOnceWritable() throws Exception {
    Path dataDir = work.resolve("disk");
    Files.createDirectories(dataDir);
    try (Tmpfs disk = Tmpfs.mount(dataDir, GROWN_TMPFS_MB)) {
      ChildBroker first = ChildBroker.start(dataDir, 0, 0, work.resolve("broker-first.log"));
      Set<Long> acknowledged;
      try (JvmProcess process = first.process()) {
        createTopic(first.bootstrap());
        acknowledged = produceAcknowledged(first.bootstrap(), 0, 500);
      } // SIGTERM: a clean shutdown, so nothing is open for writing and the remount is allowed

      disk.remountReadOnly();
      Path readOnlyLog = work.resolve("broker-read-only.log");
      int status;
      long started = System.nanoTime();
      try (JvmProcess readOnly =
          JvmProcess.start(
              EmbeddedKafkaBrokerMain.class.getName(),
              CHILD_JVM_OPTIONS,
              ChildBroker.args(dataDir, first.port(), first.controllerPort()),
              readOnlyLog)) {
        status = readOnly.awaitExit(BROKER_START);
        assertEquals(
            1,
            status,
            "the broker's exit status on a read-only data dir; log:\n" + readOnly.logTail(40));
        assertTrue(
            readOnly.countInLog("Read-only file system") > 0,
            "no 'Read-only file system' in the broker's log:\n" + readOnly.logTail(60));
        printLines(readOnly, "Read-only file system", "fatal fault");
      }
      double exitSeconds = (System.nanoTime() - started) / 1e9;

      disk.remountReadWrite();
      ChildBroker again =
          ChildBroker.start(
              dataDir, first.port(), first.controllerPort(), work.resolve("broker-writable.log"));
      try (JvmProcess process = again.process()) {
        Map<Long, Integer> readBack = readAll(again.bootstrap());
        assertEachAcknowledgedOnceAndNoDuplicates(readBack, acknowledged, acknowledged.size());
        Set<Long> more = produceAcknowledged(again.bootstrap(), acknowledged.size(), 100);
        assertTrue(
            readAll(again.bootstrap()).keySet().containsAll(more),
            "records produced afterwards are missing");
        System.out.printf(
            "FIGURES BrokerDiskFullIT read-only: tmpfs=%dMB acknowledged=%d brokerExited=%.1fs"
                + " after its start, status %d; readBackAfterRemountRw=%d producedAfter=%d%n",
            GROWN_TMPFS_MB, acknowledged.size(), exitSeconds, status, readBack.size(), more.size());
      }
    }
  }

  /** A child-JVM broker and the ports it listens on. */
  private record ChildBroker(JvmProcess process, String host, int port, int controllerPort) {

    static ChildBroker start(Path dataDir, int port, int controllerPort, Path log)
        throws Exception {
      JvmProcess process =
          JvmProcess.start(
              EmbeddedKafkaBrokerMain.class.getName(),
              CHILD_JVM_OPTIONS,
              args(dataDir, port, controllerPort),
              log);
      try {
        process.awaitLog(EmbeddedKafkaBrokerMain.READY, 1, BROKER_START);
      } catch (AssertionError e) {
        process.kill();
        throw e;
      }
      Matcher ready =
          process.logLines().stream()
              .map(READY_LINE::matcher)
              .filter(Matcher::find)
              .findFirst()
              .orElseThrow();
      return new ChildBroker(
          process,
          ready.group(1),
          Integer.parseInt(ready.group(2)),
          Integer.parseInt(ready.group(3)));
    }

    static List<String> args(Path dataDir, int port, int controllerPort) {
      return List.of(dataDir.toString(), Integer.toString(port), Integer.toString(controllerPort));
    }

    String bootstrap() {
      return host + ":" + port;
    }
  }

  /** What producing into a filling disk gave: every id sent is in exactly one of the two sets. */
  private record Filled(
      long sent,
      Set<Long> acknowledged,
      Set<Long> failed,
      Map<String, Integer> errors,
      int exitStatus,
      double exitSeconds,
      double exitAfterDiskErrorSeconds) {}

  /**
   * Sends uniquely numbered records until a send fails or the broker exits, waits for the broker to
   * exit, then for every send to end (acknowledged, or failed once {@code delivery.timeout.ms}
   * passed without a broker).
   */
  private static Filled produceUntilTheBrokerFails(ChildBroker broker) throws InterruptedException {
    Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
    Set<Long> failed = ConcurrentHashMap.newKeySet();
    Map<String, Integer> errors = new ConcurrentHashMap<>();
    byte[] value = new byte[VALUE_BYTES];
    long started = System.nanoTime();
    long deadline = started + FILL_LIMIT.toNanos();
    long sent = 0;
    CompletableFuture<LocalTime> exitedAt =
        broker.process().onExit().thenApply(status -> LocalTime.now());
    CompletableFuture<Long> exitedNanos =
        broker.process().onExit().thenApply(status -> System.nanoTime());
    int status;
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(producerConfig(broker.bootstrap()))) {
      while (broker.process().isAlive() && failed.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              "the disk did not fill within "
                  + FILL_LIMIT
                  + ": "
                  + acknowledged.size()
                  + " records acknowledged, none failed; broker log:\n"
                  + broker.process().logTail(30));
        }
        long id = sent++;
        try {
          producer.send(
              new ProducerRecord<>(TOPIC, Long.toString(id), value),
              (metadata, error) -> {
                if (error == null) {
                  acknowledged.add(id);
                } else {
                  failed.add(id);
                  errors.merge(error.getClass().getSimpleName(), 1, Integer::sum);
                }
              });
        } catch (KafkaException e) {
          failed.add(id);
          errors.merge(e.getClass().getSimpleName() + "(send)", 1, Integer::sum);
        }
      }
      status = broker.process().awaitExit(EXIT_LIMIT);
      producer.flush();
    }
    assertEquals(
        sent, acknowledged.size() + failed.size(), "every send ends acknowledged or failed");
    LocalTime firstDiskError =
        firstLoggedAt(broker.process(), "Error while appending records")
            .orElseThrow(
                () ->
                    new AssertionError(
                        "the broker's log has no 'Error while appending records':\n"
                            + broker.process().logTail(60)));
    double exitSeconds = (exitedNanos.join() - started) / 1e9;
    double exitAfterDiskError = Duration.between(firstDiskError, exitedAt.join()).toMillis() / 1e3;
    return new Filled(
        sent, acknowledged, failed, new TreeMap<>(errors), status, exitSeconds, exitAfterDiskError);
  }

  private static Properties producerConfig(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(64 * 1024));
    // A small buffer: send() blocks instead of queueing more than the disk can take.
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Integer.toString(1024 * 1024));
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "2000");
    // Sends to a broker that went away fail after seconds, not the default 2 minutes.
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "5000");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  /**
   * Sends {@code count} records numbered from {@code firstId}, each acknowledged before returning.
   */
  private static Set<Long> produceAcknowledged(String bootstrap, long firstId, int count)
      throws ExecutionException, InterruptedException {
    Set<Long> acknowledged = new TreeSet<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(bootstrap))) {
      var sends = new HashMap<Long, Future<?>>();
      for (long id = firstId; id < firstId + count; id++) {
        sends.put(
            id,
            producer.send(new ProducerRecord<>(TOPIC, Long.toString(id), new byte[VALUE_BYTES])));
      }
      for (var send : sends.entrySet()) {
        send.getValue().get();
        acknowledged.add(send.getKey());
      }
    }
    return acknowledged;
  }

  private static void createTopic(String bootstrap) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin
          .createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
      TopicLeaders.await(admin, List.of(TOPIC), Duration.ofSeconds(30));
    }
  }

  /** How often each record id is on the topic, read {@code read_committed} from the beginning. */
  private static Map<Long, Integer> readAll(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    Map<Long, Integer> counts = new TreeMap<>();
    TopicPartition partition = new TopicPartition(TOPIC, 0);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (consumer.position(partition, Duration.ofSeconds(30)) < end) {
        assertTrue(
            System.nanoTime() < deadline, "could not read up to offset " + end + " within 30 s");
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          counts.merge(Long.parseLong(r.key()), 1, Integer::sum);
        }
      }
    }
    return counts;
  }

  private static void assertEachAcknowledgedOnceAndNoDuplicates(
      Map<Long, Integer> readBack, Set<Long> acknowledged, long sent) {
    Set<Long> missing =
        acknowledged.stream()
            .filter(id -> !readBack.containsKey(id))
            .collect(Collectors.toCollection(TreeSet::new));
    Map<Long, Integer> duplicated =
        readBack.entrySet().stream()
            .filter(e -> e.getValue() > 1)
            .collect(
                Collectors.toMap(
                    Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    Set<Long> neverSent =
        readBack.keySet().stream()
            .filter(id -> id < 0 || id >= sent)
            .collect(Collectors.toCollection(TreeSet::new));
    assertTrue(
        missing.isEmpty(),
        missing.size() + " acknowledged records are missing, e.g. " + first(missing));
    assertTrue(
        duplicated.isEmpty(),
        duplicated.size() + " records are there more than once: " + duplicated);
    assertTrue(neverSent.isEmpty(), "records that were never sent: " + first(neverSent));
  }

  /**
   * When the child first logged a line with {@code text} (its lines start with {@code
   * HH:mm:ss.SSS}).
   */
  private static Optional<LocalTime> firstLoggedAt(JvmProcess process, String text) {
    return process.logLines().stream()
        .filter(line -> line.contains(text) && TIMESTAMP.matcher(line).lookingAt())
        .map(line -> LocalTime.parse(line.substring(0, 12)))
        .findFirst();
  }

  private static Set<Long> first(Set<Long> ids) {
    return ids.stream().limit(10).collect(Collectors.toCollection(TreeSet::new));
  }

  private static void printLines(JvmProcess process, String... texts) {
    process.logLines().stream()
        .filter(line -> Arrays.stream(texts).anyMatch(line::contains))
        .limit(6)
        .forEach(
            line ->
                System.out.println(
                    "[broker log] "
                        + (line.length() > 300 ? line.substring(0, 300) + " ..." : line)));
  }
}
