package ai.candle.trainer;

import ai.candle.core.AdaptiveFit;
import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.Devices;
import ai.candle.core.ScoreWeights;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ModelVersions.Origin;
import ai.candle.service.Health;
import ai.djl.Device;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer (docs/design.md, flow 3): keeps a training store from {@code candle.features}, the
 * class registry from {@code candle.classes} and the live counts from {@code candle.class-counts};
 * publishes model versions to {@code candle.models}.
 *
 * <ul>
 *   <li>A class that appears in the registry (with its text feature) and is not in the serving
 *       version is added as a virtual prototype at once ({@link CandleFit#extend}; an {@code
 *       EXTEND} version, or {@code INITIAL} before any fit), on the extend thread.
 *   <li>A refit runs on the fit thread when {@link RefitPolicy} asks for one: warm-started from the
 *       serving version, or full when {@link RefitPlan} says so. Requests during a fit coalesce
 *       into one ({@link CoalescingWorker}).
 *   <li>A fit learns from a {@link TrainingSnapshot}; the fitted candidate passes the {@link
 *       PromotionGate} on the holdout or is dropped (logged, counted). Classes registered during
 *       the fit are appended before it is published.
 *   <li>On start {@link VersionLog} resumes the version sequence from the models topic; the
 *       consumer then rebuilds the store by replaying the input topics from the beginning, and
 *       triggers wait until that replay caught up.
 * </ul>
 *
 * This class is the wiring of the consumer thread ({@link InputReplay}), the fit and extend
 * workers, the timer and the metrics.
 */
public final class Trainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  /** Logged when the trainer caught up with its inputs (scripts and tests wait for it). */
  public static final String CAUGHT_UP_MESSAGE = "candle trainer caught up";

  /** Logged when a version starts to be encoded and sent ("Published version" follows its ack). */
  public static final String PUBLISHING_MESSAGE = "Publish started: version";

  /**
   * Logged once when another trainer of the model took over (TrainerApp then exits with its own
   * status).
   */
  public static final String FENCED_MESSAGE = "candle trainer fenced";

  static final Duration COUNTS_WAIT = Duration.ofSeconds(2);

  private final TrainerConfig config;
  private final MeterRegistry meters;
  private final TrainerInputs inputs;
  private final RefitPolicy policy;
  private final VersionLog versions;

  /** The training store as the training-store topic holds it; used under {@link #publishLock}. */
  private final StoreCheckpoint checkpoint;

  /** Fits and extends publish under it, so each publishes against the version it extended. */
  private final Object publishLock = new Object();

  private final CoalescingWorker fitWorker;
  private final CoalescingWorker extendWorker;
  private final ScheduledExecutorService timer;
  private final Counter publishFailures;
  private final ClassMetrics classMetrics;
  private final AtomicLong fitsFinished = new AtomicLong();
  private final InputReplay replay;
  private volatile boolean closing;
  private volatile ServingVersion serving;
  private volatile Throwable failure;
  private volatile boolean fenced;
  private volatile String lastPublishError;

  // what warm-started refits continue from; used on the fit thread only
  /** The last promoted full refit of this trainer (its weights and selection), or null. */
  private AdaptiveFit.Fitted lastFull;

  /** Its base classes. */
  private Set<String> lastFullBase = Set.of();

  /** Warm refits since it. */
  private int warmSinceFull;

  /** The weights of the last version a fit of this trainer promoted, or null. */
  private ScoreWeights lastPromoted;

  /** Image ids of the training samples the last promoted fit learnt from. */
  private Set<String> learnt = Set.of();

  public Trainer(TrainerConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
    this.inputs = new TrainerInputs(config);
    this.policy = RefitPolicy.of(config);
    this.versions = new VersionLog(config);
    this.checkpoint = new StoreCheckpoint(config.modelName(), inputs.featuresTopic());
    this.fitWorker = new CoalescingWorker("candle-trainer-fit", this::fitOnce);
    this.extendWorker = new CoalescingWorker("candle-trainer-extend", reasons -> extendOnce());
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "candle-trainer-timer");
              t.setDaemon(true);
              return t;
            });
    this.replay =
        new InputReplay(config, inputs, checkpoint, meters, this::onCaughtUp, this::checkTriggers);
    this.publishFailures =
        Counter.builder("candle.trainer.publish.failures")
            .description("Publish attempts that failed (each retry counts)")
            .register(meters);
    Gauge.builder("candle.trainer.model.version", versions, VersionLog::lastVersion)
        .description("Last model version this trainer published (-1: none)")
        .register(meters);
    Gauge.builder("candle.trainer.store.samples", inputs.store(), s -> s.kept()[0])
        .tag("split", "train")
        .register(meters);
    Gauge.builder("candle.trainer.store.samples", inputs.store(), s -> s.kept()[1])
        .tag("split", "holdout")
        .register(meters);
    Gauge.builder("candle.trainer.classes", inputs.registry(), ClassRegistry::size)
        .register(meters);
    this.classMetrics = new ClassMetrics(meters, inputs::classCounts);
  }

  /**
   * Resumes the version sequence from the models topic and restores the training store, then starts
   * consuming. Returns once the consumer runs; {@link #awaitCaughtUp} waits for the replay.
   */
  public void start() {
    VersionLog.Recovery recovery = versions.open();
    serving = recovery.serving();
    replay.start(recovery.store());
    long period = config.refitInterval().toMillis();
    timer.scheduleAtFixedRate(
        () ->
            policy
                .onTimer(inputs.store().trainOffered())
                .ifPresent(reason -> fitWorker.request(reason.label())),
        period,
        period,
        TimeUnit.MILLISECONDS);
  }

  /** Waits until the replay of the input topics reached their ends as of the start. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return replay.awaitCaughtUp(timeout);
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
    return versions.lastVersion();
  }

  /** Why the trainer stopped (its consumer failed, or it was fenced), or null while it runs. */
  public Throwable failure() {
    Throwable f = failure;
    return f != null ? f : replay.failure();
  }

  /** Whether another trainer of this model fenced this one ({@link #failure} says so too). */
  public boolean fenced() {
    return fenced;
  }

  /**
   * Fits that ran to an end so far, whatever the outcome (promoted, rejected, failed, or nothing
   * registered to fit): tests and scripts wait on it instead of on the clock.
   */
  public long fitsFinished() {
    return fitsFinished.get();
  }

  /**
   * The trainer's health for the probes: live until its consumer stops; ready once it caught up.
   */
  public Health.Status health() {
    Throwable f = failure();
    if (f != null) {
      return Health.Status.down(
          (fenced ? "fenced by another trainer of the model: " : "stopped: ") + f.getMessage());
    }
    return replay.isCaughtUp()
        ? Health.Status.up("caught up, following the inputs")
        : Health.Status.starting("replaying the input topics");
  }

  /** The message of the last failed publish, or null. */
  public String lastPublishError() {
    return lastPublishError;
  }

  // ---------------------------------------------------------------- consuming

  private void onCaughtUp() {
    ServingVersion s = serving;
    // the triggers count from what the store holds (restored and replayed), at most what the
    // version counted
    RefitPolicy.Mark resumed = s == null ? RefitPolicy.Mark.NOTHING : s.mark();
    policy.caughtUp(resumed.heldBy(inputs.store().trainOffered()));
    long[] kept = inputs.store().kept();
    LOG.info(
        "{}: {} classes, {} training and {} held-out samples kept, {} training images seen",
        CAUGHT_UP_MESSAGE,
        inputs.registry().size(),
        kept[0],
        kept[1],
        inputs.store().trainOffered());
  }

  /** Runs on the consumer thread after each poll: asks the workers, never fits here. */
  private void checkTriggers() {
    ServingVersion s = serving;
    RefitPolicy.Decision decision =
        policy.check(inputs.observed(s == null ? Set.of() : s.classNames()));
    decision.extend().forEach(name -> extendWorker.request("class " + name));
    decision.fit().ifPresent(reason -> fitWorker.request(reason.label()));
  }

  // ---------------------------------------------------------------- extend

  private void extendOnce() {
    synchronized (publishLock) {
      ServingVersion s = serving;
      List<ClassInfo> missing =
          inputs.registry().withTextExcept(s == null ? Set.of() : s.classNames());
      if (missing.isEmpty()) {
        return;
      }
      VersionDraft draft =
          s == null
              ? VersionDraft.initial(missing, config.featureWidth(), config.hyperParameters())
              : VersionDraft.extending(s, missing, config.featureWidth());
      try {
        publish(VersionLog.Publication.of(draft));
      } catch (VersionLog.FencedException e) {
        return;
      } catch (RuntimeException e) {
        policy.extendFailed(ClassRegistry.names(missing));
        throw e;
      }
    }
  }

  // ---------------------------------------------------------------- fit

  private void fitOnce(Set<String> reasons) {
    if (closing) {
      return;
    }
    try {
      fitSnapshot(reasons);
    } catch (VersionLog.FencedException e) {
      LOG.debug("The fit's version was not published: this trainer was fenced");
    } finally {
      fitsFinished.incrementAndGet();
    }
  }

  /**
   * Fits a snapshot; its data counts as used once the fit is settled (below), else it asks again.
   */
  private void fitSnapshot(Set<String> reasons) {
    TrainingSnapshot snap = inputs.snapshot(COUNTS_WAIT);
    RefitPolicy.Mark mark = snap.mark();
    policy.fitStarted(mark);
    boolean settled = false;
    try {
      settled = fitAndPublish(snap, reasons);
    } finally {
      if (settled) {
        policy.fitSettled(mark);
      } else {
        policy.fitFailed();
      }
    }
  }

  /**
   * Fits, gates and publishes; true once settled: the version acknowledged, the candidate rejected,
   * or nothing to fit. False when cancelled; throws when the fit or the publish failed.
   */
  private boolean fitAndPublish(TrainingSnapshot snap, Set<String> reasons) {
    if (!snap.hasTrainingSamples()) {
      LOG.debug("No class has training images yet; nothing to fit ({})", reasons);
      writeStore(snap);
      return true;
    }
    CandleFit.TrainingSet data = snap.trainingSet();
    Device device = Devices.parse(config.device());
    ServingVersion s = serving;
    Set<String> base = Set.copyOf(data.classNames().subList(0, data.baseClasses()));
    Optional<String> full =
        RefitPlan.fullBecause(
            lastFull,
            lastFullBase,
            warmSinceFull,
            lastPromoted,
            s == null ? null : s.model(),
            base,
            config.fullRefitEvery(),
            config.fullRefitClassChange());
    String kind = full.isPresent() ? "full" : "warm";
    LOG.info(
        "fit started ({}; {} refit{}): {} samples, {} classes ({} base) on {}",
        String.join(", ", reasons),
        kind,
        full.map(r -> ": " + r).orElse(""),
        data.labels().length,
        data.classNames().size(),
        data.baseClasses(),
        device);
    long start = System.nanoTime();
    String outcome = "failed";
    try {
      CandleFit.Options options =
          CandleFit.Options.defaults()
              .withDevice(device)
              .withProgress(
                  (epoch, epochs, loss, secs) -> {
                    if (closing) {
                      throw new CancellationException("trainer closing");
                    }
                  });
      AdaptiveFit.Fitted fitted =
          full.isPresent()
              ? AdaptiveFit.fit(data, config.hyperParameters(), options, config.selection())
              : AdaptiveFit.warm(
                  data,
                  s.model(),
                  lastFull,
                  snap.freshRows(learnt),
                  config.warmSteps(),
                  config.hyperParameters(),
                  options,
                  config.selection());
      LOG.info(
          "fit weights {}: k, λ, β {}; η {}",
          fitted.model().weights(),
          fitted.prior().decision(),
          full.isEmpty()
              ? fitted.headNote()
              : fitted.head() != null ? fitted.head().decision() : fitted.headNote());
      outcome = gateAndPublish(fitted, snap, full.isEmpty());
      if (outcome.equals("promoted")) {
        learnt = snap.trainIds();
        lastPromoted = fitted.model().weights();
        if (full.isPresent()) {
          lastFull = fitted;
          lastFullBase = base;
          warmSinceFull = 0;
        } else {
          warmSinceFull++;
        }
      } else if (full.isEmpty()) {
        // a rejected warm candidate: the next refit is full
        warmSinceFull = config.fullRefitEvery();
      }
      return true;
    } catch (CancellationException e) {
      outcome = "cancelled";
      LOG.info("Fit cancelled: the trainer is closing");
      return false;
    } finally {
      Timer.builder("candle.fit.duration")
          .description("Wall time of a refit (kind: full or warm-started)")
          .tag("outcome", outcome)
          .tag("device", device.getDeviceType())
          .tag("kind", kind)
          .register(meters)
          .record(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private String gateAndPublish(AdaptiveFit.Fitted fitted, TrainingSnapshot snap, boolean warm) {
    ServingVersion s = serving;
    PromotionGate.Review review =
        PromotionGate.review(
            fitted, snap.holdout(), s == null ? null : s.model(), config.gateTolerance());
    PromotionGate.Decision decision = review.decision();
    Counter.builder("candle.trainer.candidates")
        .description("Fitted candidates by gate outcome")
        .tag("outcome", decision.promote() ? "promoted" : "rejected")
        .tag("reason", decision.reason())
        .register(meters)
        .increment();
    if (!decision.promote()) {
      LOG.warn(
          "Candidate rejected ({}): {}; holdout {}, zero-shot {}, serving {}",
          decision.reason(),
          decision.detail(),
          review.candidate().asMetrics("candidate"),
          review.zeroShot().asMetrics("zero_shot"),
          review.serving() == null ? "-" : review.serving().asMetrics("serving"));
      writeStore(snap);
      return "rejected";
    }
    Map<String, Double> metrics = new LinkedHashMap<>(review.versionMetrics(fitted));
    // 1: a warm-started refit (weights kept from the last full one), 0: a full refit
    metrics.put("fit.warm", warm ? 1.0 : 0.0);
    VersionDraft fit = new VersionDraft(fitted.model(), Origin.FIT, snap.books(), metrics);
    synchronized (publishLock) {
      // the fit as evaluated; classes registered while it ran follow in an EXTEND of it, in the
      // same
      // transaction as the store it was fitted on
      List<ClassInfo> registered =
          inputs.registry().withTextExcept(Set.copyOf(fit.model().classNames()));
      List<VersionDraft> drafts =
          registered.isEmpty()
              ? List.of(fit)
              : List.of(fit, fit.extension(registered, config.featureWidth()));
      publish(new VersionLog.Publication(drafts, checkpoint.changes(snap.store())));
      checkpoint.written(snap.store());
    }
    LOG.info("Candidate promoted: {}", decision.detail());
    return "promoted";
  }

  /**
   * Writes the store as of a settled fit's snapshot when no version carries it (nothing to fit,
   * rejected).
   */
  private void writeStore(TrainingSnapshot snap) {
    synchronized (publishLock) {
      List<StoreCheckpoint.Change> changes = checkpoint.changes(snap.store());
      if (!changes.isEmpty()) {
        publish(new VersionLog.Publication(List.of(), changes));
      }
      checkpoint.written(snap.store());
    }
  }

  // ---------------------------------------------------------------- publish

  /**
   * Publishes in one transaction and serves the last version, if any; the caller holds {@link
   * #publishLock}. A failure the broker may get over (unreachable, the transaction aborted) is
   * retried with {@link Backoff#PUBLISH} until the transaction is acknowledged or the trainer
   * closes; one it cannot (too large) is thrown.
   */
  private void publish(VersionLog.Publication publication) {
    List<Long> numbers = publishWithRetry(publication);
    List<VersionDraft> drafts = publication.versions();
    if (drafts.isEmpty()) {
      return;
    }
    ServingVersion before = serving;
    int last = drafts.size() - 1;
    serving = ServingVersion.published(numbers.get(last), drafts.get(last));
    recordScorable(before, drafts.get(last).model(), Instant.now());
  }

  private List<Long> publishWithRetry(VersionLog.Publication publication) {
    for (int failures = 1; ; failures++) {
      try {
        return versions.publish(publication);
      } catch (VersionLog.FencedException e) {
        stopFenced(e);
        throw e;
      } catch (VersionLog.PublishFailedException e) {
        publishFailures.increment();
        lastPublishError = e.getMessage();
        if (!e.retriable() || closing) {
          throw e;
        }
        Duration wait = Backoff.PUBLISH.after(failures);
        LOG.warn(
            "{}; publishing again in {} s (failure {})",
            e.getMessage(),
            wait.toSeconds(),
            failures);
        if (!sleepUnlessClosing(wait)) {
          throw e;
        }
      }
    }
  }

  /** Sleeps; false when the trainer closes meanwhile (its workers are interrupted). */
  private boolean sleepUnlessClosing(Duration wait) {
    try {
      Thread.sleep(wait.toMillis());
      return !closing;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Another trainer took over: this one stops consuming, fitting and publishing. */
  private void stopFenced(VersionLog.FencedException e) {
    if (fenced) {
      return;
    }
    fenced = true;
    failure = e;
    LOG.error("{}: {}", FENCED_MESSAGE, e.getMessage());
    closing = true;
    timer.shutdownNow();
    replay.stop();
  }

  /** The time to scorable of each class that this version is the first to contain. */
  private void recordScorable(ServingVersion previous, CandleModel model, Instant publishedAt) {
    Set<String> before = previous == null ? Set.of() : previous.classNames();
    for (String name : model.classNames()) {
      ClassInfo info = inputs.registry().get(name);
      if (!before.contains(name) && info != null && info.getFirstSeen() != null) {
        classMetrics.scorable(info.getFirstSeen(), publishedAt);
      }
    }
  }

  @Override
  public void close() {
    closing = true;
    timer.shutdownNow();
    replay.close();
    fitWorker.close();
    extendWorker.close();
    versions.close();
  }
}
