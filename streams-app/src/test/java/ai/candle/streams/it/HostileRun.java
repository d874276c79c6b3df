package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.kafka.JvmProcess;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.Prediction;
import ai.candle.schemas.TopicNames;
import ai.candle.streams.it.HostileRecords.Input;
import ai.candle.streams.it.HostileRecords.Planned;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.LongDeserializer;

/**
 * Sends the hostile records, remembers where each one landed (topic, partition, offset), reads
 * every output read_committed and checks it against what was sent.
 */
final class HostileRun implements AutoCloseable {

  /** Where a record is: how dead letters are matched to what was sent. */
  record Where(String topic, int partition, long offset) {}

  /** One dead letter as read, checked against the record it names on the way in. */
  record DeadSeen(Where where, String category, String reason, String problem, int recordBytes) {}

  record FeatureSeen(String imageId, String className, int width) {}

  record PredictionSeen(String imageId, boolean prequential) {}

  record Figures(
      int malformed,
      int valid,
      int deadLetters,
      Map<String, Long> categories,
      int features,
      int predictions,
      int prequential,
      int classes) {}

  static final int MAX_REASON_CHARS = 2_000;

  /** How long no new dead letter may come before the checks run (and name what is missing). */
  static final Duration STALL = Duration.ofSeconds(45);

  private static final AvroSerde<DeadLetter> DEAD = AvroSerde.of(DeadLetter.class);
  private static final AvroSerde<FeatureRecord> FEATURES = AvroSerde.of(FeatureRecord.class);
  private static final AvroSerde<Prediction> PREDICTIONS = AvroSerde.of(Prediction.class);
  private static final AvroSerde<ClassInfo> CLASSES = AvroSerde.of(ClassInfo.class);

  private final TopicNames topics;
  private final long startNanos = System.nanoTime();
  private final Admin admin;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Map<Where, Planned> sent = new HashMap<>();
  private final CommittedTopic<DeadSeen> deadLetters;
  private final CommittedTopic<FeatureSeen> features;
  private final CommittedTopic<PredictionSeen> predictions;
  private final CommittedTopic<Map.Entry<String, Long>> counts;
  private final CommittedTopic<String> classes;

  HostileRun(String bootstrapServers, TopicNames topics) {
    this.topics = topics;
    this.admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers));
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.deadLetters =
        new CommittedTopic<>(
            bootstrapServers,
            topics.deadLetter(),
            r -> seen(DEAD.decode(r.value()), r.serializedKeySize() + r.serializedValueSize()));
    this.features =
        new CommittedTopic<>(
            bootstrapServers,
            topics.features(),
            r -> {
              FeatureRecord f = FEATURES.decode(r.value());
              return new FeatureSeen(f.getImageId(), f.getClassName(), f.getFeature().size());
            });
    this.predictions =
        new CommittedTopic<>(
            bootstrapServers,
            topics.predictions(),
            r -> {
              Prediction prediction = PREDICTIONS.decode(r.value());
              return new PredictionSeen(prediction.getImageId(), prediction.getPrequential());
            });
    LongDeserializer longs = new LongDeserializer();
    this.counts =
        new CommittedTopic<>(
            bootstrapServers,
            topics.classCounts(),
            r ->
                Map.entry(
                    new String(r.key(), StandardCharsets.UTF_8),
                    longs.deserialize(r.topic(), r.value())));
    this.classes =
        new CommittedTopic<>(
            bootstrapServers, topics.classes(), r -> CLASSES.decode(r.value()).getName());
  }

  void progress(String message) {
    System.out.printf("[hostile-it %6.1f s] %s%n", (System.nanoTime() - startNanos) / 1e9, message);
  }

  /** Sends the lists interleaved (one record of each in turn), waits for every acknowledgement. */
  void send(List<List<Planned>> lists) throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    List<Planned> order = new ArrayList<>();
    int longest = lists.stream().mapToInt(List::size).max().orElse(0);
    for (int i = 0; i < longest; i++) {
      for (List<Planned> list : lists) {
        if (i < list.size()) {
          Planned p = list.get(i);
          order.add(p);
          acks.add(
              producer.send(new ProducerRecord<>(p.input().topic(topics), p.key(), p.value())));
        }
      }
    }
    producer.flush();
    for (int i = 0; i < acks.size(); i++) {
      RecordMetadata m = acks.get(i).get(60, TimeUnit.SECONDS);
      sent.put(new Where(m.topic(), m.partition(), m.offset()), order.get(i));
    }
  }

  int sent() {
    return sent.size();
  }

  /**
   * Reads the outputs until every malformed record has a dead letter, every valid one its output
   * and both apps committed the end of their inputs; then reads each output to its end (late
   * duplicates show). Fails at once if the app exits.
   */
  void awaitOutputs(JvmProcess app, Map<String, Set<Input>> groups, Duration timeout)
      throws Exception {
    long malformed = sent.values().stream().filter(p -> !p.valid()).count();
    long labeled = validOf(Input.LABELED).size();
    long unlabeled = validOf(Input.UNLABELED).size();
    long[] lastChange = {System.nanoTime(), 0};
    deadLetters.readUntil(
        rs -> {
          app.assertAlive("while dead letters arrive");
          if (rs.size() != lastChange[1]) {
            lastChange[0] = System.nanoTime();
            lastChange[1] = rs.size();
          }
          // none for a while: on to the checks, which name what is missing
          return rs.size() >= malformed || System.nanoTime() - lastChange[0] > STALL.toNanos();
        },
        timeout,
        rs ->
            rs.size()
                + " of "
                + malformed
                + " dead letters; by category "
                + categories(rs)
                + "\napp log tail:\n"
                + app.logTail(30));
    progress("read " + deadLetters.records().size() + " of " + malformed + " dead letters");
    features.readUntil(
        rs -> rs.size() >= labeled, timeout, rs -> rs.size() + " of " + labeled + " features");
    predictions.readUntil(
        rs -> rs.stream().filter(s -> !s.prequential()).count() >= unlabeled,
        timeout,
        rs ->
            rs.stream().filter(s -> !s.prequential()).count()
                + " of "
                + unlabeled
                + " predictions");
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<TopicPartition, Long> allEnds = inputEnds();
    for (Map.Entry<String, Set<Input>> group : groups.entrySet()) {
      Set<String> inputs =
          group.getValue().stream().map(i -> i.topic(topics)).collect(Collectors.toSet());
      Map<TopicPartition, Long> ends =
          allEnds.entrySet().stream()
              .filter(e -> inputs.contains(e.getKey().topic()))
              .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
      while (!committedTo(group.getKey(), ends)) {
        app.assertAlive("while " + group + " commits its input");
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              group + " did not commit its inputs' ends " + ends + " within " + timeout);
        }
        Thread.sleep(250);
      }
      // the input's end committed is not enough: counts are made by a second sub-topology
      // behind a repartition topic, which must have caught up too
      while (!committedEverything(group.getKey())) {
        app.assertAlive("while " + group + " commits its repartition topics");
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              group + " did not commit the ends of all its partitions within " + timeout);
        }
        Thread.sleep(250);
      }
    }
    Duration rest = Duration.ofSeconds(60);
    deadLetters.readToEnd(rest);
    features.readToEnd(rest);
    predictions.readToEnd(rest);
    counts.readToEnd(rest);
    classes.readToEnd(rest);
  }

  /** The exact checks; returns the figures. */
  Figures check(List<String> labels) {
    List<DeadSeen> dead = deadLetters.records();
    Map<Where, Integer> times = new HashMap<>();
    Map<String, Long> problems = new TreeMap<>(); // what went wrong, by kind, with a count
    List<String> examples = new ArrayList<>();
    for (DeadSeen d : dead) {
      times.merge(d.where(), 1, Integer::sum);
      Planned p = sent.get(d.where());
      String problem;
      if (p == null) {
        problem = "dead letter names a record never sent";
      } else if (p.valid()) {
        problem = "valid " + p.input() + " record dead-lettered as " + d.category();
      } else if (d.problem() != null) {
        problem = p.hostility() + ": " + d.problem().replaceAll("\\d+", "N");
      } else if (!p.hostility().categories(p.input()).contains(d.category())) {
        problem = p.hostility() + " on " + p.input() + " dead-lettered as " + d.category();
      } else {
        continue;
      }
      problems.merge(problem, 1L, Long::sum);
      if (examples.size() < 10) {
        examples.add(d.where() + " " + problem + "; reason: " + d.reason());
      }
    }
    sent.forEach(
        (where, p) -> {
          if (!p.valid() && !times.containsKey(where)) {
            problems.merge(
                p.hostility() + " on " + p.input() + " without a dead letter", 1L, Long::sum);
            if (examples.size() < 10) {
              examples.add(where + " " + p.hostility() + " without a dead letter");
            }
          }
        });
    times.forEach(
        (where, n) -> {
          if (n > 1) {
            problems.merge("dead-lettered more than once", 1L, Long::sum);
          }
        });
    assertTrue(
        problems.isEmpty(),
        "dead letters: " + problems + "\nexamples:\n" + String.join("\n", examples));
    int largest = dead.stream().mapToInt(DeadSeen::recordBytes).max().orElse(0);
    progress("largest dead letter on the topic: " + largest + " bytes (key + value)");

    List<FeatureSeen> fs = features.records();
    Map<String, String> expectedLabels =
        validOf(Input.LABELED).stream().collect(Collectors.toMap(Planned::id, Planned::label));
    assertEquals(expectedLabels.size(), fs.size(), "features (read_committed)");
    for (FeatureSeen f : fs) {
      assertEquals(
          expectedLabels.get(f.imageId()), f.className(), "class of feature " + f.imageId());
      assertEquals(HostileInputIT.WIDTH, f.width(), "width of feature " + f.imageId());
    }
    assertEquals(
        expectedLabels.keySet(),
        fs.stream().map(FeatureSeen::imageId).collect(Collectors.toSet()),
        "image ids on the features topic");

    Map<String, Long> expectedCounts =
        expectedLabels.values().stream()
            .collect(Collectors.groupingBy(l -> l, TreeMap::new, Collectors.counting()));
    Map<String, Long> latest = new TreeMap<>();
    counts.records().forEach(e -> latest.put(e.getKey(), e.getValue()));
    assertEquals(expectedCounts, latest, "latest class counts");

    List<PredictionSeen> ps = predictions.records();
    List<String> scored =
        ps.stream().filter(s -> !s.prequential()).map(PredictionSeen::imageId).toList();
    Set<String> expectedScored =
        validOf(Input.UNLABELED).stream().map(Planned::id).collect(Collectors.toSet());
    assertEquals(
        expectedScored.size(), scored.size(), "predictions of unlabelled images (one each)");
    assertEquals(expectedScored, new HashSet<>(scored), "ids of the scored unlabelled images");
    long prequential = ps.stream().filter(PredictionSeen::prequential).count();
    assertEquals(
        expectedLabels.size(),
        prequential,
        "prequential predictions (one per valid labelled image)");

    Set<String> registered = new HashSet<>(classes.records());
    Set<String> expectedClasses =
        new HashSet<>(labels.stream().filter(latest::containsKey).toList());
    validOf(Input.ANNOUNCEMENT).forEach(p -> expectedClasses.add(p.id()));
    assertEquals(
        expectedClasses, registered, "classes registered: the announced ones and the labels");

    int malformed = (int) sent.values().stream().filter(p -> !p.valid()).count();
    return new Figures(
        malformed,
        sent.size() - malformed,
        dead.size(),
        categories(dead),
        fs.size(),
        scored.size(),
        (int) prequential,
        registered.size());
  }

  /**
   * No log line or metrics series carries a 1 MB text, an image id, a label or a class name (metric
   * tags stay bounded); the dead-letter counter has one series per reason. Prints the largest
   * metric families.
   */
  void assertBoundedLogsAndMetrics(JvmProcess app, String metricsUrl) throws Exception {
    String repeated = HostileRecords.LONG_TEXT_UNIT.repeat(3);
    int longestLine = 0;
    for (String line : app.logLines()) {
      longestLine = Math.max(longestLine, line.length());
      assertTrue(
          !line.contains(repeated),
          "a log line repeats a 1 MB text: " + line.substring(0, Math.min(300, line.length())));
    }
    assertTrue(longestLine < 20_000, "longest log line " + longestLine + " chars");
    List<String> series =
        ScoringRun.scrape(metricsUrl)
            .lines()
            .filter(l -> !l.startsWith("#") && !l.isBlank())
            .toList();
    Map<String, Long> families =
        series.stream()
            .collect(Collectors.groupingBy(l -> l.split("[{ ]", 2)[0], Collectors.counting()));
    List<String> largest =
        families.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .limit(3)
            .map(e -> e.getKey() + "=" + e.getValue())
            .toList();
    int longestSeries = series.stream().mapToInt(String::length).max().orElse(0);
    progress(
        "longest app log line: "
            + longestLine
            + " chars; /metrics: "
            + series.size()
            + " series in "
            + families.size()
            + " families (largest "
            + largest
            + "), longest "
            + longestSeries
            + " chars");
    java.util.regex.Pattern leaked =
        java.util.regex.Pattern.compile(
            "(hostile|valid)-(labeled|unlabeled|announcement)-\\d|hostile_(tench|goldfish|shark|announced)|"
                + HostileRecords.LONG_TEXT_UNIT);
    List<String> leaks = series.stream().filter(l -> leaked.matcher(l).find()).limit(5).toList();
    assertTrue(
        leaks.isEmpty(), "metric series carrying an id, label or text of the input: " + leaks);
    assertTrue(longestSeries < 2_000, "longest metric series " + longestSeries + " chars");
    assertEquals(
        ai.candle.streams.validation.RejectReason.values().length,
        families.getOrDefault("candle_dead_letters_total", 0L),
        "series of candle_dead_letters_total");
  }

  private DeadSeen seen(DeadLetter d, int recordBytes) {
    Where where = new Where(d.getTopic(), d.getPartition(), d.getOffset());
    String reason = d.getReason();
    String shortReason = reason.length() > 300 ? reason.substring(0, 300) + "..." : reason;
    return new DeadSeen(
        where, d.getCategory(), shortReason, problem(d, sent.get(where)), recordBytes);
  }

  /** What is wrong with a dead letter given the record it names; null when nothing is. */
  private static String problem(DeadLetter d, Planned p) {
    if (p == null) {
      return null; // reported by check()
    }
    if (d.getReason().isBlank()) {
      return "blank reason";
    }
    if (d.getReason().length() > MAX_REASON_CHARS) {
      return "reason of " + d.getReason().length() + " chars";
    }
    if (d.getErrorClass().isBlank()) {
      return "blank error class";
    }
    if (!p.valid()
        && p.hostility().reasonNames() != null
        && !d.getReason().contains(p.hostility().reasonNames())) {
      return "reason does not name " + p.hostility().reasonNames() + ": " + d.getReason();
    }
    String value =
        originalMatches("value", d.getOriginalValue(), d.getOriginalValueSize(), p.value());
    return value != null
        ? value
        : originalMatches("key", d.getOriginalKey(), originalKeySize(d), p.key());
  }

  private static Long originalKeySize(DeadLetter d) {
    return d.getSchema().getField("originalKeySize") == null
        ? null
        : (Long) d.get(d.getSchema().getField("originalKeySize").pos());
  }

  private static String originalMatches(
      String what, ByteBuffer kept, Long fullSize, byte[] original) {
    if (original == null) {
      return kept == null ? null : what + ": kept bytes for a null original";
    }
    if (kept == null) {
      return what + ": original of " + original.length + " bytes not kept";
    }
    byte[] bytes = new byte[kept.remaining()];
    kept.duplicate().get(bytes);
    if (fullSize == null) {
      return Arrays.equals(bytes, original) ? null : what + ": kept bytes differ from the original";
    }
    if (fullSize != original.length) {
      return what + ": size " + fullSize + " recorded, original has " + original.length;
    }
    return Arrays.equals(bytes, Arrays.copyOf(original, bytes.length))
        ? null
        : what + ": kept bytes are not the original's first " + bytes.length;
  }

  private static Map<String, Long> categories(List<DeadSeen> dead) {
    return dead.stream()
        .collect(Collectors.groupingBy(DeadSeen::category, TreeMap::new, Collectors.counting()));
  }

  private List<Planned> validOf(Input input) {
    return sent.values().stream().filter(p -> p.valid() && p.input() == input).toList();
  }

  private Map<TopicPartition, Long> inputEnds() throws Exception {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (Where w : sent.keySet()) {
      request.put(new TopicPartition(w.topic(), w.partition()), OffsetSpec.latest());
    }
    return admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  /** Whether {@code group} committed at least the end of each of these partitions. */
  private boolean committedTo(String group, Map<TopicPartition, Long> ends) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(30, TimeUnit.SECONDS);
    return ends.entrySet().stream()
        .allMatch(
            end ->
                committed.get(end.getKey()) != null
                    && committed.get(end.getKey()).offset() >= end.getValue());
  }

  /**
   * Whether {@code group} committed the end of every partition it consumes (internal topics
   * included).
   */
  private boolean committedEverything(String group) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(30, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    committed.keySet().forEach(tp -> request.put(tp, OffsetSpec.latest()));
    Map<TopicPartition, Long> ends =
        admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    return committedTo(group, ends);
  }

  @Override
  public void close() {
    deadLetters.close();
    features.close();
    predictions.close();
    counts.close();
    classes.close();
    producer.close(Duration.ofSeconds(5));
    admin.close(Duration.ofSeconds(5));
  }
}
