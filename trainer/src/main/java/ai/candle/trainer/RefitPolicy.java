package ai.candle.trainer;

import ai.candle.schemas.ModelVersions.ClassBook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * When the trainer asks for a full refit or an extend. It is fed the counts and class sets the
 * trainer holds and answers with a {@link Decision}; it talks to no broker and runs no thread.
 *
 * <ul>
 *   <li><b>Extend</b>: a class registered with a text feature that the serving version lacks is
 *       asked for once. A failed publish makes its classes eligible again, no sooner than {@link
 *       #EXTEND_RETRY} later, so a broker that refuses the version is not hammered.
 *   <li><b>Samples</b>: a refit once the training images offered since the last snapshot reach
 *       {@code refit.samples}, or {@code refit.fraction} of what that snapshot had.
 *   <li><b>First images</b>: a refit when a class with images is registered with a text feature but
 *       was not a base class at the last snapshot. Images can reach the trainer before their
 *       class's registry record (ingest writes it a transaction later): such a class waits until it
 *       is registered, and its registration then asks for the fit.
 *   <li><b>Timer</b>: a refit when anything was offered since the last snapshot.
 * </ul>
 *
 * <p>"The last snapshot" is the last one whose fit was <b>settled</b>: its version acknowledged by
 * the broker, its candidate rejected by the gate, or nothing in it to fit. While a fit runs, the
 * triggers count from its snapshot ({@link #fitStarted}); when it fails instead (its version could
 * not be published, the fit threw), its data counts as new again ({@link #fitFailed}) and the
 * triggers ask for the refit once more, no sooner than {@link #FIT_RETRY} later.
 *
 * <p>Nothing is asked for before {@link #caughtUp}: the replay of the input topics must not trigger
 * fits on a half-built store. The consumer thread calls {@link #check}, the fit thread {@link
 * #fitStarted}, {@link #fitSettled} and {@link #fitFailed}, the extend thread {@link #extendFailed}
 * and the timer {@link #onTimer}.
 */
final class RefitPolicy {
  /** After a failed publish, extends are asked for again no sooner than this. */
  static final Duration EXTEND_RETRY = Duration.ofSeconds(5);

  /** After a failed fit, its data asks for a fit again no sooner than this. */
  static final Duration FIT_RETRY = Duration.ofSeconds(60);

  /** Why a full refit is asked for; {@link #label} is how the fit's log line names it. */
  enum FitReason {
    SAMPLES("samples"),
    FIRST_IMAGES("first images of a class"),
    TIMER("timer");

    private final String label;

    FitReason(String label) {
      this.label = label;
    }

    String label() {
      return label;
    }
  }

  /**
   * What the trainer holds after a poll.
   *
   * @param trainOffered training images offered to the store so far, over all classes
   * @param withImages classes the store has images of
   * @param registered classes registered with a text feature of the store's width
   * @param serving classes of the serving version
   */
  record Observed(
      long trainOffered, Set<String> withImages, Set<String> registered, Set<String> serving) {}

  /**
   * What to ask for: an extend for each of {@code extend}, and a fit when {@code fit} is present.
   */
  record Decision(List<String> extend, Optional<FitReason> fit) {
    static final Decision NONE = new Decision(List.of(), Optional.empty());
  }

  /**
   * What the last training-set snapshot accounted for; new samples and first images count from it.
   *
   * @param trainOffered training images offered to the store when it was taken
   * @param baseClasses classes it had training samples of and a text feature for
   */
  record Mark(long trainOffered, Set<String> baseClasses) {
    static final Mark NOTHING = new Mark(0, Set.of());

    Mark {
      baseClasses = Set.copyOf(baseClasses);
    }

    /**
     * What the version a restarted trainer resumes from accounted for: the training images of its
     * books (seen less held out) and its base classes.
     */
    static Mark resumedFrom(Collection<ClassBook> books, Collection<String> baseClasses) {
      long offered = 0;
      for (ClassBook b : books) {
        offered += b.seen() - b.heldOut();
      }
      return new Mark(offered, Set.copyOf(baseClasses));
    }

    /**
     * This mark, counting no more training images than a store that was offered {@code
     * storeOffered} holds: a version may account for images the restarted trainer's store no longer
     * has (they expired before it kept them), and the triggers must count new images from what the
     * store holds, not wait until the lost volume is seen again.
     */
    Mark heldBy(long storeOffered) {
      return storeOffered >= trainOffered ? this : new Mark(storeOffered, baseClasses);
    }
  }

  private final int refitSamples;
  private final double refitFraction;
  private final LongSupplier nanoClock;
  private final Set<String> extendRequested = ConcurrentHashMap.newKeySet();

  /** What the last settled fit accounted for; null until the replay caught up. */
  private volatile Mark last;

  /** The running fit's snapshot, or null. */
  private volatile Mark inFlight;

  /** Extends wait while the clock is before this (nanoClock's scale). */
  private volatile long extendRetryAt;

  /** Fits wait while the clock is before this. */
  private volatile long fitRetryAt;

  /**
   * @param refitSamples new training samples that ask for a refit ({@code refit.samples})
   * @param refitFraction the same as a fraction of the last snapshot's ({@code refit.fraction})
   * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime})
   */
  RefitPolicy(int refitSamples, double refitFraction, LongSupplier nanoClock) {
    this.refitSamples = refitSamples;
    this.refitFraction = refitFraction;
    this.nanoClock = nanoClock;
    this.extendRetryAt = nanoClock.getAsLong();
    this.fitRetryAt = extendRetryAt;
  }

  static RefitPolicy of(TrainerConfig config) {
    return new RefitPolicy(config.refitSamples(), config.refitFraction(), System::nanoTime);
  }

  /**
   * The replay caught up: triggers count from {@code resumed} (the serving version's, or nothing).
   */
  void caughtUp(Mark resumed) {
    last = resumed;
  }

  /** A fit took its training set: while it runs, the triggers count from it. */
  void fitStarted(Mark mark) {
    inFlight = mark;
  }

  /**
   * The fit of this snapshot is settled (its version acknowledged, its candidate rejected, or
   * nothing to fit): the triggers count from it.
   */
  void fitSettled(Mark mark) {
    last = mark;
    inFlight = null;
  }

  /**
   * The running fit failed (its version was not acknowledged): its data counts as new again, and a
   * fit is asked for no sooner than {@link #FIT_RETRY}.
   */
  void fitFailed() {
    inFlight = null;
    fitRetryAt = nanoClock.getAsLong() + FIT_RETRY.toNanos();
  }

  /** What the last settled fit (or the resumed version) accounted for; null before catching up. */
  Mark last() {
    return last;
  }

  /** Where the triggers count from: the running fit's snapshot, else the last settled one. */
  private Mark counted() {
    Mark running = inFlight;
    return running != null ? running : last;
  }

  /**
   * What to ask for now. Remembers the extends it asks for: each class is asked for once, until
   * {@link #extendFailed}. Samples take precedence over first images: one reason per check.
   */
  Decision check(Observed now) {
    if (last == null) {
      return Decision.NONE;
    }
    return new Decision(extendsDue(now), fitWaits() ? Optional.empty() : fitDue(now, counted()));
  }

  /** The timer's rule: a refit when anything was offered since the last snapshot. */
  Optional<FitReason> onTimer(long trainOffered) {
    if (last == null || fitWaits()) {
      return Optional.empty();
    }
    return trainOffered > counted().trainOffered()
        ? Optional.of(FitReason.TIMER)
        : Optional.empty();
  }

  private boolean fitWaits() {
    return nanoClock.getAsLong() - fitRetryAt < 0;
  }

  /**
   * Publishing the extend of these classes failed: ask for them again after {@link #EXTEND_RETRY}.
   */
  void extendFailed(Collection<String> classes) {
    extendRetryAt = nanoClock.getAsLong() + EXTEND_RETRY.toNanos();
    extendRequested.removeAll(classes);
  }

  private List<String> extendsDue(Observed now) {
    if (nanoClock.getAsLong() - extendRetryAt < 0) {
      return List.of();
    }
    List<String> due = new ArrayList<>();
    for (String name : now.registered()) {
      if (!now.serving().contains(name) && extendRequested.add(name)) {
        due.add(name);
      }
    }
    return due;
  }

  private Optional<FitReason> fitDue(Observed now, Mark mark) {
    long fresh = now.trainOffered() - mark.trainOffered();
    if (fresh > 0
        && (fresh >= refitSamples || fresh >= refitFraction * Math.max(1, mark.trainOffered()))) {
      return Optional.of(FitReason.SAMPLES);
    }
    for (String name : now.withImages()) {
      if (!mark.baseClasses().contains(name) && now.registered().contains(name)) {
        return Optional.of(FitReason.FIRST_IMAGES);
      }
    }
    return Optional.empty();
  }
}
