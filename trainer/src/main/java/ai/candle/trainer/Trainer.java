package ai.candle.trainer;

import ai.candle.core.AdaptiveFit;
import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.Devices;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.ModelClass;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.ModelVersions.ClassBook;
import ai.candle.schemas.ModelVersions.Origin;
import ai.candle.schemas.Topics;
import ai.djl.Device;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer (DESIGN.md flow 3): keeps a training store from {@code candle.features}, the class
 * registry from {@code candle.classes} and the live counts from {@code candle.class-counts};
 * publishes model versions to {@code candle.models}.
 *
 * <ul>
 *   <li>A class that appears in the registry (with its text feature) and is not in the serving
 *       version is added as a virtual prototype at once ({@link CandleFit#extend}; an {@code
 *       EXTEND} version, or {@code INITIAL} before any fit), on the extend thread.
 *   <li>A full refit runs on the fit thread when enough new training samples arrived ({@code
 *       refit.samples} or {@code refit.fraction} of the last fit's), when a class got its first
 *       images, or on the timer when anything changed. Requests during a fit coalesce into one.
 *   <li>A fitted candidate passes the {@link PromotionGate} on the holdout or is dropped (logged,
 *       counted). Classes registered during the fit are appended before it is published.
 *   <li>On start it resumes the version sequence from the models topic (max version + 1, the
 *       latest version serving) and rebuilds its store by replaying the input topics from the
 *       beginning; triggers wait until that replay caught up.
 * </ul>
 */
public final class Trainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  /** Logged when the trainer caught up with its inputs (scripts and tests wait for it). */
  public static final String CAUGHT_UP_MESSAGE = "candle trainer caught up";
  /** Logged when a version starts to be encoded and sent ("Published version" follows its ack). */
  public static final String PUBLISHING_MESSAGE = "Publish started: version";
  static final Duration POLL = Duration.ofMillis(100);
  static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(60);
  static final Duration COUNTS_WAIT = Duration.ofSeconds(2);

  /** The version being served, with what it accounted for. */
  record Served(long version, CandleModel model, Origin origin, Map<String, ClassBook> books,
      Map<String, Double> metrics) {}

  private final TrainerConfig config;
  private final MeterRegistry meters;
  private final Topics topics;
  private final TrainingStore store;
  private final Map<String, ClassInfo> registry = new ConcurrentHashMap<>();
  private final Map<String, Long> liveCounts = new ConcurrentHashMap<>();
  private final Object publishLock = new Object();
  private final CoalescingWorker fitWorker;
  private final CoalescingWorker extendWorker;
  private final ScheduledExecutorService timer;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final AtomicLong publishedVersion = new AtomicLong(-1);
  private final Counter skippedRecords;
  private final ClassMetrics classMetrics;
  private KafkaProducer<String, ModelVersion> producer;
  private KafkaConsumer<String, byte[]> consumer;
  private Thread consumerThread;
  private volatile boolean closing;
  private volatile Served served;
  private volatile Throwable consumerFailure;
  private volatile String lastPublishError;
  private long nextVersion;
  // Written by the fit thread at snapshot time, read by the consumer thread.
  private volatile long offeredAtLastSnapshot;
  private volatile Set<String> baseAtLastSnapshot = Set.of();
  private final Set<String> extendRequested = ConcurrentHashMap.newKeySet();
  /** After a failed publish, extends are retried no sooner than this (System.nanoTime). */
  private volatile long extendRetryAt;
  static final Duration EXTEND_RETRY = Duration.ofSeconds(5);

  public Trainer(TrainerConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
    this.topics = Topics.of(config.topics());
    this.store = new TrainingStore(config.featureWidth(), config.storeMaxPerClass(),
        config.holdoutPercent(), config.holdoutMaxPerClass(), config.hyperParameters().seed());
    this.fitWorker = new CoalescingWorker("candle-trainer-fit", this::fitOnce);
    this.extendWorker = new CoalescingWorker("candle-trainer-extend", reasons -> extendOnce());
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "candle-trainer-timer");
      t.setDaemon(true);
      return t;
    });
    this.skippedRecords = Counter.builder("candle.trainer.records.skipped")
        .description("Input records the trainer could not use (undecodable, wrong width)")
        .register(meters);
    Gauge.builder("candle.trainer.model.version", publishedVersion, AtomicLong::get)
        .description("Last model version this trainer published (-1: none)").register(meters);
    Gauge.builder("candle.trainer.store.samples", store, s -> s.kept()[0])
        .tag("split", "train").register(meters);
    Gauge.builder("candle.trainer.store.samples", store, s -> s.kept()[1])
        .tag("split", "holdout").register(meters);
    Gauge.builder("candle.trainer.classes", registry, Map::size).register(meters);
    this.classMetrics = new ClassMetrics(meters, this::classCounts);
  }

  /** Every registered class's image count: max(what the store accounted for, the live count). */
  private Map<String, Long> classCounts() {
    Map<String, Long> seen = store.seenCounts();
    Map<String, Long> out = new HashMap<>();
    for (String name : registry.keySet()) {
      out.put(name, Math.max(seen.getOrDefault(name, 0L), liveCounts.getOrDefault(name, 0L)));
    }
    return out;
  }

  /**
   * Resumes the version sequence from the models topic, then starts consuming. Returns once the
   * consumer runs; {@link #awaitCaughtUp} waits for the replay.
   */
  public void start() {
    producer = new KafkaProducer<>(producerProperties(), new StringSerializer(),
        topics.models().valueSerde().serializer());
    recoverVersions();
    consumer = new KafkaConsumer<>(consumerProperties(), new StringDeserializer(),
        new ByteArrayDeserializer());
    consumerThread = new Thread(this::consume, "candle-trainer-consumer");
    consumerThread.start();
    long period = config.refitInterval().toMillis();
    timer.scheduleAtFixedRate(() -> {
      if (caughtUp.getCount() == 0 && store.trainOffered() > offeredAtLastSnapshot) {
        fitWorker.request("timer");
      }
    }, period, period, TimeUnit.MILLISECONDS);
  }

  /** Waits until the replay of the input topics reached their ends as of the start. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Whether the trainer holds out an image with this id ({@code holdout.percent}), unless it is its
   * class's first image or the class's holdout is full: producers that keep their own evaluation
   * set, and tests, can tell in advance.
   */
  public static boolean hashedIntoHoldout(String imageId, int holdoutPercent) {
    return TrainingStore.hashedIntoHoldout(imageId, holdoutPercent);
  }

  /** The version last published or recovered; -1 before any. */
  public long publishedVersion() {
    return publishedVersion.get();
  }

  /** Why the consumer stopped, or null while it runs. */
  public Throwable failure() {
    return consumerFailure;
  }

  /** The message of the last failed publish, or null. */
  public String lastPublishError() {
    return lastPublishError;
  }

  Served served() {
    return served;
  }


  // ---------------------------------------------------------------- recovery

  private void recoverVersions() {
    Map<String, Object> props = new HashMap<>(consumerProperties());
    ModelVersion latest = null;
    long max = -1;
    try (KafkaConsumer<String, byte[]> models = new KafkaConsumer<>(props, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = partitions(models, topics.models().name());
      models.assign(parts);
      models.seekToBeginning(parts);
      Map<TopicPartition, Long> end = models.endOffsets(parts);
      while (parts.stream().anyMatch(p -> models.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> r : models.poll(POLL)) {
          if (!config.modelName().equals(r.key()) || r.value() == null) {
            continue;
          }
          try {
            ModelVersion v = topics.models().valueSerde().deserializer().deserialize(r.topic(), r.value());
            if (v.getVersion() > max) {
              max = v.getVersion();
              latest = v;
            }
          } catch (RuntimeException e) {
            LOG.warn("Skipping an undecodable record at {}-{}@{} of the models topic: {}",
                r.topic(), r.partition(), r.offset(), e.getMessage());
          }
        }
      }
    }
    nextVersion = max + 1;
    publishedVersion.set(max);
    if (latest != null) {
      try {
        CandleModel model = ModelVersions.fromRecord(latest, config.featureWidth());
        served = new Served(latest.getVersion(), model, Origin.valueOf(latest.getOrigin()),
            booksOf(latest), latest.getHoldoutMetrics());
        LOG.info("Resuming after version {} ({} classes, {} base); the next version is {}",
            max, model.numClasses(), model.baseClasses(), nextVersion);
      } catch (RuntimeException e) {
        LOG.warn("The latest version {} cannot be served here ({}); versions continue at {}",
            max, e.getMessage(), nextVersion);
      }
    } else {
      LOG.info("No version of model '{}' on {} yet; the first is {}", config.modelName(),
          topics.models().name(), nextVersion);
    }
  }

  private static Map<String, ClassBook> booksOf(ModelVersion v) {
    Map<String, ClassBook> books = new LinkedHashMap<>();
    for (ModelClass c : v.getClasses()) {
      books.put(c.getName(), new ClassBook(c.getIndex(), c.getSeen(), c.getHeldOut()));
    }
    return books;
  }

  // ---------------------------------------------------------------- consuming

  private void consume() {
    try {
      List<TopicPartition> parts = new ArrayList<>();
      for (String topic : List.of(topics.classes().name(), topics.classCounts().name(),
          topics.features().name())) {
        parts.addAll(partitions(consumer, topic));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      LOG.info("Replaying {} partitions ({} records) to rebuild the store", parts.size(),
          end.values().stream().mapToLong(Long::longValue).sum());
      while (!closing) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          apply(r);
        }
        if (caughtUp.getCount() > 0
            && parts.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
          onCaughtUp();
        }
        if (caughtUp.getCount() == 0) {
          checkTriggers();
        }
      }
    } catch (WakeupException e) {
      if (!closing) {
        consumerFailure = e;
      }
    } catch (RuntimeException e) {
      consumerFailure = e;
      LOG.error("The trainer's consumer stopped", e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    String topic = r.topic();
    try {
      if (topic.equals(topics.features().name())) {
        if (r.value() == null) {
          return;
        }
        FeatureRecord f = topics.features().valueSerde().deserializer().deserialize(topic, r.value());
        store.add(f.getClassName(), f.getImageId(), toArray(f.getFeature()));
      } else if (topic.equals(topics.classes().name())) {
        if (r.value() == null) {
          registry.remove(r.key());
          return;
        }
        ClassInfo info = topics.classes().valueSerde().deserializer().deserialize(topic, r.value());
        registry.put(info.getName(), info);
      } else if (r.value() != null) {
        Long count = Serdes.Long().deserializer().deserialize(topic, r.value());
        liveCounts.merge(r.key(), count, Math::max);
      }
    } catch (RuntimeException e) {
      skippedRecords.increment();
      LOG.warn("Skipping record {}-{}@{}: {}", topic, r.partition(), r.offset(), e.getMessage());
    }
  }

  private void onCaughtUp() {
    Served s = served;
    if (s != null) {
      long offered = 0;
      for (ClassBook b : s.books().values()) {
        offered += b.seen() - b.heldOut();
      }
      offeredAtLastSnapshot = offered;
      baseAtLastSnapshot = Set.copyOf(s.model().classNames().subList(0, s.model().baseClasses()));
    }
    long[] kept = store.kept();
    LOG.info("{}: {} classes, {} training and {} held-out samples kept, {} training images seen",
        CAUGHT_UP_MESSAGE, registry.size(), kept[0], kept[1], store.trainOffered());
    caughtUp.countDown();
  }

  /** Runs on the consumer thread after each poll: asks the workers, never fits here. */
  private void checkTriggers() {
    Served s = served;
    Set<String> inModel = s == null ? Set.of() : new HashSet<>(s.model().classNames());
    for (ClassInfo info : System.nanoTime() < extendRetryAt ? List.<ClassInfo>of() : registry.values()) {
      if (hasText(info) && !inModel.contains(info.getName()) && extendRequested.add(info.getName())) {
        extendWorker.request("class " + info.getName());
      }
    }
    long offered = store.trainOffered();
    long fresh = offered - offeredAtLastSnapshot;
    if (fresh > 0 && (fresh >= config.refitSamples()
        || fresh >= config.refitFraction() * Math.max(1, offeredAtLastSnapshot))) {
      fitWorker.request("samples");
      return;
    }
    for (String name : store.seenCounts().keySet()) {
      ClassInfo info = registry.get(name);
      if (!baseAtLastSnapshot.contains(name) && info != null && hasText(info)) {
        fitWorker.request("first images of a class");
        return;
      }
    }
  }

  // ---------------------------------------------------------------- extend

  private void extendOnce() {
    synchronized (publishLock) {
      Served s = served;
      List<ClassInfo> missing = missingClasses(s == null ? Set.of() : Set.copyOf(s.model().classNames()));
      if (missing.isEmpty()) {
        return;
      }
      List<String> names = missing.stream().map(ClassInfo::getName).toList();
      float[] text = textOf(missing);
      CandleModel model = s == null
          ? CandleFit.untrained(names, config.featureWidth(), text, config.hyperParameters())
          : CandleFit.extend(s.model(), names, text);
      Map<String, ClassBook> books = new LinkedHashMap<>(s == null ? Map.of() : s.books());
      for (ClassInfo c : missing) {
        books.putIfAbsent(c.getName(), new ClassBook(c.getIndex(), 0, 0));
      }
      try {
        publish(model, s == null ? Origin.INITIAL : Origin.EXTEND, books,
            s == null ? Map.of() : s.metrics());
      } catch (RuntimeException e) {
        extendRetryAt = System.nanoTime() + EXTEND_RETRY.toNanos();
        extendRequested.removeAll(names);
        throw e;
      }
    }
  }

  /** Registry classes with a text feature of the right width that are not in {@code present}, by index. */
  private List<ClassInfo> missingClasses(Set<String> present) {
    return registry.values().stream()
        .filter(this::hasText)
        .filter(c -> !present.contains(c.getName()))
        .sorted(Comparator.comparingInt(ClassInfo::getIndex))
        .toList();
  }

  private boolean hasText(ClassInfo info) {
    return info.getTextFeature() != null && info.getTextFeature().size() == config.featureWidth();
  }

  private float[] textOf(List<ClassInfo> classes) {
    int d = config.featureWidth();
    float[] out = new float[classes.size() * d];
    for (int i = 0; i < classes.size(); i++) {
      List<Float> t = classes.get(i).getTextFeature();
      for (int k = 0; k < d; k++) {
        out[i * d + k] = t.get(k);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- fit

  /** What a fit learns from, taken at one moment. */
  private record Snapshot(Map<String, TrainingStore.ClassView> views, List<ClassInfo> classes,
      Map<String, Long> liveCounts, long offered) {}

  /**
   * Takes what a fit learns from and marks it as taken for the triggers. A class counts as fitted
   * (base) only when it is registered with a text feature: its images can arrive before its
   * registry record (which comes out of ingest a transaction later), and once it is registered
   * they must still trigger a fit ("first images of a class").
   */
  private Snapshot snapshot() {
    awaitCounts();
    Map<String, TrainingStore.ClassView> views = store.snapshot();
    List<ClassInfo> classes = missingClasses(Set.of());
    Map<String, Long> counts = new HashMap<>(liveCounts);
    long offered = views.values().stream().mapToLong(TrainingStore.ClassView::trainOffered).sum();
    offeredAtLastSnapshot = offered;
    Set<String> base = new HashSet<>();
    for (ClassInfo c : classes) {
      TrainingStore.ClassView v = views.get(c.getName());
      if (v != null && v.trainCount() > 0) {
        base.add(c.getName());
      }
    }
    baseAtLastSnapshot = base;
    return new Snapshot(views, classes, counts, offered);
  }

  /**
   * Features and counts are written in one transaction by the streams app but arrive through
   * different partitions: wait briefly until the store has seen what the live counts say.
   */
  private void awaitCounts() {
    long deadline = System.nanoTime() + COUNTS_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      boolean behind = liveCounts.entrySet().stream()
          .anyMatch(e -> store.seen(e.getKey()) < e.getValue());
      if (!behind) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.info("The store is behind the live counts after {}; fitting on what it has", COUNTS_WAIT);
  }

  private void fitOnce(Set<String> reasons) {
    if (closing) {
      return;
    }
    Snapshot snap = snapshot();
    int d = config.featureWidth();
    List<ClassInfo> base = new ArrayList<>();
    List<ClassInfo> fresh = new ArrayList<>();
    for (ClassInfo c : snap.classes()) {
      TrainingStore.ClassView v = snap.views().get(c.getName());
      (v != null && v.trainCount() > 0 ? base : fresh).add(c);
    }
    if (base.isEmpty()) {
      LOG.debug("No class has training images yet; nothing to fit ({})", reasons);
      return;
    }
    List<ClassInfo> ordered = new ArrayList<>(base);
    ordered.addAll(fresh);
    int n = base.stream().mapToInt(c -> snap.views().get(c.getName()).trainCount()).sum();
    float[] features = new float[n * d];
    int[] labels = new int[n];
    float[] counts = new float[ordered.size()];
    int row = 0;
    for (int j = 0; j < base.size(); j++) {
      TrainingStore.ClassView v = snap.views().get(base.get(j).getName());
      counts[j] = v.trainCount();
      for (float[] f : v.train()) {
        System.arraycopy(f, 0, features, row * d, d);
        labels[row++] = j;
      }
    }
    List<String> names = ordered.stream().map(ClassInfo::getName).toList();
    CandleFit.TrainingSet data = new CandleFit.TrainingSet(features, labels, d, names,
        base.size(), textOf(ordered), counts);
    Device device = Devices.parse(config.device());
    LOG.info("fit started ({}): {} samples, {} classes ({} base) on {}", String.join(", ", reasons),
        n, names.size(), base.size(), device);
    long start = System.nanoTime();
    String outcome = "failed";
    try {
      AdaptiveFit.Fitted fitted = AdaptiveFit.fit(data, config.hyperParameters(),
          CandleFit.Options.defaults().withDevice(device).withProgress((epoch, epochs, loss, secs) -> {
            if (closing) {
              throw new java.util.concurrent.CancellationException("trainer closing");
            }
          }), config.selection());
      LOG.info("fit weights {}: k, λ, β {}; η {}", fitted.model().weights(), fitted.prior().decision(),
          fitted.head() != null ? fitted.head().decision() : fitted.headNote());
      outcome = gateAndPublish(fitted, snap, names);
    } catch (java.util.concurrent.CancellationException e) {
      outcome = "cancelled";
      LOG.info("Fit cancelled: the trainer is closing");
    } finally {
      Timer.builder("candle.fit.duration").description("Wall time of a full refit")
          .tag("outcome", outcome).tag("device", device.getDeviceType())
          .register(meters).record(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private String gateAndPublish(AdaptiveFit.Fitted fitted, Snapshot snap, List<String> names) {
    CandleModel candidate = fitted.model();
    Map<String, Long> bucketCounts = new HashMap<>();
    snap.views().forEach((name, v) -> bucketCounts.put(name, Math.max(v.seen(), snap.liveCounts().getOrDefault(name, 0L))));
    HoldoutEvaluation.Holdout holdout = HoldoutEvaluation.Holdout.of(snap.views(), bucketCounts,
        Set.copyOf(names), config.featureWidth());
    HoldoutEvaluation cand = HoldoutEvaluation.ofModel(candidate, holdout);
    HoldoutEvaluation zeroShot = HoldoutEvaluation.ofZeroShot(candidate, holdout);
    Served s = served;
    HoldoutEvaluation serving = s == null ? null : HoldoutEvaluation.ofModel(s.model(), holdout);
    boolean changed = s == null
        || !Set.copyOf(s.model().classNames()).equals(Set.copyOf(candidate.classNames()))
        || !Set.copyOf(s.model().classNames().subList(0, s.model().baseClasses()))
            .equals(Set.copyOf(candidate.classNames().subList(0, candidate.baseClasses())));
    PromotionGate.Decision decision = PromotionGate.decide(cand, zeroShot, serving, changed,
        config.gateTolerance(), fitted);
    Counter.builder("candle.trainer.candidates").description("Fitted candidates by gate outcome")
        .tag("outcome", decision.promote() ? "promoted" : "rejected")
        .tag("reason", decision.reason()).register(meters).increment();
    if (!decision.promote()) {
      LOG.warn("Candidate rejected ({}): {}; holdout {}, zero-shot {}, serving {}",
          decision.reason(), decision.detail(), cand.asMetrics("candidate"),
          zeroShot.asMetrics("zero_shot"), serving == null ? "-" : serving.asMetrics("serving"));
      return "rejected";
    }
    Map<String, Double> metrics = new LinkedHashMap<>(cand.asMetrics("holdout"));
    metrics.putAll(zeroShot.asMetrics("zero_shot"));
    metrics.put("fit.seconds", fitted.seconds());
    metrics.putAll(SelectionMetrics.of(fitted));
    Map<String, ClassBook> books = new LinkedHashMap<>();
    for (ClassInfo c : snap.classes()) {
      TrainingStore.ClassView v = snap.views().get(c.getName());
      books.put(c.getName(), new ClassBook(c.getIndex(), v == null ? 0 : v.seen(),
          v == null ? 0 : v.holdout().size()));
    }
    synchronized (publishLock) {
      // classes registered while the fit ran join as virtual prototypes
      List<ClassInfo> missing = missingClasses(Set.copyOf(candidate.classNames()));
      CandleModel model = missing.isEmpty() ? candidate : CandleFit.extend(candidate,
          missing.stream().map(ClassInfo::getName).toList(), textOf(missing));
      missing.forEach(c -> books.putIfAbsent(c.getName(), new ClassBook(c.getIndex(), 0, 0)));
      publish(model, Origin.FIT, books, metrics);
    }
    LOG.info("Candidate promoted: {}", decision.detail());
    return "promoted";
  }

  // ---------------------------------------------------------------- publish

  /** Publishes a version; the caller holds {@link #publishLock}. */
  private void publish(CandleModel model, Origin origin, Map<String, ClassBook> books,
      Map<String, Double> metrics) {
    long version = nextVersion++;
    long start = System.nanoTime();
    // a version is one record, written whole or not at all; a crash from here on loses at most it
    LOG.info("{} {} ({}, {} classes)", PUBLISHING_MESSAGE, version, origin, model.numClasses());
    ModelVersion record = ModelVersions.toRecord(model, version, Instant.now(),
        config.clipModelId(), origin, books, metrics);
    try {
      ModelVersions.checkSize(record, config.modelMaxBytes());
    } catch (RuntimeException e) {
      throw publishFailed(e.getMessage(), e);
    }
    try {
      producer.send(new ProducerRecord<>(topics.models().name(), config.modelName(), record))
          .get(PUBLISH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw publishFailed("Publishing version " + version + " ("
          + ModelVersions.parameterBytes(record) + " bytes) to " + topics.models().name()
          + " failed: " + e.getCause().getMessage() + publishHint(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      throw publishFailed("Publishing version " + version + " timed out after "
          + PUBLISH_TIMEOUT + "; is the broker reachable?", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing version " + version, e);
    }
    Served previous = served;
    served = new Served(version, model, origin, Map.copyOf(books), Map.copyOf(metrics));
    publishedVersion.set(version);
    recordScorable(previous, model, Instant.now());
    LOG.info("Published version {} ({}, {} classes, {} base, {} bytes) in {} ms", version, origin,
        model.numClasses(), model.baseClasses(), ModelVersions.parameterBytes(record),
        (System.nanoTime() - start) / 1_000_000);
  }

  /** The time to scorable of each class that this version is the first to contain. */
  private void recordScorable(Served previous, CandleModel model, Instant publishedAt) {
    Set<String> before = previous == null ? Set.of() : Set.copyOf(previous.model().classNames());
    for (String name : model.classNames()) {
      ClassInfo info = registry.get(name);
      if (!before.contains(name) && info != null && info.getFirstSeen() != null) {
        classMetrics.scorable(info.getFirstSeen(), publishedAt);
      }
    }
  }

  private IllegalStateException publishFailed(String message, Throwable cause) {
    Counter.builder("candle.trainer.publish.failures")
        .description("Versions that could not be published").register(meters).increment();
    lastPublishError = message;
    return new IllegalStateException(message, cause);
  }

  private static String publishHint(Throwable cause) {
    if (cause instanceof org.apache.kafka.common.errors.RecordTooLargeException) {
      return "; the models topic's max.message.bytes (or the broker's message.max.bytes) is"
          + " below the version's size: create the topic with ModelVersions.topicConfig"
          + " (see README, 'Topics') or raise max.message.bytes";
    }
    return "";
  }

  // ---------------------------------------------------------------- plumbing

  private Map<String, Object> consumerProperties() {
    Map<String, Object> p = new HashMap<>(ModelVersions.consumerConfig(config.modelMaxBytes()));
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    p.putAll(config.kafkaOverrides());
    return p;
  }

  private Map<String, Object> producerProperties() {
    Map<String, Object> p = new HashMap<>(ModelVersions.producerConfig(config.modelMaxBytes()));
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.putAll(config.kafkaOverrides());
    return p;
  }

  private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("Topic " + topic + " does not exist; the services do not"
          + " create topics: create them first (README, 'Topics'; TopicSpecs)");
    }
    return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
  }

  private static float[] toArray(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  @Override
  public void close() {
    closing = true;
    timer.shutdownNow();
    if (consumer != null) {
      consumer.wakeup();
    }
    if (consumerThread != null) {
      try {
        consumerThread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    fitWorker.close();
    extendWorker.close();
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
