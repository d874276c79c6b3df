package ai.candle.streams.model;

import static ai.candle.streams.model.TestModels.model;
import static ai.candle.streams.model.TestModels.version;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.FastScorer;
import ai.candle.core.HyperParameters;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ModelChunk;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.VersionChunks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Hot swap: newer versions serve, older ones are ignored, bad ones refused with a metric. */
class ModelHolderTest {

  static final AvroSerde<ModelVersion> SERDE = AvroSerde.of(ModelVersion.class);

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final Clock clock = Clock.fixed(TestModels.CREATED.plusSeconds(90), ZoneOffset.UTC);
  final ModelHolder holder = new ModelHolder("candle", TestModels.WIDTH, registry, clock);

  @AfterEach
  void close() {
    holder.close();
  }

  double refused(ModelRefusal reason) {
    return registry
        .get(ModelHolder.REFUSED)
        .tag(ModelHolder.REASON_TAG, reason.tag())
        .counter()
        .count();
  }

  double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  double swaps() {
    return registry.get(ModelHolder.SWAPS).counter().count();
  }

  @Test
  void beforeAnyVersionThereIsNoLeaseAndTheGaugesAreNaN() {
    assertNull(holder.lease());
    assertEquals(OptionalLong.empty(), holder.servingVersion());
    assertTrue(Double.isNaN(gauge(ModelHolder.VERSION_GAUGE)));
    assertTrue(Double.isNaN(gauge(ModelHolder.AGE_GAUGE)));
    assertFalse(holder.firstServed().isDone());
  }

  @Test
  void aPinnedHolderServesItsVersionOnlyOlderOrNewer() {
    CandleModel first = model("cat", "dog");
    CandleModel second = TestModels.extend(first, "fox");
    try (ModelHolder pinnedHolder =
        new ModelHolder("candle", TestModels.WIDTH, 3, new SimpleMeterRegistry(), clock)) {
      assertEquals(ModelHolder.Offer.IGNORED, pinnedHolder.offer(version(second, 2), "t-0@0"));
      assertEquals(ModelHolder.Offer.SERVED, pinnedHolder.offer(version(first, 3), "t-0@1"));
      assertEquals(ModelHolder.Offer.IGNORED, pinnedHolder.offer(version(second, 4), "t-0@2"));
      pinnedHolder.offerNewestFirst(
          List.of(
              new ModelHolder.RawVersion(SERDE.encode(version(second, 5)), "t-0@3"),
              new ModelHolder.RawVersion(SERDE.encode(version(first, 3)), "t-0@4")));
      try (ModelLease lease = pinnedHolder.lease()) {
        assertEquals(3, lease.version());
        assertEquals(List.of("cat", "dog"), lease.classNames());
      }
    }
  }

  @Test
  void aNewerVersionIsSwappedInAndScoresLikeItsModel() {
    CandleModel first = model("cat", "dog");
    CandleModel second = TestModels.extend(first, "fox");
    assertEquals(ModelHolder.Offer.SERVED, holder.offer(version(first, 3), "t-0@0"));
    assertEquals(3L, holder.firstServed().getNow(-1L));
    assertEquals(ModelHolder.Offer.SERVED, holder.offer(SERDE.encode(version(second, 4)), "t-0@1"));

    try (ModelLease lease = holder.lease();
        FastScorer expected = FastScorer.prepare(second)) {
      assertEquals(4, lease.version());
      assertEquals(List.of("cat", "dog", "fox"), lease.classNames());
      assertArrayEquals(expected.score(TestModels.axis(2)), lease.score(TestModels.axis(2)));
    }
    assertEquals(2.0, swaps());
    assertEquals(4.0, gauge(ModelHolder.VERSION_GAUGE));
    assertEquals(90.0, gauge(ModelHolder.AGE_GAUGE), "seconds since the version was created");
  }

  @Test
  void anOlderOrEqualVersionIsIgnored() {
    holder.offer(version(model("cat", "dog"), 5), "t-0@0");
    assertEquals(
        ModelHolder.Offer.IGNORED, holder.offer(version(model("a", "b", "c"), 5), "t-0@1"));
    assertEquals(
        ModelHolder.Offer.IGNORED, holder.offer(version(model("a", "b", "c"), 4), "t-0@2"));

    try (ModelLease lease = holder.lease()) {
      assertEquals(5, lease.version());
      assertEquals(List.of("cat", "dog"), lease.classNames());
    }
    assertEquals(1.0, swaps());
  }

  @Test
  void aVersionThatFailsItsChecksumIsRefusedCountedOnceAndThePreviousKeepsServing() {
    holder.offer(version(model("cat", "dog"), 1), "t-0@0");
    ModelVersion tampered = version(model("cat", "dog", "fox"), 2);
    ByteBuffer parameters = tampered.getParameters().duplicate();
    byte[] bytes = new byte[parameters.remaining()];
    parameters.get(bytes);
    bytes[bytes.length / 2] ^= 0x01;
    tampered.setParameters(ByteBuffer.wrap(bytes));

    assertEquals(ModelHolder.Offer.REFUSED, holder.offer(tampered, "t-0@1"));
    assertEquals(ModelHolder.Offer.REFUSED, holder.offer(tampered, "t-0@2"));

    assertEquals(1.0, refused(ModelRefusal.CHECKSUM), "counted once per version and reason");
    assertEquals(OptionalLong.of(1), holder.servingVersion());
    assertEquals(1.0, gauge(ModelHolder.VERSION_GAUGE));
  }

  @Test
  void aVersionOfAnotherFeatureWidthIsRefused() {
    holder.offer(version(model("cat", "dog"), 1), "t-0@0");
    CandleModel wide =
        CandleFit.untrained(List.of("cat", "dog"), 32, new float[64], HyperParameters.adaptive());

    assertEquals(ModelHolder.Offer.REFUSED, holder.offer(version(wide, 2), "t-0@1"));
    assertEquals(1.0, refused(ModelRefusal.WIDTH));
    assertEquals(OptionalLong.of(1), holder.servingVersion());
  }

  @Test
  void chunkedUndecodableAndForeignRecordsAreRefusedWithTheirReasons() {
    // a manifest whose chunks never came
    ModelVersion chunked = version(model("cat", "dog"), 1);
    chunked.setParameters(ByteBuffer.allocate(0));
    chunked.setChunk(
        new ModelChunk(VersionChunks.MANIFEST_INDEX, 2, 100L, List.of("a".repeat(64), "b")));
    ModelVersion garbage = version(model("cat", "dog"), 2);
    byte[] junk = new byte[] {1, 2, 3, 4, 5, 6, 7, 8};
    garbage.setParameters(ByteBuffer.wrap(junk));
    garbage.setChecksum("0".repeat(64));

    assertEquals(ModelHolder.Offer.REFUSED, holder.offer(chunked, "t-0@0"));
    assertEquals(ModelHolder.Offer.REFUSED, holder.offer(garbage, "t-0@1"));
    assertEquals(ModelHolder.Offer.REFUSED, holder.offer(new byte[] {42, 42}, "t-0@2"));

    assertEquals(1.0, refused(ModelRefusal.CHUNKED));
    assertEquals(1.0, refused(ModelRefusal.UNDECODABLE));
    assertEquals(1.0, refused(ModelRefusal.NOT_SCHEMA));
    assertNull(holder.lease());
  }

  @Test
  void aChunkedVersionServesOnceItsManifestArrivesAndATornOneIsRefused() {
    holder.offer(version(model("cat", "dog"), 1), "t-0@0");
    ModelVersion two = version(model("cat", "dog", "emu", "fox"), 2);
    List<VersionChunks.Keyed> records = VersionChunks.split("candle", two, 100);
    assertTrue(records.size() > 3, "several chunks: " + records.size());
    List<ModelHolder.RawVersion> batch = new ArrayList<>();
    for (int i = 0; i < records.size() - 1; i++) {
      batch.add(new ModelHolder.RawVersion(SERDE.encode(records.get(i).value()), "t-0@" + i));
    }
    holder.offerNewestFirst(batch);
    assertEquals(OptionalLong.of(1), holder.servingVersion(), "chunks alone are held");
    ModelVersion manifest = records.get(records.size() - 1).value();
    assertEquals(ModelHolder.Offer.SERVED, holder.offer(SERDE.encode(manifest), "t-0@99"));
    assertEquals(OptionalLong.of(2), holder.servingVersion());
    try (ModelLease lease = holder.lease()) {
      assertEquals(List.of("cat", "dog", "emu", "fox"), lease.classNames());
    }

    ModelVersion three = version(model("cat", "dog", "emu", "fox", "gnu"), 3);
    List<VersionChunks.Keyed> torn = VersionChunks.split("candle", three, 100);
    for (int i = 0; i < torn.size() - 1; i++) {
      ModelVersion chunk = torn.get(i).value();
      if (i == 1) {
        ByteBuffer b = chunk.getParameters().duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        bytes[0] ^= 0x10;
        chunk.setParameters(ByteBuffer.wrap(bytes));
      }
      assertEquals(ModelHolder.Offer.PART, holder.offer(chunk, "t-0@" + (100 + i)));
    }
    assertEquals(
        ModelHolder.Offer.REFUSED, holder.offer(torn.get(torn.size() - 1).value(), "t-0@200"));
    assertEquals(1.0, refused(ModelRefusal.CHUNKED));
    assertEquals(OptionalLong.of(2), holder.servingVersion(), "the previous version serves on");
  }

  @Test
  void aBacklogLoadsOnlyItsNewestVersion() {
    List<ModelHolder.RawVersion> batch = new ArrayList<>();
    for (long v : new long[] {3, 5, 4}) {
      batch.add(
          new ModelHolder.RawVersion(SERDE.encode(version(model("cat", "dog"), v)), "t-0@" + v));
    }
    holder.offerNewestFirst(batch);

    assertEquals(OptionalLong.of(5), holder.servingVersion());
    assertEquals(1.0, swaps(), "versions 3 and 4 are older than 5: never prepared");
  }

  @Test
  void theOldScorerStaysOpenForLeasesTakenBeforeTheSwapAndClosesAfterTheLast() {
    holder.offer(version(model("cat", "dog"), 1), "t-0@0");
    ModelLease before = holder.lease();
    holder.offer(version(model("cat", "dog", "fox"), 2), "t-0@1");

    assertEquals(2, before.score(TestModels.axis(0)).length, "version 1 still scores");
    assertFalse(before.scorerClosed());
    before.close();
    assertTrue(before.scorerClosed(), "closed once its last lease is released");
    try (ModelLease after = holder.lease()) {
      assertEquals(2, after.version());
      assertFalse(after.scorerClosed());
    }
  }

  @Test
  void awaitVersionReturnsOnceTheVersionServes() throws Exception {
    holder.offer(version(model("cat", "dog"), 1), "t-0@0");
    assertFalse(holder.awaitVersion(2, Duration.ofMillis(20)));
    Thread loader = new Thread(() -> holder.offer(version(model("cat", "dog"), 2), "t-0@1"));
    loader.start();
    assertTrue(holder.awaitVersion(2, Duration.ofSeconds(30)));
    loader.join();
  }

  /**
   * Scoring never pauses for a swap: {@code offer} decodes and prepares the next version while it
   * holds the holder's monitor, and a lease taken meanwhile does not need that monitor; it gets the
   * serving version at once. (ScoringSwapIT prints the gaps this gives on a real broker.)
   */
  @Test
  void aLeaseNeverWaitsForAVersionBeingPrepared() throws Exception {
    holder.offer(version(model("cat", "dog"), 1), "t-0@0");
    ExecutorService scorer = Executors.newSingleThreadExecutor();
    try {
      synchronized (holder) { // what an offer preparing version 2 holds
        Future<Long> leased =
            scorer.submit(
                () -> {
                  try (ModelLease lease = holder.lease()) {
                    return lease.version();
                  }
                });
        assertEquals(1L, leased.get(30, java.util.concurrent.TimeUnit.SECONDS));
      }
    } finally {
      scorer.shutdownNow();
    }
  }

  @Test
  void scoringThreadsNeverFailOrGoBackwardsWhileVersionsSwap() throws Exception {
    holder.offer(version(model("cat", "dog"), 1), "t-0@0");
    AtomicBoolean swapping = new AtomicBoolean(true);
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try {
      List<Future<Integer>> scorers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        scorers.add(
            threads.submit(
                () -> {
                  long last = 0;
                  int scored = 0;
                  while (swapping.get()) {
                    try (ModelLease lease = holder.lease()) {
                      assertTrue(
                          lease.version() >= last, "versions never go backwards on one thread");
                      last = lease.version();
                      assertEquals(
                          lease.classNames().size(), lease.score(TestModels.axis(1)).length);
                      scored++;
                    }
                  }
                  return scored;
                }));
      }
      for (long v = 2; v <= 20; v++) {
        holder.offer(
            version(v % 2 == 0 ? model("cat", "dog", "fox") : model("cat", "dog"), v), "t-0@" + v);
      }
      swapping.set(false);
      for (Future<Integer> scorer : scorers) {
        assertTrue(scorer.get() > 0);
      }
    } finally {
      threads.shutdownNow();
    }
    assertEquals(20.0, swaps());
  }
}
