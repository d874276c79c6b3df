package ai.candle.cli;

import ai.candle.cli.demo.DemoServices;
import ai.candle.core.io.FeaturesDataset;
import ai.candle.core.synthetic.SyntheticClip;
import ai.candle.kafka.EmbeddedKafkaBroker;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ClassStatus;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.TextFeatureSource;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.TopicSpecs;
import ai.candle.schemas.Topics;
import ai.candle.schemas.VersionChunks;
import ai.candle.trainer.Trainer;
import ai.candle.trainer.TrainerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code candle bench freshness} (issue 20): how long from a labelled image's arrival to the first
 * served version trained on it.
 *
 * <p>An embedded broker and an in-process trainer; the registry holds C classes of the realistic
 * synthetic generator, the features topic enough of their images that the trainer keeps about N
 * training samples (a fifth more are sent: the trainer holds some out), and the trainer's first
 * (full) refit is served before the clock starts. Each cycle then sends a burst of labelled images
 * of 5 random classes (unseen test images of the generator) with their classes' new counts, as the
 * streams app would, and waits until a version accounts for them. An image's freshness runs from
 * its send to the moment a reader of the models topic ({@code read_committed}, as the scorers read
 * it) first sees a version whose book of its class counts it. The trainer refits on every new
 * sample ({@code refit.samples = 1}): fits coalesce while one runs.
 */
final class FreshnessBench {
  private FreshnessBench() {}

  static void run(
      int classes,
      int samples,
      int cycles,
      int perCycle,
      int warmSteps,
      String fitHead,
      PrintWriter out)
      throws Exception {
    DemoServices.quietBrokerLogs();
    int shots = Math.max(2, (int) Math.ceil(samples * 1.25 / classes));
    FeaturesDataset ds =
        SyntheticClip.generate(
            SyntheticClip.Config.defaults()
                .withClasses(classes, classes)
                .withShots(shots)
                .withProfile(SyntheticClip.ShotProfile.FIXED)
                .withTestPerClass(4));
    int d = ds.dim();
    Path dir = Files.createTempDirectory("candle-freshness");
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder().dataDir(dir.resolve("kafka")).start()) {
      TopicNames names = TopicNames.defaults();
      Topics topics = Topics.of(names);
      broker.createTopics(TopicSpecs.all(names, 3, (short) 1));
      ModelsReader reader = new ModelsReader(broker.bootstrapServers(), names, topics);
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(
              Map.of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  broker.bootstrapServers(),
                  ProducerConfig.LINGER_MS_CONFIG,
                  5,
                  ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                  8 << 20),
              new StringSerializer(),
              new ByteArraySerializer())) {
        Map<String, Long> sent = new HashMap<>();
        for (int j = 0; j < classes; j++) {
          String name = ds.classNames().get(j);
          List<Float> text = new ArrayList<>(d);
          for (int k = 0; k < d; k++) {
            text.add(ds.textFeatures()[j * d + k]);
          }
          ClassInfo info =
              ClassInfo.newBuilder()
                  .setName(name)
                  .setIndex(j)
                  .setStatus(ClassStatus.NEW)
                  .setTextFeatureSource(TextFeatureSource.ANNOUNCEMENT)
                  .setTextFeature(text)
                  .setPrompt("a photo of a " + name + ".")
                  .setAliases(List.of())
                  .setFirstSeen(Instant.now())
                  .build();
          producer.send(
              new ProducerRecord<>(
                  names.classes(),
                  name,
                  topics.classes().valueSerde().serializer().serialize(names.classes(), info)));
        }
        for (int i = 0; i < ds.trainLabels().length; i++) {
          send(producer, names, topics, ds, ds.trainFeatures(), i, sent, "stored");
        }
        sendCounts(producer, names, sent);
        producer.flush();
        out.printf(
            Locale.ROOT,
            "C=%d D=%d: %d classes registered, %d stored images sent (%d per class)%n",
            classes,
            d,
            classes,
            ds.trainLabels().length,
            shots);
        out.flush();

        List<String> args =
            List.of(
                "--bootstrap-servers",
                broker.bootstrapServers(),
                "--feature-width",
                Integer.toString(d),
                "--clip-model-id",
                "synthetic",
                "--metrics-address",
                "127.0.0.1",
                "--metrics-port",
                "0",
                "--refit-samples",
                "1",
                "--refit-warm-steps",
                Integer.toString(warmSteps),
                "--fit-head",
                fitHead,
                "--store-max-per-class",
                Integer.toString(Math.max(100, shots)));
        long t0 = System.nanoTime();
        try (Trainer trainer =
            new Trainer(TrainerConfig.load(args, Map.of()), new SimpleMeterRegistry())) {
          trainer.start();
          if (!trainer.awaitCaughtUp(Duration.ofMinutes(10))) {
            throw new IllegalStateException("the trainer did not catch up within 10 minutes");
          }
          Map<String, Long> stored = Map.copyOf(sent);
          ModelVersion first =
              reader.await(
                  v -> v.getOrigin().equals("FIT") && accounts(v, stored), Duration.ofHours(3));
          out.printf(
              Locale.ROOT,
              "serving: version %d (%s, fit.seconds %.1f), %d s after the trainer started%n",
              first.getVersion(),
              kind(first),
              first.getHoldoutMetrics().getOrDefault("fit.seconds", -1.0),
              (System.nanoTime() - t0) / 1_000_000_000);
          out.flush();

          Random random = new Random(7);
          List<Double> latencies = new ArrayList<>();
          int testPerClass = ds.testLabels().length / classes;
          for (int cycle = 1; cycle <= cycles; cycle++) {
            List<long[]> images = new ArrayList<>(); // class, its count once sent, send time
            int[] chosen = random.ints(0, classes).distinct().limit(5).toArray();
            for (int t = 0; t < perCycle; t++) {
              int j = chosen[t % chosen.length];
              int row = j * testPerClass + random.nextInt(testPerClass);
              long when = System.nanoTime();
              long count =
                  send(producer, names, topics, ds, ds.testFeatures(), row, sent, "c" + cycle);
              images.add(new long[] {j, count, when});
            }
            sendCounts(producer, names, sent);
            producer.flush();
            Map<String, Long> wanted = Map.copyOf(sent);
            ModelVersion v = reader.await(x -> accounts(x, wanted), Duration.ofHours(3));
            double worst = 0;
            for (long[] image : images) {
              String name = ds.classNames().get((int) image[0]);
              long seenAt = reader.firstAccounting(name, image[1]);
              double secs = (seenAt - image[2]) / 1e9;
              latencies.add(secs);
              worst = Math.max(worst, secs);
            }
            out.printf(
                Locale.ROOT,
                "cycle %d: %d images of %d classes -> version %d (%s, fit.seconds %.1f), slowest"
                    + " image %.1f s%n",
                cycle,
                perCycle,
                chosen.length,
                v.getVersion(),
                kind(v),
                v.getHoldoutMetrics().getOrDefault("fit.seconds", -1.0),
                worst);
            out.flush();
          }
          latencies.sort(null);
          out.printf(
              Locale.ROOT,
              "freshness C=%d: %d images over %d cycles: p50 %.1f s, p95 %.1f s, max %.1f s%n",
              classes,
              latencies.size(),
              cycles,
              quantile(latencies, 0.50),
              quantile(latencies, 0.95),
              latencies.get(latencies.size() - 1));
          out.flush();
        }
      } finally {
        reader.close();
      }
    }
  }

  private static String kind(ModelVersion v) {
    Double warm = v.getHoldoutMetrics().get("fit.warm");
    return warm == null ? v.getOrigin() : warm > 0 ? "warm FIT" : "full FIT";
  }

  /** Whether the version's books count every image sent of each class. */
  private static boolean accounts(ModelVersion v, Map<String, Long> sent) {
    Map<String, Long> seen = new HashMap<>();
    for (ModelClass c : v.getClasses()) {
      seen.put(c.getName(), c.getSeen());
    }
    return sent.entrySet().stream()
        .allMatch(e -> seen.getOrDefault(e.getKey(), 0L) >= e.getValue());
  }

  /** Sends one labelled image's feature as the streams app would; returns its class's count. */
  private static long send(
      KafkaProducer<String, byte[]> producer,
      TopicNames names,
      Topics topics,
      FeaturesDataset ds,
      float[] features,
      int row,
      Map<String, Long> sent,
      String tag) {
    int d = ds.dim();
    int j = features == ds.trainFeatures() ? ds.trainLabels()[row] : ds.testLabels()[row];
    String name = ds.classNames().get(j);
    long k = sent.merge(name, 1L, Long::sum);
    List<Float> f = new ArrayList<>(d);
    for (int i = 0; i < d; i++) {
      f.add(features[row * d + i]);
    }
    FeatureRecord r =
        FeatureRecord.newBuilder()
            .setImageId(name + "-" + tag + "-" + k)
            .setClassName(name)
            .setFeature(f)
            .setEventTime(Instant.now())
            .setSource(null)
            .build();
    producer.send(
        new ProducerRecord<>(
            names.features(),
            name,
            topics.features().valueSerde().serializer().serialize(names.features(), r)));
    return k;
  }

  private static void sendCounts(
      KafkaProducer<String, byte[]> producer, TopicNames names, Map<String, Long> sent) {
    sent.forEach(
        (name, n) ->
            producer.send(
                new ProducerRecord<>(
                    names.classCounts(),
                    name,
                    Serdes.Long().serializer().serialize(names.classCounts(), n))));
  }

  private static double quantile(List<Double> sorted, double q) {
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  /**
   * Follows the models topic as the scorers read it, remembering when each version was first seen.
   */
  private static final class ModelsReader implements AutoCloseable {
    private record Seen(long nanos, Map<String, Long> books, ModelVersion version) {}

    private final KafkaConsumer<String, byte[]> consumer;
    private final Topics topics;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    ModelsReader(String bootstrap, TopicNames names, Topics topics) {
      Map<String, Object> props = new HashMap<>(ModelVersions.consumerConfig());
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      this.consumer =
          new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
      this.topics = topics;
      TopicPartition p = new TopicPartition(names.models(), 0);
      consumer.assign(List.of(p));
      consumer.seekToBeginning(List.of(p));
    }

    /** Polls until a version matches; returns it. */
    ModelVersion await(java.util.function.Predicate<ModelVersion> wanted, Duration timeout) {
      for (Seen s : seen) {
        if (wanted.test(s.version())) {
          return s.version();
        }
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(20))) {
          long now = System.nanoTime();
          ModelVersion v =
              topics.models().valueSerde().deserializer().deserialize(r.topic(), r.value());
          if (VersionChunks.isChunk(v)) {
            continue; // the manifest, last, holds the books
          }
          Map<String, Long> books = new HashMap<>();
          for (ModelClass c : v.getClasses()) {
            books.put(c.getName(), c.getSeen());
          }
          // only the books are kept: a version of 1,000 classes is megabytes
          seen.add(new Seen(now, books, light(v)));
          if (wanted.test(v)) {
            return v;
          }
        }
      }
      throw new IllegalStateException("no such version within " + timeout);
    }

    private static ModelVersion light(ModelVersion v) {
      ModelVersion copy = ModelVersion.newBuilder(v).build();
      copy.setParameters(java.nio.ByteBuffer.allocate(0));
      return copy;
    }

    /** When the first version counting {@code count} images of the class was seen. */
    long firstAccounting(String name, long count) {
      for (Seen s : seen) {
        if (s.books().getOrDefault(name, 0L) >= count) {
          return s.nanos();
        }
      }
      throw new IllegalStateException("no version counts image " + count + " of " + name);
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
