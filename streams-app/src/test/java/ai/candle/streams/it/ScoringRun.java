package ai.candle.streams.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.HyperParameters;
import ai.candle.kafka.JvmProcess;
import ai.candle.kafka.TopicLeaders;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.Prediction;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.TopicSpecs;
import ai.candle.schemas.VersionChunks;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the scoring integration test needs around the apps: the topics, a stream of model versions
 * (untrained, then extended by one class each), unlabelled images, and the committed predictions.
 */
final class ScoringRun implements AutoCloseable {

  static final TopicNames TOPICS = TopicNames.defaults();
  static final String MODEL = "candle";

  /** The chunk size of the versions published here: small, so that every version is chunked. */
  static final int CHUNK_BYTES = 16 * 1024;

  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);
  private static final AvroSerde<ImageToScore> IMAGES = AvroSerde.of(ImageToScore.class);
  private static final AvroSerde<Prediction> PREDICTIONS = AvroSerde.of(Prediction.class);

  /**
   * One committed prediction, as the checks need it ({@code prequential}: of a labelled image, by
   * ingest).
   */
  record Seen(
      int partition,
      long offset,
      String imageId,
      long version,
      long scoredAt,
      boolean prequential) {}

  private final String bootstrapServers;
  private final int width;
  private final long startNanos = System.nanoTime();
  private final Admin admin;
  private final KafkaProducer<String, byte[]> producer;
  private final CommittedTopic<Seen> predictions;
  private final Random random = new Random(5);
  private CandleModel model;
  private long version;

  ScoringRun(String bootstrapServers, int width) {
    this.bootstrapServers = bootstrapServers;
    this.width = width;
    this.admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers));
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.putAll(ModelVersions.producerConfig(VersionChunks.DEFAULT_CHUNK_BYTES));
    // hostile records may be larger than a chunk (HostileModelsIT)
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 32 * 1024 * 1024);
    this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    this.predictions =
        new CommittedTopic<>(
            bootstrapServers,
            TOPICS.predictions(),
            r -> {
              Prediction prediction = PREDICTIONS.decode(r.value());
              return new Seen(
                  r.partition(),
                  r.offset(),
                  prediction.getImageId(),
                  prediction.getModelVersion(),
                  r.timestamp(),
                  prediction.getPrequential());
            });
  }

  /** A line in the test output with the seconds since this run began. */
  void progress(String message) {
    System.out.printf("[scoring-it %6.1f s] %s%n", (System.nanoTime() - startNanos) / 1e9, message);
  }

  /** Every topic as TopicSpecs says (the models topic compacted, one partition). */
  void createTopics(int partitions) throws Exception {
    createTopics(partitions, 0);
  }

  /**
   * Every topic as TopicSpecs says, the models topic taking records of up to {@code
   * modelsMaxMessageBytes} (0: the broker's default), as a topic made before versions were chunked
   * may: what a hostile writer can put there.
   */
  void createTopics(int partitions, int modelsMaxMessageBytes) throws Exception {
    List<NewTopic> topics = TopicSpecs.all(TOPICS, partitions, (short) 1);
    if (modelsMaxMessageBytes > 0) {
      for (NewTopic t : topics) {
        if (t.name().equals(TOPICS.models())) {
          Map<String, String> configs = new java.util.HashMap<>(t.configs());
          configs.put("max.message.bytes", Integer.toString(modelsMaxMessageBytes));
          t.configs(configs);
        }
      }
    }
    admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
    TopicLeaders.await(admin, topics.stream().map(NewTopic::name).toList(), Duration.ofSeconds(30));
  }

  /**
   * Publishes the next version: the first is an untrained model of {@code classes} classes, each
   * next one the previous with one new class; waits for the acknowledgement. Returns its version
   * number.
   */
  long publishNextVersion(int classes) throws Exception {
    if (model == null) {
      List<String> names = IntStream.range(0, classes).mapToObj(i -> "class-" + i).toList();
      model =
          CandleFit.untrained(names, width, gaussian(classes * width), HyperParameters.adaptive());
    } else {
      model = CandleFit.extend(model, List.of("new-" + (version + 1)), gaussian(width));
    }
    version++;
    publish(
        ModelVersions.toRecord(
            model,
            version,
            Instant.now(),
            "synthetic-" + width,
            version == 1 ? ModelVersions.Origin.INITIAL : ModelVersions.Origin.EXTEND,
            Map.of(),
            Map.of()));
    return version;
  }

  /**
   * Sends a version as the trainer does, but in chunks of {@link #CHUNK_BYTES} (so that the scorers
   * join chunks in every run that publishes through here), then its manifest.
   */
  private void publish(ModelVersion whole) throws Exception {
    for (VersionChunks.Keyed k : VersionChunks.split(MODEL, whole, CHUNK_BYTES)) {
      producer
          .send(new ProducerRecord<>(TOPICS.models(), k.key(), VERSIONS.encode(k.value())))
          .get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Publishes a version one above the last whose parameters were altered after the checksum was
   * taken.
   */
  long publishTamperedVersion() throws Exception {
    ModelVersion tampered =
        ModelVersions.toRecord(
            model,
            ++version,
            Instant.now(),
            "synthetic-" + width,
            ModelVersions.Origin.EXTEND,
            Map.of(),
            Map.of());
    ByteBuffer parameters = tampered.getParameters().duplicate();
    byte[] bytes = new byte[parameters.remaining()];
    parameters.get(bytes);
    bytes[bytes.length - 7] ^= 0x10;
    tampered.setParameters(ByteBuffer.wrap(bytes));
    publish(tampered);
    return version;
  }

  /**
   * Sends records to the models topic under the model's key, in order; waits for every
   * acknowledgement.
   */
  void sendModelRecords(List<byte[]> values) throws Exception {
    List<java.util.concurrent.Future<?>> acks = new ArrayList<>(values.size());
    for (byte[] value : values) {
      acks.add(producer.send(new ProducerRecord<>(TOPICS.models(), MODEL, value)));
    }
    producer.flush();
    for (java.util.concurrent.Future<?> ack : acks) {
      ack.get(60, TimeUnit.SECONDS);
    }
  }

  /**
   * Announces a class with a random text feature of the run's width (the registry gives it to the
   * trainer).
   */
  void announce(String className) throws Exception {
    List<Float> text = new ArrayList<>(width);
    for (float v : gaussian(width)) {
      text.add(v);
    }
    byte[] value =
        AvroSerde.of(ai.candle.schemas.ClassAnnouncement.class)
            .encode(
                ai.candle.schemas.ClassAnnouncement.newBuilder()
                    .setName(className)
                    .setTextFeature(text)
                    .build());
    producer
        .send(new ProducerRecord<>(TOPICS.classAnnouncements(), className, value))
        .get(30, TimeUnit.SECONDS);
  }

  /**
   * The value of each series of {@code metric} in a Prometheus scrape, by its tags ("" when it has
   * none).
   */
  static Map<String, Double> series(String scrape, String metric) {
    Map<String, Double> out = new TreeMap<>();
    for (String line : scrape.split("\n")) {
      if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
        int space = line.lastIndexOf(' ');
        String tags = line.startsWith(metric + "{") ? line.substring(metric.length(), space) : "";
        out.put(tags, Double.parseDouble(line.substring(space + 1)));
      }
    }
    return out;
  }

  /**
   * Sends {@code count} unlabelled images with random features, keyed by id; waits for every ack.
   */
  void produceImages(int count) throws Exception {
    produceImages(0, count);
  }

  /**
   * Sends the unlabelled images {@code from .. from + count - 1} (ids {@link #imageId}); waits for
   * every ack.
   */
  void produceImages(int from, int count) throws Exception {
    Random features = new Random(11 + from);
    List<java.util.concurrent.Future<?>> acks = new ArrayList<>(count);
    for (int i = from; i < from + count; i++) {
      List<Float> feature = new ArrayList<>(width);
      for (int k = 0; k < width; k++) {
        feature.add((float) features.nextGaussian());
      }
      String id = imageId(i);
      ImageToScore image =
          ImageToScore.newBuilder()
              .setId(id)
              .setEventTime(Instant.now())
              .setFeature(feature)
              .build();
      acks.add(
          producer.send(new ProducerRecord<>(TOPICS.unlabeledImages(), id, IMAGES.encode(image))));
    }
    producer.flush();
    for (java.util.concurrent.Future<?> ack : acks) {
      ack.get();
    }
  }

  static String imageId(int i) {
    return String.format("img-%06d", i);
  }

  /**
   * Reads committed predictions until {@code count} of unlabelled images arrived, then on to the
   * end (late duplicates show); returns those of unlabelled images (the prequential ones of
   * labelled images left out).
   */
  List<Seen> readPredictions(int count, Duration timeout, List<JvmProcess> apps) {
    predictions.readUntil(
        rs -> {
          apps.forEach(app -> app.assertAlive("while scoring"));
          return unlabeled(rs).size() >= count;
        },
        timeout,
        rs -> unlabeled(rs).size() + " of " + count + " predictions");
    List<Seen> seen = unlabeled(predictions.readToEnd(Duration.ofSeconds(30)));
    progress("read " + seen.size() + " committed predictions of unlabelled images");
    return seen;
  }

  private static List<Seen> unlabeled(List<Seen> seen) {
    return seen.stream().filter(s -> !s.prequential()).toList();
  }

  /**
   * Exactly one committed prediction for each of the images {@code 0 .. images - 1}, and none for
   * others.
   */
  static void assertOnePredictionEach(List<Seen> seen, int images) {
    Map<String, Integer> perImage = new HashMap<>();
    seen.forEach(s -> perImage.merge(s.imageId(), 1, Integer::sum));
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      int n = perImage.getOrDefault(imageId(i), 0);
      if (n != 1 && wrong.size() < 20) {
        wrong.add(imageId(i) + " x" + n);
      }
    }
    assertEquals(List.of(), wrong, "images without exactly one prediction");
    assertEquals(images, perImage.size(), "images with a prediction");
    assertEquals(images, seen.size(), "committed predictions (read_committed)");
  }

  /**
   * Waits until the group {@code groupId} is stable with {@code members} members, each assigned
   * partitions of the unlabelled-images topic; returns those partitions per member.
   */
  List<Set<Integer>> awaitStableGroup(String groupId, int members, Duration timeout)
      throws Exception {
    return List.copyOf(awaitStableAssignment(groupId, members, timeout).values());
  }

  /**
   * As {@link #awaitStableGroup}, keyed by each member's client id (which names its app process and
   * thread).
   */
  Map<String, Set<Integer>> awaitStableAssignment(String groupId, int members, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      ConsumerGroupDescription group =
          admin
              .describeConsumerGroups(List.of(groupId))
              .all()
              .get(30, TimeUnit.SECONDS)
              .get(groupId);
      Map<String, Set<Integer>> assigned = new TreeMap<>();
      group
          .members()
          .forEach(
              m ->
                  assigned.put(
                      m.clientId(),
                      m.assignment().topicPartitions().stream()
                          .filter(tp -> tp.topic().equals(TOPICS.unlabeledImages()))
                          .map(tp -> tp.partition())
                          .collect(Collectors.toCollection(TreeSet::new))));
      if (group.groupState() == GroupState.STABLE
          && assigned.size() == members
          && assigned.values().stream().noneMatch(Set::isEmpty)) {
        return assigned;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "group "
                + groupId
                + " not stable with "
                + members
                + " members within "
                + timeout
                + ": "
                + group);
      }
      Thread.sleep(200);
    }
  }

  private float[] gaussian(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  /** Predictions per partition, in offset order. */
  static Map<Integer, List<Seen>> byPartition(List<Seen> seen) {
    Map<Integer, List<Seen>> out = new HashMap<>();
    for (Seen s : seen) {
      out.computeIfAbsent(s.partition(), p -> new ArrayList<>()).add(s);
    }
    out.values().forEach(list -> list.sort(java.util.Comparator.comparingLong(Seen::offset)));
    return out;
  }

  /** The longest time between consecutive scoring times, in ms. */
  static long longestGapMs(List<Seen> seen) {
    return longestGap(seen)[0];
  }

  /** The longest time between consecutive scoring times and when it began (epoch ms). */
  static long[] longestGap(List<Seen> seen) {
    long[] times = seen.stream().mapToLong(Seen::scoredAt).sorted().toArray();
    long longest = 0;
    long at = times.length == 0 ? 0 : times[0];
    for (int i = 1; i < times.length; i++) {
      if (times[i] - times[i - 1] > longest) {
        longest = times[i] - times[i - 1];
        at = times[i - 1];
      }
    }
    return new long[] {longest, at};
  }

  /** A GET of {@code url}'s body. */
  static String scrape(String url) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<String> response =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).GET().build(),
            java.net.http.HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (response.statusCode() != 200) {
      throw new AssertionError(url + " answered " + response.statusCode());
    }
    return response.body();
  }

  @Override
  public void close() {
    predictions.close();
    producer.close(Duration.ofSeconds(5));
    admin.close(Duration.ofSeconds(5));
  }
}
