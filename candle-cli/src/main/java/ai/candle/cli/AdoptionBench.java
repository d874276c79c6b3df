package ai.candle.cli;

import ai.candle.bench.ScorerBench;
import ai.candle.cli.demo.DemoServices;
import ai.candle.cli.soak.ProcessProbe;
import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.HyperParameters;
import ai.candle.kafka.EmbeddedKafkaBroker;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.TopicSpecs;
import ai.candle.schemas.Topics;
import ai.candle.schemas.VersionChunks;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.config.ScoringConfig;
import ai.candle.streams.model.ModelHolder;
import ai.candle.streams.model.ModelVersionFeed;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code candle bench adopt} (issue 20): how long from the start of a publish of a C-class version
 * to the moment each of several scorers serves it, on a broker whose topics have Kafka's default
 * record size.
 *
 * <p>An embedded broker; {@code scorers} model feeds with their holders in this process, each what
 * a streams app runs for its models (a {@link ModelVersionFeed} reading the models topic from the
 * beginning, a {@link ModelHolder} that joins the chunks, decodes the version and prepares its
 * scorer). The publish is what the trainer's does: the record made ({@link ModelVersions#toRecord},
 * which encodes and compresses the parameters), cut into chunks ({@link VersionChunks#split}) and
 * sent with the manifest in one transaction of an idempotent, transactional producer with {@code
 * acks=all}. The first version is published and adopted untimed; then each timed round publishes
 * the previous model with one class added ({@link CandleFit#extend}, what an announcement makes).
 *
 * <p>The scorers share this process's cores: on the 2-core machine the figures are for 2 scorers on
 * 2 cores together, a pessimistic setting for scorers that run on machines of their own.
 */
final class AdoptionBench {
  private AdoptionBench() {}

  /** One timed round. */
  record Round(
      long version,
      int classes,
      int parameterBytes,
      int records,
      double encodeSeconds,
      double sendSeconds,
      double[] adoptedSeconds,
      double[] loadSeconds) {}

  static void run(int classes, int dim, int scorers, int rounds, double headWeight, PrintWriter out)
      throws Exception {
    DemoServices.quietBrokerLogs();
    HyperParameters.Mode mode = HyperParameters.Mode.ADAPTIVE;
    CandleModel model = ScorerBench.model(mode, headWeight, classes, dim);
    out.printf(
        Locale.ROOT,
        "adopt: C=%d D=%d, %d scorers, head weight %.2f, %d timed rounds; %d cores%n",
        classes,
        dim,
        scorers,
        headWeight,
        rounds,
        Runtime.getRuntime().availableProcessors());
    out.flush();
    // a temporary data dir, deleted when the broker closes
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      TopicNames names = TopicNames.defaults();
      Topics topics = Topics.of(names);
      broker.createTopics(TopicSpecs.all(names, 3, (short) 1));
      List<ModelHolder> holders = new ArrayList<>();
      List<SimpleMeterRegistry> meters = new ArrayList<>();
      List<ModelVersionFeed> feeds = new ArrayList<>();
      long heapBefore = usedHeapAfterGc();
      long rssBefore = residentBytes();
      try (KafkaProducer<String, ModelVersion> producer = producer(broker, topics)) {
        producer.initTransactions();
        for (int i = 0; i < scorers; i++) {
          SimpleMeterRegistry registry = new SimpleMeterRegistry();
          ModelHolder holder =
              new ModelHolder(
                  "candle",
                  dim,
                  -1,
                  ModelVersions.DEFAULT_MAX_BYTES,
                  registry,
                  Clock.systemUTC(),
                  topics.models().valueSerde().deserializer());
          List<String> args =
              List.of(
                  "--bootstrap-servers",
                  broker.bootstrapServers(),
                  "--feature-width",
                  Integer.toString(dim),
                  "--scoring-application-id",
                  "candle-adopt-" + i);
          feeds.add(
              ModelVersionFeed.start(
                  IngestConfig.load(args, Map.of()), ScoringConfig.load(args, Map.of()), holder));
          holders.add(holder);
          meters.add(registry);
        }
        Round first = publishAndWait(producer, topics, model, 1, holders, meters);
        report(out, "untimed first version", first);
        long heapAfter = usedHeapAfterGc();
        long rssAfter = residentBytes();
        out.printf(
            Locale.ROOT,
            "  memory with %d scorers serving it: heap %.0f MB more after GC, resident set %.0f MB"
                + " more (the scorer's arrays live outside the heap, in PyTorch)%n",
            scorers,
            (heapAfter - heapBefore) / 1e6,
            (rssAfter - rssBefore) / 1e6);
        Random random = new Random(3);
        List<Double> adoption = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
          float[] text = new float[dim];
          for (int k = 0; k < dim; k++) {
            text[k] = (float) random.nextGaussian();
          }
          model =
              CandleFit.extend(model, List.of("announced-" + r), text).withWeights(model.weights());
          Round round = publishAndWait(producer, topics, model, r + 2, holders, meters);
          report(out, "round " + (r + 1), round);
          for (double s : round.adoptedSeconds()) {
            adoption.add(s);
          }
        }
        adoption.sort(Double::compare);
        if (!adoption.isEmpty()) {
          out.printf(
              Locale.ROOT,
              "publish to adopted, over %d adoptions: p50 %.2f s, p95 %.2f s, max %.2f s%n",
              adoption.size(),
              percentile(adoption, 0.50),
              percentile(adoption, 0.95),
              adoption.get(adoption.size() - 1));
        }
      } finally {
        for (ModelVersionFeed f : feeds) {
          f.close();
        }
        for (ModelHolder h : holders) {
          h.close();
        }
      }
    }
  }

  private static Round publishAndWait(
      KafkaProducer<String, ModelVersion> producer,
      Topics topics,
      CandleModel model,
      long version,
      List<ModelHolder> holders,
      List<SimpleMeterRegistry> meters)
      throws Exception {
    List<CompletableFuture<Long>> adopted = new ArrayList<>();
    for (ModelHolder h : holders) {
      adopted.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  if (!h.awaitVersion(version, Duration.ofMinutes(5))) {
                    throw new IllegalStateException("version " + version + " not served in 5 min");
                  }
                  return System.nanoTime();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new IllegalStateException(e);
                }
              }));
    }
    double[] loadBefore = new double[meters.size()];
    for (int i = 0; i < meters.size(); i++) {
      loadBefore[i] = meters.get(i).get("candle.model.load").timer().totalTime(TimeUnit.SECONDS);
    }
    long t0 = System.nanoTime();
    ModelVersion record =
        ModelVersions.toRecord(
            model,
            version,
            Instant.now(),
            "bench",
            version == 1 ? ModelVersions.Origin.INITIAL : ModelVersions.Origin.EXTEND,
            Map.of(),
            Map.of());
    long t1 = System.nanoTime();
    List<VersionChunks.Keyed> records =
        VersionChunks.split("candle", record, VersionChunks.DEFAULT_CHUNK_BYTES);
    producer.beginTransaction();
    for (VersionChunks.Keyed k : records) {
      producer.send(new ProducerRecord<>(topics.models().name(), k.key(), k.value()));
    }
    producer.commitTransaction();
    long t2 = System.nanoTime();
    double[] adoptedSeconds = new double[holders.size()];
    double[] loadSeconds = new double[holders.size()];
    for (int i = 0; i < holders.size(); i++) {
      adoptedSeconds[i] = (adopted.get(i).get(5, TimeUnit.MINUTES) - t0) / 1e9;
      loadSeconds[i] =
          meters.get(i).get("candle.model.load").timer().totalTime(TimeUnit.SECONDS)
              - loadBefore[i];
    }
    return new Round(
        version,
        model.numClasses(),
        ModelVersions.parameterBytes(record),
        records.size(),
        (t1 - t0) / 1e9,
        (t2 - t1) / 1e9,
        adoptedSeconds,
        loadSeconds);
  }

  private static void report(PrintWriter out, String what, Round r) {
    StringBuilder adopted = new StringBuilder();
    for (int i = 0; i < r.adoptedSeconds().length; i++) {
      adopted.append(
          String.format(
              Locale.ROOT,
              "%s%.2f s (load %.2f s)",
              i == 0 ? "" : ", ",
              r.adoptedSeconds()[i],
              r.loadSeconds()[i]));
    }
    out.printf(
        Locale.ROOT,
        "%s: version %d, %d classes, %.1f MB in %d records; encode %.2f s, send + commit %.2f s;"
            + " served by each scorer after %s%n",
        what,
        r.version(),
        r.classes(),
        r.parameterBytes() / 1e6,
        r.records(),
        r.encodeSeconds(),
        r.sendSeconds(),
        adopted);
    out.flush();
  }

  private static KafkaProducer<String, ModelVersion> producer(
      EmbeddedKafkaBroker broker, Topics topics) {
    Map<String, Object> p =
        new HashMap<>(ModelVersions.producerConfig(VersionChunks.DEFAULT_CHUNK_BYTES));
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "candle-adopt-bench");
    return new KafkaProducer<>(
        p, new StringSerializer(), topics.models().valueSerde().serializer());
  }

  private static double percentile(List<Double> sorted, double q) {
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  private static long usedHeapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  /** This process's resident set (VmRSS) in bytes, or 0 where /proc does not say. */
  private static long residentBytes() {
    try {
      return (long) (ProcessProbe.rssMb(ProcessHandle.current().pid()) * 1024 * 1024);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
