package ai.candle.streams.model;

import ai.candle.core.CandleModel;
import ai.candle.core.FastScorer;
import ai.candle.core.io.ModelCodec;
import ai.candle.core.io.ModelFormatException;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.RegistryUnavailableException;
import ai.candle.schemas.VersionAssembler;
import ai.candle.schemas.VersionChunks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model version this process serves, swapped without a pause (docs/design.md flow 4).
 *
 * <p>A newer version is decoded and its {@link FastScorer} prepared on the caller's thread (the
 * models feed), beside the one serving; then one {@link AtomicReference} swap makes it the serving
 * one. Scoring threads take a {@link #lease()} (a reference count) for each call, so they never
 * wait for a load, and the old scorer is closed only when its last lease is released.
 *
 * <p>A version sent in chunks ({@link VersionChunks}) is held chunk by chunk and offered whole once
 * its manifest arrives ({@link VersionAssembler}). A version is <b>refused</b> (the previous one
 * keeps serving) when it is not a ModelVersion, its chunks are missing or do not match its
 * manifest, it has another feature width, fails its checksum, does not decode, or cannot be
 * prepared: logged once per version and reason (WARN, with the version and why) and counted in
 * {@code candle.model.refused{reason}} ({@link ModelRefusal}). A version older than or equal to the
 * serving one is ignored (DEBUG). A holder pinned to a version ({@code scoring.model.pin}) serves
 * that version only and ignores every other (logged once at INFO).
 *
 * <p>Anyone who can write to the models topic can offer anything, so every failure to read or
 * prepare a record is a refusal, whatever it throws: any exception, and the errors that a hostile
 * record can cause and that leave the process sound ({@link StackOverflowError} of a deep
 * structure, an {@link AssertionError}). The fatal ones ({@link OutOfMemoryError} and the other
 * virtual machine errors, {@link LinkageError}) go on up: the codec bounds what decoding allocates
 * by the record's size, so running out of memory means the heap is too small for the versions, not
 * that a record is hostile, and the process must not go on as if nothing happened.
 *
 * <p>Metrics: {@code candle.model.version} and {@code candle.model.age} (seconds since the serving
 * version's {@code createdAt}) gauges, NaN before any version; {@code candle.model.swaps} (every
 * version that started serving, the first one included); {@code candle.model.load} (decode and
 * prepare time of each served version).
 */
public final class ModelHolder implements AutoCloseable {

  static final String VERSION_GAUGE = "candle.model.version";
  static final String AGE_GAUGE = "candle.model.age";
  static final String SWAPS = "candle.model.swaps";
  static final String REFUSED = "candle.model.refused";
  static final String LOAD_TIME = "candle.model.load";
  static final String REASON_TAG = "reason";
  private static final Logger LOG = LoggerFactory.getLogger(ModelHolder.class);

  /** How many refused (version, reason) pairs are remembered, to log and count each once. */
  private static final int REMEMBERED_REFUSALS = 256;

  /** The longest refusal reason logged, in characters. */
  private static final int MAX_REASON_CHARS = 1_000;

  /** What became of an offered version. */
  public enum Offer {
    /** It serves now. */
    SERVED,
    /** Not newer than the serving version. */
    IGNORED,
    /** Refused; the previous version keeps serving. */
    REFUSED,
    /** A chunk of a newer version, held until its manifest arrives. */
    PART
  }

  /** A model version record as it came off the topic, with where it came from (for logs). */
  public record RawVersion(byte[] value, String where) {}

  private final String modelName;
  private final int featureWidth;
  private final long pinned;
  private boolean pinLogged;
  private final Clock clock;
  private final Deserializer<ModelVersion> versions;

  /** Chunks of versions not yet complete, at most {@code model.max.bytes} of them. */
  private final VersionAssembler chunks;

  private final AtomicReference<Serving> serving = new AtomicReference<>();
  private final CompletableFuture<Long> firstServed = new CompletableFuture<>();
  private final Map<ModelRefusal, Counter> refused = new EnumMap<>(ModelRefusal.class);
  private final Counter swaps;
  private final Timer loadTime;
  private final Map<String, Boolean> refusals =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED_REFUSALS;
        }
      };
  private boolean closed;

  /**
   * @param modelName the model's key on the models topic (for logs)
   * @param featureWidth the width every version must have ({@code feature.width})
   */
  public ModelHolder(String modelName, int featureWidth, MeterRegistry registry, Clock clock) {
    this(modelName, featureWidth, -1, registry, clock);
  }

  /**
   * @param versions reads the models topic's values (its wire format: {@code Topics.models()})
   */
  public ModelHolder(
      String modelName,
      int featureWidth,
      MeterRegistry registry,
      Clock clock,
      Deserializer<ModelVersion> versions) {
    this(modelName, featureWidth, -1, registry, clock, versions);
  }

  /**
   * @param pinned the only version served ({@code scoring.model.pin}); -1: the newest
   */
  public ModelHolder(
      String modelName, int featureWidth, long pinned, MeterRegistry registry, Clock clock) {
    this(
        modelName,
        featureWidth,
        pinned,
        registry,
        clock,
        AvroSerde.of(ModelVersion.class).deserializer());
  }

  /**
   * @param modelName the model's key on the models topic (for logs)
   * @param featureWidth the width every version must have ({@code feature.width})
   * @param pinned the only version served ({@code scoring.model.pin}); -1: the newest
   * @param versions reads the models topic's values (its wire format: {@code Topics.models()})
   */
  public ModelHolder(
      String modelName,
      int featureWidth,
      long pinned,
      MeterRegistry registry,
      Clock clock,
      Deserializer<ModelVersion> versions) {
    this(
        modelName,
        featureWidth,
        pinned,
        ModelVersions.DEFAULT_MAX_BYTES,
        registry,
        clock,
        versions);
  }

  /**
   * @param modelName the model's key on the models topic (for logs)
   * @param featureWidth the width every version must have ({@code feature.width})
   * @param pinned the only version served ({@code scoring.model.pin}); -1: the newest
   * @param maxVersionBytes the most chunk bytes held while versions are incomplete ({@code
   *     model.max.bytes})
   * @param versions reads the models topic's values (its wire format: {@code Topics.models()})
   */
  public ModelHolder(
      String modelName,
      int featureWidth,
      long pinned,
      int maxVersionBytes,
      MeterRegistry registry,
      Clock clock,
      Deserializer<ModelVersion> versions) {
    this.chunks = new VersionAssembler(maxVersionBytes);
    this.versions = Objects.requireNonNull(versions, "versions");
    this.modelName = Objects.requireNonNull(modelName, "modelName");
    this.featureWidth = featureWidth;
    this.pinned = pinned;
    this.clock = Objects.requireNonNull(clock, "clock");
    for (ModelRefusal reason : ModelRefusal.values()) {
      refused.put(
          reason,
          Counter.builder(REFUSED)
              .description("Model versions refused (the previous version kept serving), by reason")
              .tag(REASON_TAG, reason.tag())
              .register(registry));
    }
    swaps =
        Counter.builder(SWAPS)
            .description("Model versions that started serving (the first one included)")
            .register(registry);
    loadTime =
        Timer.builder(LOAD_TIME)
            .description("Time to decode a model version and prepare its scorer")
            .register(registry);
    Gauge.builder(VERSION_GAUGE, this, ModelHolder::versionOrNaN)
        .description("Version of the serving model (NaN before any)")
        .strongReference(true)
        .register(registry);
    Gauge.builder(AGE_GAUGE, this, ModelHolder::ageSeconds)
        .description("Seconds since the serving model version was created (NaN before any)")
        .baseUnit("seconds")
        .strongReference(true)
        .register(registry);
  }

  /**
   * Offers a batch of records as read from the topic: the newest versions are tried first, so a
   * consumer catching up on a backlog prepares one scorer, not one per version.
   */
  public void offerNewestFirst(List<RawVersion> batch) {
    List<Map.Entry<ModelVersion, String>> decoded = new ArrayList<>(batch.size());
    for (RawVersion raw : batch) {
      try {
        decoded.add(Map.entry(versions.deserialize(null, raw.value()), raw.where()));
      } catch (RuntimeException | Error e) {
        rethrowIfFatal(e);
        refuse(null, raw.where(), ModelRefusal.NOT_SCHEMA, describe(e));
      }
    }
    decoded.sort(
        Comparator.comparingLong((Map.Entry<ModelVersion, String> e) -> e.getKey().getVersion())
            .reversed());
    for (Map.Entry<ModelVersion, String> e : decoded) {
      offer(e.getKey(), e.getValue());
    }
  }

  /** Offers one encoded record (as on the topic). */
  public Offer offer(byte[] value, String where) {
    ModelVersion record;
    Objects.requireNonNull(value, "value");
    try {
      record = versions.deserialize(null, value);
    } catch (RuntimeException | Error e) {
      rethrowIfFatal(e);
      return refuse(null, where, ModelRefusal.NOT_SCHEMA, describe(e));
    }
    return offer(record, where);
  }

  /**
   * Offers one version: served if it is newer than the serving one and loads, else ignored or
   * refused. Loads on the calling thread; scoring goes on meanwhile with the serving version.
   */
  public synchronized Offer offer(ModelVersion record, String where) {
    long version = record.getVersion();
    Serving current = serving.get();
    if (pinned >= 0 && version != pinned) {
      if (!pinLogged) {
        pinLogged = true;
        LOG.info(
            "Model '{}' is pinned to version {} (scoring.model.pin): ignoring version {} from {}"
                + " and every other",
            modelName,
            pinned,
            version,
            where);
      }
      return Offer.IGNORED;
    }
    if (closed || (current != null && version <= current.version())) {
      LOG.debug(
          "Ignoring model '{}' version {} from {}: serving version {}",
          modelName,
          version,
          where,
          current == null ? "none" : current.version());
      return Offer.IGNORED;
    }
    if (record.getChunk() != null) {
      try {
        ModelVersion whole = chunks.offer(record);
        if (whole == null) {
          return Offer.PART;
        }
        record = whole;
      } catch (RuntimeException e) {
        return refuse(version, where, ModelRefusal.CHUNKED, describe(e));
      }
    }
    long start = System.nanoTime();
    CandleModel model;
    try {
      ModelRefusal reason = check(record);
      if (reason != null) {
        return refuse(version, where, reason, why(record, reason));
      }
      model = ModelVersions.fromRecord(record, featureWidth);
    } catch (RuntimeException | Error e) {
      rethrowIfFatal(e);
      return refuse(version, where, ModelRefusal.UNDECODABLE, describe(e));
    }
    FastScorer scorer;
    try {
      scorer = FastScorer.prepare(model);
    } catch (RuntimeException | Error e) {
      rethrowIfFatal(e);
      return refuse(version, where, ModelRefusal.UNSCORABLE, e.toString());
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    loadTime.record(took);
    swapIn(new Serving(version, record.getCreatedAt(), model.classNames(), scorer), where, took);
    return Offer.SERVED;
  }

  /** A lease on the serving version, or null before any (close it after scoring). */
  public ModelLease lease() {
    while (true) {
      Serving s = serving.get();
      if (s == null) {
        return null;
      }
      if (s.retain()) {
        return new ModelLease(s);
      }
      // s was swapped out and released meanwhile: the reference holds a newer one now.
    }
  }

  /** The serving version, empty before any. */
  public OptionalLong servingVersion() {
    Serving s = serving.get();
    return s == null ? OptionalLong.empty() : OptionalLong.of(s.version());
  }

  /** Completes with the first version served. */
  public CompletableFuture<Long> firstServed() {
    return firstServed;
  }

  /**
   * Waits until a version of at least {@code version} serves, at most {@code timeout}.
   *
   * @return whether one does
   */
  public boolean awaitVersion(long version, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (serving) {
      while (servingVersion().orElse(Long.MIN_VALUE) < version) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        serving.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  /** Stops serving: the scorer closes once its last lease is released; later offers are ignored. */
  @Override
  public synchronized void close() {
    closed = true;
    Serving s = serving.getAndSet(null);
    if (s != null) {
      s.release();
    }
  }

  private void swapIn(Serving fresh, String where, Duration took) {
    Serving old;
    synchronized (serving) {
      old = serving.getAndSet(fresh);
      serving.notifyAll();
    }
    swaps.increment();
    LOG.info(
        "Serving model '{}' version {} ({} classes, created {}) from {}, loaded in {} ms;"
            + " was {}",
        modelName,
        fresh.version(),
        fresh.classNames().size(),
        fresh.createdAt(),
        where,
        took.toMillis(),
        old == null ? "none" : "version " + old.version());
    if (old != null) {
      old.release();
    }
    firstServed.complete(fresh.version());
  }

  /** The checks that need no decoding, in the order of the reasons. */
  private ModelRefusal check(ModelVersion record) {
    if (record.getFeatureWidth() != featureWidth) {
      return ModelRefusal.WIDTH;
    }
    String stored;
    try {
      stored = ModelCodec.checksum(bytes(record.getParameters()));
    } catch (ModelFormatException e) {
      // The codec checks the blob's frame and its own SHA-256 first; only the latter is an
      // integrity failure of well-framed bytes, the rest (truncated, not a blob, newer format)
      // is left to the decoder, which says what is wrong.
      return switch (e.kind()) {
        case CHECKSUM -> ModelRefusal.CHECKSUM;
        case FORMAT, INCONSISTENT, WIDTH, CHUNKED -> null;
      };
    }
    return stored.equals(record.getChecksum()) ? null : ModelRefusal.CHECKSUM;
  }

  private String why(ModelVersion record, ModelRefusal reason) {
    return switch (reason) {
      case WIDTH ->
          "its feature width is "
              + record.getFeatureWidth()
              + " (CLIP model "
              + record.getClipModelId()
              + ") but this service is configured for "
              + featureWidth
              + " (feature.width)";
      case CHECKSUM ->
          "its parameters do not hash to its checksum "
              + record.getChecksum()
              + "; the record was altered or corrupted after it was written";
      default -> reason.tag();
    };
  }

  private Offer refuse(Long version, String where, ModelRefusal reason, String why) {
    String key = (version == null ? "?" + where : version.toString()) + "/" + reason;
    synchronized (refusals) {
      if (refusals.put(key, Boolean.TRUE) != null) {
        LOG.debug("Model '{}' version {} refused again ({})", modelName, version, reason.tag());
        return Offer.REFUSED;
      }
    }
    refused.get(reason).increment();
    Serving current = serving.get();
    LOG.warn(
        "Refusing model '{}' version {} from {} ({}): {}; {}",
        modelName,
        version == null ? "(unreadable)" : version,
        where,
        reason.tag(),
        bounded(why),
        current == null
            ? "no version serves yet"
            : "version " + current.version() + " keeps serving");
    return Offer.REFUSED;
  }

  /**
   * Lets the errors that say the process itself is unsound go on up (see the class comment);
   * returns for everything a hostile record can cause.
   */
  private static void rethrowIfFatal(Throwable t) {
    if (t instanceof RegistryUnavailableException e) {
      throw e; // the schema registry is down: the record is not at fault
    }
    if (t instanceof StackOverflowError) {
      return; // a deep structure's recursion, unwound by now
    }
    if (t instanceof VirtualMachineError || t instanceof LinkageError) {
      throw (Error) t;
    }
  }

  /**
   * A reason as logged: at most {@value #MAX_REASON_CHARS} characters (a record's bytes may be
   * quoted).
   */
  private static String bounded(String why) {
    return why == null || why.length() <= MAX_REASON_CHARS
        ? why
        : why.substring(0, MAX_REASON_CHARS) + "... (" + why.length() + " characters)";
  }

  /** Why a record could not be read: the codec's message, or the throwable itself. */
  private static String describe(Throwable t) {
    return t instanceof ModelFormatException || t instanceof SerializationException
        ? t.getMessage()
        : t.toString();
  }

  private double versionOrNaN() {
    Serving s = serving.get();
    return s == null ? Double.NaN : s.version();
  }

  private double ageSeconds() {
    Serving s = serving.get();
    return s == null
        ? Double.NaN
        : Duration.between(s.createdAt(), clock.instant()).toMillis() / 1000.0;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** A served version and its scorer, reference-counted: the holder's reference plus leases. */
  static final class Serving {
    private final long version;
    private final Instant createdAt;
    private final List<String> classNames;
    private final FastScorer scorer;
    private final AtomicInteger references = new AtomicInteger(1);

    Serving(long version, Instant createdAt, List<String> classNames, FastScorer scorer) {
      this.version = version;
      this.createdAt = createdAt;
      this.classNames = List.copyOf(classNames);
      this.scorer = scorer;
    }

    long version() {
      return version;
    }

    Instant createdAt() {
      return createdAt;
    }

    List<String> classNames() {
      return classNames;
    }

    FastScorer scorer() {
      return scorer;
    }

    /** Takes a reference unless the last one was released already (then the scorer is closed). */
    boolean retain() {
      while (true) {
        int n = references.get();
        if (n == 0) {
          return false;
        }
        if (references.compareAndSet(n, n + 1)) {
          return true;
        }
      }
    }

    void release() {
      if (references.decrementAndGet() == 0) {
        scorer.close();
      }
    }

    /** Whether the scorer was closed (every reference released). */
    boolean released() {
      return references.get() == 0;
    }
  }
}
