package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.candle.schemas.ModelVersions.ClassBook;
import ai.candle.trainer.RefitPolicy.Decision;
import ai.candle.trainer.RefitPolicy.FitReason;
import ai.candle.trainer.RefitPolicy.Mark;
import ai.candle.trainer.RefitPolicy.Observed;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RefitPolicyTest {
  static final Optional<FitReason> NO_FIT = Optional.empty();

  final AtomicLong clock = new AtomicLong(1_000_000_000L);

  /** refit.samples 200, refit.fraction 0.2 (the defaults). */
  final RefitPolicy policy = new RefitPolicy(200, 0.2, clock::get);

  /**
   * A store with {@code offered} training images, every class of {@code classes} registered and
   * serving.
   */
  static Observed steady(long offered, Set<String> classes) {
    return new Observed(offered, classes, classes, classes);
  }

  @Test
  void nothingIsAskedForBeforeTheReplayCaughtUp() {
    Observed lots = new Observed(10_000, Set.of("a", "b"), Set.of("a", "b", "c"), Set.of());
    assertEquals(Decision.NONE, policy.check(lots));
    assertEquals(NO_FIT, policy.onTimer(10_000));
    assertNull(policy.last());
  }

  @Test
  void nothingFreshAsksForNoFit() {
    policy.caughtUp(new Mark(500, Set.of("a", "b")));
    assertEquals(Decision.NONE, policy.check(steady(500, Set.of("a", "b"))));
    assertEquals(NO_FIT, policy.onTimer(500));
  }

  @Test
  void theAbsoluteThresholdAppliesWhenTheLastSnapshotWasLarge() {
    // 0.2 of 10,000 is 2,000: refit.samples (200) comes first
    policy.caughtUp(new Mark(10_000, Set.of("a")));
    assertEquals(NO_FIT, policy.check(steady(10_199, Set.of("a"))).fit());
    assertEquals(Optional.of(FitReason.SAMPLES), policy.check(steady(10_200, Set.of("a"))).fit());
  }

  @Test
  void theFractionAppliesWhenTheLastSnapshotWasSmall() {
    // 0.2 of 100 is 20: it comes before refit.samples
    policy.caughtUp(new Mark(100, Set.of("a")));
    assertEquals(NO_FIT, policy.check(steady(119, Set.of("a"))).fit());
    assertEquals(Optional.of(FitReason.SAMPLES), policy.check(steady(120, Set.of("a"))).fit());
  }

  @Test
  void aStoreHoldingLessThanTheResumedVersionCountsNewSamplesFromWhatItHolds() {
    // the version counted 1,000 training images; the store kept 300 of them (the rest expired
    // first)
    policy.caughtUp(new Mark(1_000, Set.of("a")).heldBy(300));
    assertEquals(300, policy.last().trainOffered());
    assertEquals(NO_FIT, policy.check(steady(359, Set.of("a"))).fit(), "0.2 of 300 is 60");
    assertEquals(Optional.of(FitReason.SAMPLES), policy.check(steady(360, Set.of("a"))).fit());
    Mark whole = new Mark(1_000, Set.of("a"));
    assertEquals(whole, whole.heldBy(1_200), "a store that holds more counts from the version");
  }

  @Test
  void afterAnEmptySnapshotAnyNewSampleIsEnough() {
    policy.caughtUp(Mark.NOTHING);
    assertEquals(Optional.of(FitReason.SAMPLES), policy.check(steady(1, Set.of("a"))).fit());
  }

  @Test
  void newSamplesCountFromTheLastSnapshot() {
    policy.caughtUp(new Mark(100, Set.of("a")));
    assertEquals(Optional.of(FitReason.SAMPLES), policy.check(steady(150, Set.of("a"))).fit());
    policy.fitSettled(new Mark(150, Set.of("a")));
    assertEquals(NO_FIT, policy.check(steady(150, Set.of("a"))).fit());
    assertEquals(NO_FIT, policy.check(steady(179, Set.of("a"))).fit(), "0.2 of 150 is 30");
    assertEquals(Optional.of(FitReason.SAMPLES), policy.check(steady(180, Set.of("a"))).fit());
  }

  @Test
  void theFirstImagesOfARegisteredClassAskForAFit() {
    policy.caughtUp(new Mark(1_000, Set.of("a")));
    Observed okapi =
        new Observed(1_001, Set.of("a", "okapi"), Set.of("a", "okapi"), Set.of("a", "okapi"));
    assertEquals(Optional.of(FitReason.FIRST_IMAGES), policy.check(okapi).fit());
    policy.fitSettled(new Mark(1_001, Set.of("a", "okapi")));
    assertEquals(NO_FIT, policy.check(okapi).fit(), "a base class since the snapshot");
  }

  @Test
  void imagesOfAClassThatIsNotRegisteredWaitUntilItIsRegistered() {
    // a fit ran when the images were there but the class was not: it was no base class then
    policy.caughtUp(Mark.NOTHING);
    policy.fitSettled(new Mark(50, Set.of()));
    Observed before = new Observed(50, Set.of("early-0", "early-1"), Set.of(), Set.of());
    assertEquals(Decision.NONE, policy.check(before));
    Observed registered =
        new Observed(50, Set.of("early-0", "early-1"), Set.of("early-0"), Set.of());
    assertEquals(Optional.of(FitReason.FIRST_IMAGES), policy.check(registered).fit());
  }

  @Test
  void aClassRegisteredWithoutImagesAsksForAnExtendNotAFit() {
    policy.caughtUp(new Mark(1_000, Set.of("a")));
    Decision d = policy.check(new Observed(1_000, Set.of("a"), Set.of("a", "okapi"), Set.of("a")));
    assertEquals(List.of("okapi"), d.extend());
    assertEquals(NO_FIT, d.fit());
  }

  @Test
  void newSamplesTakePrecedenceOverFirstImages() {
    policy.caughtUp(Mark.NOTHING);
    Observed both = new Observed(300, Set.of("a"), Set.of("a"), Set.of("a"));
    assertEquals(Optional.of(FitReason.SAMPLES), policy.check(both).fit());
  }

  @Test
  void eachMissingClassIsExtendedOnce() {
    policy.caughtUp(Mark.NOTHING);
    Observed twoMissing = new Observed(0, Set.of(), Set.of("a", "b", "c"), Set.of("a"));
    assertEquals(Set.of("b", "c"), Set.copyOf(policy.check(twoMissing).extend()));
    assertEquals(List.of(), policy.check(twoMissing).extend(), "asked for already");
    Observed another = new Observed(0, Set.of(), Set.of("a", "b", "c", "d"), Set.of("a"));
    assertEquals(List.of("d"), policy.check(another).extend());
  }

  @Test
  void aFailedExtendIsRetriedAfterTheDelayOnly() {
    policy.caughtUp(Mark.NOTHING);
    Observed missing = new Observed(0, Set.of(), Set.of("a", "b"), Set.of());
    assertEquals(Set.of("a", "b"), Set.copyOf(policy.check(missing).extend()));
    policy.extendFailed(List.of("a", "b"));
    long retry = RefitPolicy.EXTEND_RETRY.toNanos();
    clock.addAndGet(retry - 1);
    assertEquals(List.of(), policy.check(missing).extend(), "within the retry delay");
    clock.addAndGet(1);
    assertEquals(Set.of("a", "b"), Set.copyOf(policy.check(missing).extend()), "after it");
    assertEquals(List.of(), policy.check(missing).extend(), "once");
  }

  @Test
  void theRetryDelayHoldsBackExtendsNotFits() {
    policy.caughtUp(Mark.NOTHING);
    policy.extendFailed(List.of("b"));
    Decision d = policy.check(new Observed(300, Set.of("a"), Set.of("a", "b"), Set.of("a")));
    assertEquals(List.of(), d.extend());
    assertEquals(Optional.of(FitReason.SAMPLES), d.fit());
  }

  @Test
  void whileAFitRunsTheTriggersCountFromItsSnapshot() {
    policy.caughtUp(new Mark(100, Set.of("a")));
    policy.fitStarted(new Mark(150, Set.of("a", "okapi")));
    Observed same =
        new Observed(150, Set.of("a", "okapi"), Set.of("a", "okapi"), Set.of("a", "okapi"));
    assertEquals(NO_FIT, policy.check(same).fit(), "its samples and first images are being fitted");
    assertEquals(NO_FIT, policy.onTimer(150));
    assertEquals(
        Optional.of(FitReason.SAMPLES),
        policy.check(steady(180, Set.of("a", "okapi"))).fit(),
        "0.2 of 150 new since it started");
    assertEquals(
        new Mark(100, Set.of("a")), policy.last(), "not settled until its version is acknowledged");
    policy.fitSettled(new Mark(150, Set.of("a", "okapi")));
    assertEquals(new Mark(150, Set.of("a", "okapi")), policy.last());
    assertEquals(NO_FIT, policy.check(same).fit());
  }

  @Test
  void aFailedFitsDataAsksForAFitAgainAfterTheRetryDelay() {
    policy.caughtUp(new Mark(100, Set.of("a")));
    Observed okapi =
        new Observed(150, Set.of("a", "okapi"), Set.of("a", "okapi"), Set.of("a", "okapi"));
    assertEquals(Optional.of(FitReason.SAMPLES), policy.check(okapi).fit());
    policy.fitStarted(new Mark(150, Set.of("a", "okapi")));
    policy.fitFailed();
    clock.addAndGet(RefitPolicy.FIT_RETRY.toNanos() - 1);
    assertEquals(NO_FIT, policy.check(okapi).fit(), "within the retry delay");
    assertEquals(NO_FIT, policy.onTimer(150), "the timer waits too");
    clock.addAndGet(1);
    assertEquals(Optional.of(FitReason.SAMPLES), policy.check(okapi).fit(), "no new input needed");
    Observed okapiOnly =
        new Observed(100, Set.of("a", "okapi"), Set.of("a", "okapi"), Set.of("a", "okapi"));
    assertEquals(
        Optional.of(FitReason.FIRST_IMAGES),
        policy.check(okapiOnly).fit(),
        "first images of a class ask again");
    assertEquals(Optional.of(FitReason.TIMER), policy.onTimer(150));
  }

  @Test
  void theTimerAsksForAFitWhenAnythingWasOffered() {
    policy.caughtUp(new Mark(100, Set.of("a")));
    assertEquals(NO_FIT, policy.onTimer(100));
    assertEquals(
        Optional.of(FitReason.TIMER), policy.onTimer(101), "below every threshold, still a change");
    policy.fitSettled(new Mark(101, Set.of("a")));
    assertEquals(NO_FIT, policy.onTimer(101));
  }

  @Test
  void aResumedVersionAccountsForItsTrainingImagesAndBaseClasses() {
    Mark m =
        Mark.resumedFrom(
            List.of(new ClassBook(0, 30, 5), new ClassBook(1, 1, 0), new ClassBook(2, 0, 0)),
            List.of("a", "b"));
    assertEquals(26, m.trainOffered());
    assertEquals(Set.of("a", "b"), m.baseClasses());
    policy.caughtUp(m);
    assertEquals(
        Decision.NONE, policy.check(steady(26, Set.of("a", "b"))), "the replay of the same images");
  }

  @Test
  void reasonsKeepTheirLogLabels() {
    assertEquals("samples", FitReason.SAMPLES.label());
    assertEquals("first images of a class", FitReason.FIRST_IMAGES.label());
    assertEquals("timer", FitReason.TIMER.label());
  }
}
