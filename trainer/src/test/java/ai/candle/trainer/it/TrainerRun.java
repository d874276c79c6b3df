package ai.candle.trainer.it;

import ai.candle.kafka.TopicLeaders;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ClassStatus;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.TextFeatureSource;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.TopicSpecs;
import ai.candle.schemas.Topics;
import ai.candle.schemas.VersionAssembler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One trainer scenario on a real broker: its own topics (a name prefix), what the streams app would
 * write (classes, features, exactly-once counts) and a reader of the models topic.
 */
final class TrainerRun implements AutoCloseable {
  final String bootstrap;
  final TopicNames names;
  final Topics topics;
  final int dim;
  private final KafkaProducer<String, byte[]> producer;
  private final Map<String, Long> sent = new HashMap<>();
  private final Map<String, float[]> directions = new HashMap<>();
  private final Random random = new Random(42);
  private int nextIndex;

  /** Norm of the noise added to an image's class direction (norm 1); larger is harder. */
  double imageNoise = 0.6;

  /**
   * When set, a class's images that the trainer will train on (not hold out, at holdout.percent 20)
   * look like this class's instead: training data that contradicts the holdout.
   */
  java.util.function.UnaryOperator<String> trainingLooksLike;

  /**
   * @param topicMaxMessageBytes the models topics' max.message.bytes; 0: the broker's default
   */
  TrainerRun(String bootstrap, String prefix, int dim, int topicMaxMessageBytes) throws Exception {
    this.bootstrap = bootstrap;
    this.dim = dim;
    TopicNames d = TopicNames.defaults();
    this.names =
        new TopicNames(
            prefix + d.labeledImages(),
            prefix + d.unlabeledImages(),
            prefix + d.classAnnouncements(),
            prefix + d.classes(),
            prefix + d.classCounts(),
            prefix + d.features(),
            prefix + d.models(),
            prefix + d.predictions(),
            prefix + d.deadLetter(),
            prefix + d.trainingStore(),
            prefix + d.modelHistory());
    this.topics = Topics.of(names);
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<NewTopic> specs = TopicSpecs.all(names, 3, (short) 1);
      if (topicMaxMessageBytes > 0) {
        for (NewTopic t : specs) {
          if (t.name().equals(names.models()) || t.name().equals(names.modelHistory())) {
            Map<String, String> configs = new HashMap<>(t.configs());
            configs.put("max.message.bytes", Integer.toString(topicMaxMessageBytes));
            t.configs(configs);
          }
        }
      }
      admin.createTopics(specs).all().get();
      TopicLeaders.await(
          admin, specs.stream().map(NewTopic::name).toList(), Duration.ofSeconds(30));
    }
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.LINGER_MS_CONFIG,
                5),
            new StringSerializer(),
            new ByteArraySerializer());
  }

  /** A child JVM's log file that outlives the test: target/it-logs/NAME.log, emptied first. */
  static java.nio.file.Path freshLogFile(String name) throws java.io.IOException {
    java.nio.file.Path log =
        java.nio.file.Path.of("target", "it-logs", name + ".log").toAbsolutePath();
    java.nio.file.Files.deleteIfExists(log);
    return log;
  }

  /** Trainer flags for this run's topics. */
  List<String> trainerArgs(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--bootstrap-servers",
                bootstrap,
                "--feature-width",
                Integer.toString(dim),
                "--clip-model-id",
                "synthetic",
                "--topic-classes",
                names.classes(),
                "--topic-class-counts",
                names.classCounts(),
                "--topic-features",
                names.features(),
                "--topic-models",
                names.models(),
                "--topic-training-store",
                names.trainingStore(),
                "--topic-model-history",
                names.modelHistory(),
                // a child JVM's endpoint: loopback, any free port (a later --metrics-port wins)
                "--metrics-address",
                "127.0.0.1",
                "--metrics-port",
                "0"));
    args.addAll(List.of(extra));
    return args;
  }

  /** A class's synthetic direction: images and text lie near it (text with its own offset). */
  float[] direction(String className) {
    return directions.computeIfAbsent(className, k -> gaussian(1.0));
  }

  /** Registers a class as the streams app would on an announcement: NEW, with its text feature. */
  void announce(String className) throws Exception {
    float[] text = normalise(add(direction(className), gaussian(0.3)));
    ClassInfo info =
        ClassInfo.newBuilder()
            .setName(className)
            .setIndex(nextIndex++)
            .setStatus(ClassStatus.NEW)
            .setTextFeatureSource(TextFeatureSource.ANNOUNCEMENT)
            .setTextFeature(boxed(text))
            .setPrompt("a photo of a " + className + ".")
            .setAliases(List.of())
            .setFirstSeen(Instant.now())
            .build();
    send(
        names.classes(),
        className,
        topics.classes().valueSerde().serializer().serialize(names.classes(), info));
  }

  /** Sends {@code n} labelled features of a class, then its new exactly-once count. */
  void sendImages(String className, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      long k = sent.merge(className, 1L, Long::sum);
      String id = className + "-" + k;
      boolean trains = k == 1 || !ai.candle.trainer.Trainer.hashedIntoHoldout(id, 20);
      String looks =
          trainingLooksLike != null && trains ? trainingLooksLike.apply(className) : className;
      float[] f = normalise(add(direction(looks), gaussian(imageNoise)));
      FeatureRecord r =
          FeatureRecord.newBuilder()
              .setImageId(id)
              .setClassName(className)
              .setFeature(boxed(f))
              .setEventTime(Instant.now())
              .setSource(null)
              .build();
      producer.send(
          new ProducerRecord<>(
              names.features(),
              className,
              topics.features().valueSerde().serializer().serialize(names.features(), r)));
    }
    send(
        names.classCounts(),
        className,
        Serdes.Long().serializer().serialize(names.classCounts(), sent.get(className)));
  }

  /**
   * Lets every record of the features topic expire: retention.ms of one second until the broker's
   * retention check deleted them all (log start = log end on every partition), then the broker's
   * retention again. The broker must check retention often ({@code
   * log.retention.check.interval.ms}).
   */
  void expireFeatures(Duration timeout) throws Exception {
    ConfigResource features = new ConfigResource(ConfigResource.Type.TOPIC, names.features());
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      alter(
          admin,
          features,
          new AlterConfigOp(
              new ConfigEntry(TopicConfig.RETENTION_MS_CONFIG, "1000"), AlterConfigOp.OpType.SET));
      List<TopicPartition> parts =
          admin
              .describeTopics(List.of(names.features()))
              .allTopicNames()
              .get()
              .get(names.features())
              .partitions()
              .stream()
              .map(p -> new TopicPartition(names.features(), p.partition()))
              .toList();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!allExpired(admin, parts)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the features topic still holds records after " + timeout);
        }
        Thread.sleep(200);
      }
      alter(
          admin,
          features,
          new AlterConfigOp(
              new ConfigEntry(TopicConfig.RETENTION_MS_CONFIG, ""), AlterConfigOp.OpType.DELETE));
    }
  }

  private static void alter(Admin admin, ConfigResource topic, AlterConfigOp op) throws Exception {
    admin.incrementalAlterConfigs(Map.of(topic, List.of(op))).all().get();
  }

  private static boolean allExpired(Admin admin, List<TopicPartition> parts) throws Exception {
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (TopicPartition p : parts) {
      earliest.put(p, OffsetSpec.earliest());
      latest.put(p, OffsetSpec.latest());
    }
    var start = admin.listOffsets(earliest).all().get();
    var end = admin.listOffsets(latest).all().get();
    return parts.stream().allMatch(p -> start.get(p).offset() == end.get(p).offset());
  }

  /** Fresh images of a class (not sent), drawn like the sent ones. */
  float[][] freshImages(String className, int n) {
    float[][] out = new float[n][];
    for (int i = 0; i < n; i++) {
      out[i] = normalise(add(direction(className), gaussian(imageNoise)));
    }
    return out;
  }

  Map<String, Long> sent() {
    return Map.copyOf(sent);
  }

  private void send(String topic, String key, byte[] value)
      throws ExecutionException, InterruptedException {
    producer.send(new ProducerRecord<>(topic, key, value)).get();
  }

  /**
   * Every committed version on the models topic so far, read as documented
   * (ModelVersions.consumerConfig, chunked versions joined by VersionAssembler) and as the scorers
   * read it ({@code read_committed}).
   */
  List<ModelVersion> versions() {
    return versions(names.models());
  }

  /** Every committed version on the models' history topic so far ({@code read_committed}). */
  List<ModelVersion> historyVersions() {
    return versions(names.modelHistory());
  }

  private List<ModelVersion> versions(String topic) {
    List<ModelVersion> out = new ArrayList<>();
    VersionAssembler chunks = new VersionAssembler(ModelVersions.DEFAULT_MAX_BYTES);
    readCommitted(
        topic,
        r -> {
          ModelVersion whole =
              chunks.offer(
                  topics.models().valueSerde().deserializer().deserialize(r.topic(), r.value()));
          if (whole != null) {
            out.add(whole);
          }
        });
    return out;
  }

  /** The value size of every committed record on the models topic, in order. */
  List<Integer> recordSizes() {
    List<Integer> out = new ArrayList<>();
    readCommitted(names.models(), r -> out.add(r.value().length));
    return out;
  }

  /** Every committed record of a one-partition topic, in order, to its end offset now. */
  private void readCommitted(
      String topic, java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
    Map<String, Object> props = new HashMap<>(ModelVersions.consumerConfig());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition p = new TopicPartition(topic, 0);
      c.assign(List.of(p));
      c.seekToBeginning(List.of(p));
      long end = c.endOffsets(List.of(p)).get(p);
      while (c.position(p) < end) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          each.accept(r);
        }
      }
    }
  }

  /** Polls the models topic until a version matches. */
  ModelVersion awaitVersion(Predicate<ModelVersion> wanted, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (ModelVersion v : versions()) {
        if (wanted.test(v)) {
          return v;
        }
      }
      Thread.sleep(25);
    }
    throw new AssertionError(
        "no version "
            + what
            + " within "
            + timeout
            + "; versions: "
            + versions().stream()
                .map(v -> v.getVersion() + "/" + v.getOrigin() + "/" + v.getClasses().size())
                .toList());
  }

  static boolean hasClass(ModelVersion v, String name) {
    return v.getClasses().stream().anyMatch(c -> c.getName().equals(name));
  }

  private float[] gaussian(double sigma) {
    float[] v = new float[dim];
    for (int k = 0; k < dim; k++) {
      v[k] = (float) (random.nextGaussian() * sigma / Math.sqrt(dim));
    }
    return v;
  }

  private static float[] add(float[] a, float[] b) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] + b[i];
    }
    return out;
  }

  private static float[] normalise(float[] a) {
    double n = 0;
    for (float x : a) {
      n += x * x;
    }
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = (float) (a[i] / Math.sqrt(n));
    }
    return out;
  }

  private static List<Float> boxed(float[] a) {
    List<Float> out = new ArrayList<>(a.length);
    for (float x : a) {
      out.add(x);
    }
    return out;
  }

  @Override
  public void close() {
    producer.close();
  }
}
