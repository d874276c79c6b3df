package ai.candle.trainer;

import static ai.candle.trainer.TrainingSnapshotTest.registered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.candle.core.HyperParameters;
import ai.candle.schemas.ModelVersions.ClassBook;
import ai.candle.schemas.ModelVersions.Origin;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VersionDraftTest {
  static final int D = 8;
  static final HyperParameters HYPER = HyperParameters.adaptive();

  @Test
  void theInitialVersionHasEveryClassVirtualWithEmptyBooks() {
    VersionDraft initial =
        VersionDraft.initial(List.of(registered("a", 0, D), registered("b", 1, D)), D, HYPER);
    assertEquals(Origin.INITIAL, initial.origin());
    assertEquals(List.of("a", "b"), initial.model().classNames());
    assertEquals(0, initial.model().baseClasses());
    assertEquals(Map.of("a", new ClassBook(0, 0, 0), "b", new ClassBook(1, 0, 0)), initial.books());
    assertEquals(Map.of(), initial.metrics());
  }

  @Test
  void anExtendKeepsTheServingBooksAndMetricsAndAppendsTheNewClasses() {
    VersionDraft initial = VersionDraft.initial(List.of(registered("a", 0, D)), D, HYPER);
    ServingVersion serving =
        new ServingVersion(
            3,
            initial.model(),
            Origin.FIT,
            Map.of("a", new ClassBook(0, 12, 2)),
            Map.of("holdout.balanced", 0.8));
    VersionDraft extend = VersionDraft.extending(serving, List.of(registered("okapi", 7, D)), D);
    assertEquals(Origin.EXTEND, extend.origin());
    assertEquals(List.of("a", "okapi"), extend.model().classNames());
    assertEquals(
        Map.of("a", new ClassBook(0, 12, 2), "okapi", new ClassBook(7, 0, 0)), extend.books());
    assertEquals(Map.of("holdout.balanced", 0.8), extend.metrics());
  }

  @Test
  void classesRegisteredDuringAFitFollowItAsAnExtendThatLeavesTheFittedClassesAlone() {
    VersionDraft fit =
        new VersionDraft(
            VersionDraft.initial(List.of(registered("a", 0, D)), D, HYPER).model(),
            Origin.FIT,
            Map.of("a", new ClassBook(0, 5, 1)),
            Map.of("fit.seconds", 1.0));
    VersionDraft late = fit.extension(List.of(registered("late", 1, D)), D);
    assertEquals(Origin.EXTEND, late.origin());
    assertEquals(List.of("a", "late"), late.model().classNames());
    assertEquals(
        List.of("a"), fit.model().classNames(), "the fit itself is published as evaluated");
    assertEquals(new ClassBook(0, 5, 1), late.books().get("a"));
    assertEquals(new ClassBook(1, 0, 0), late.books().get("late"));
    assertEquals(fit.metrics(), late.metrics());
    assertEquals(fit.model().weights(), late.model().weights());
    assertThrows(
        IllegalArgumentException.class,
        () -> fit.extension(List.of(), D),
        "nothing to extend with");
  }
}
