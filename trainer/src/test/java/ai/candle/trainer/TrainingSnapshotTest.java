package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.core.CandleFit;
import ai.candle.core.FrequencyBucket;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ClassStatus;
import ai.candle.schemas.ModelVersions.ClassBook;
import ai.candle.schemas.TextFeatureSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrainingSnapshotTest {
  static final int D = 4;

  /**
   * A registered class with a text feature of width {@code width} (0: none), every value {@code
   * index}.
   */
  static ClassInfo registered(String name, int index, int width) {
    List<Float> text = width == 0 ? null : Collections.nCopies(width, (float) index);
    return new ClassInfo(
        name,
        index,
        ClassStatus.BASE,
        width == 0 ? TextFeatureSource.NONE : TextFeatureSource.ANNOUNCEMENT,
        text,
        name,
        List.of(),
        Instant.EPOCH);
  }

  /**
   * A store view with {@code train} training samples valued {@code value} and {@code holdout} held
   * out.
   */
  static TrainingStore.ClassView view(String name, float value, int train, int holdout, long seen) {
    List<TrainingStore.Sample> samples = new ArrayList<>();
    for (int i = 0; i < train; i++) {
      float[] f = new float[D];
      Arrays.fill(f, value + i / 100f);
      samples.add(new TrainingStore.Sample(name + "-" + i, f));
    }
    List<TrainingStore.Sample> held =
        Collections.nCopies(holdout, new TrainingStore.Sample(name + "-held", new float[D]));
    return new TrainingStore.ClassView(name, seen, seen - holdout, samples, held);
  }

  static Map<String, TrainingStore.ClassView> views(TrainingStore.ClassView... vs) {
    Map<String, TrainingStore.ClassView> out = new LinkedHashMap<>();
    for (TrainingStore.ClassView v : vs) {
      out.put(v.name(), v);
    }
    return out;
  }

  @Test
  void baseClassesComeFirstThenTextOnlyOnesEachByIndex() {
    // registry order is a hash map's: the snapshot sorts by index
    List<ClassInfo> registry =
        List.of(
            registered("zebra", 4, D),
            registered("okapi", 1, D),
            registered("cat", 3, D),
            registered("ant", 0, D),
            registered("dog", 2, D));
    TrainingSnapshot snap =
        TrainingSnapshot.of(
            views(view("cat", 3, 2, 0, 2), view("ant", 0, 1, 0, 1), view("zebra", 4, 3, 1, 4)),
            registry,
            Map.of(),
            D);
    assertEquals(
        List.of("ant", "cat", "zebra", "okapi", "dog"), ClassRegistry.names(snap.classes()));
    CandleFit.TrainingSet set = snap.trainingSet();
    assertEquals(List.of("ant", "cat", "zebra", "okapi", "dog"), set.classNames());
    assertEquals(3, set.baseClasses());
    assertArrayEquals(new int[] {0, 1, 1, 2, 2, 2}, set.labels());
    // text features follow the same order
    float[] text = set.textFeatures();
    for (int j = 0; j < 5; j++) {
      assertEquals(snap.classes().get(j).getIndex(), text[j * D], set.classNames().get(j));
    }
  }

  @Test
  void countsAreTheKeptTrainingSamplesAndTheFeaturesAreCopiedInOrder() {
    // "many" has 500 images, the store kept 5 training samples of it (the cap) and held 20 out
    TrainingSnapshot snap =
        TrainingSnapshot.of(
            views(view("many", 1, 5, 20, 500), view("few", 2, 2, 0, 2)),
            List.of(registered("many", 0, D), registered("few", 1, D), registered("new", 2, D)),
            Map.of("many", 500L, "few", 2L),
            D);
    CandleFit.TrainingSet set = snap.trainingSet();
    assertArrayEquals(new float[] {5, 2, 0}, set.classCounts());
    assertEquals(7, snap.samples());
    assertEquals(7 * D, set.features().length);
    assertEquals(1.0f, set.features()[0]);
    assertEquals(1.04f, set.features()[4 * D], 1e-6);
    assertEquals(2.01f, set.features()[6 * D], 1e-6);
  }

  @Test
  void freshRowsAreTheTrainingSetsRowsOfImagesNotLearntYet() {
    TrainingSnapshot snap =
        TrainingSnapshot.of(
            views(view("many", 1, 3, 0, 3), view("few", 2, 2, 0, 2)),
            List.of(registered("many", 0, D), registered("few", 1, D)),
            Map.of(),
            D);
    assertEquals(Set.of("many-0", "many-1", "many-2", "few-0", "few-1"), snap.trainIds());
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, snap.freshRows(Set.of()));
    assertArrayEquals(new int[] {2, 4}, snap.freshRows(Set.of("many-0", "many-1", "few-0")));
    assertArrayEquals(new int[0], snap.freshRows(snap.trainIds()));
  }

  @Test
  void classesWithoutATextFeatureOfTheWidthAreNotFitted() {
    TrainingSnapshot snap =
        TrainingSnapshot.of(
            views(view("a", 0, 2, 0, 2), view("b", 1, 2, 0, 2), view("c", 2, 2, 0, 2)),
            List.of(
                registered("a", 0, D),
                registered("b", 1, 0),
                registered("c", 2, D + 1),
                registered("d", 3, 0)),
            Map.of(),
            D);
    assertEquals(List.of("a"), snap.trainingSet().classNames());
    assertEquals(Set.of("a"), snap.books().keySet());
    assertEquals(Set.of("a"), snap.mark().baseClasses());
  }

  @Test
  void imagesThatArrivedBeforeTheirClassWasRegisteredWaitOutsideTheFit() {
    TrainingSnapshot before =
        TrainingSnapshot.of(
            views(view("early-0", 0, 29, 1, 30), view("early-1", 1, 20, 0, 20)),
            List.of(),
            Map.of("early-0", 30L, "early-1", 20L),
            D);
    assertFalse(before.hasTrainingSamples());
    assertThrows(IllegalStateException.class, before::trainingSet);
    // the triggers count the images as taken and no class as base: the registration asks for the
    // next fit
    assertEquals(new RefitPolicy.Mark(49, Set.of()), before.mark());
    assertEquals(0, before.holdout().size(), "nothing fitted, nothing held out for it");

    TrainingSnapshot after =
        TrainingSnapshot.of(
            before.views(),
            List.of(registered("early-0", 0, D), registered("early-1", 1, D)),
            before.liveCounts(),
            D);
    assertEquals(2, after.trainingSet().baseClasses());
    assertEquals(new RefitPolicy.Mark(49, Set.of("early-0", "early-1")), after.mark());
  }

  @Test
  void theMarkCountsEveryOfferedImageOfTheStore() {
    TrainingSnapshot snap =
        TrainingSnapshot.of(
            views(view("a", 0, 3, 1, 10), view("unregistered", 1, 2, 0, 2)),
            List.of(registered("a", 0, D)),
            Map.of(),
            D);
    assertEquals(new RefitPolicy.Mark(11, Set.of("a")), snap.mark());
  }

  @Test
  void booksRecordWhatTheStoreAccountedForByIndex() {
    TrainingSnapshot snap =
        TrainingSnapshot.of(
            views(view("b", 1, 3, 2, 40), view("a", 0, 1, 0, 1)),
            List.of(registered("b", 1, D), registered("new", 2, D), registered("a", 0, D)),
            Map.of(),
            D);
    Map<String, ClassBook> books = snap.books();
    assertEquals(List.of("a", "b", "new"), List.copyOf(books.keySet()));
    assertEquals(new ClassBook(0, 1, 0), books.get("a"));
    assertEquals(new ClassBook(1, 40, 2), books.get("b"));
    assertEquals(new ClassBook(2, 0, 0), books.get("new"));
  }

  @Test
  void theHoldoutHoldsTheFittedClassesBucketedByTheLargerOfSeenAndLiveCount() {
    TrainingSnapshot snap =
        TrainingSnapshot.of(
            views(
                view("a", 0, 3, 2, 10), view("b", 1, 3, 1, 10), view("unregistered", 2, 3, 4, 10)),
            List.of(registered("a", 0, D), registered("b", 1, D)),
            Map.of("a", 150L),
            D);
    HoldoutEvaluation.Holdout holdout = snap.holdout();
    assertEquals(List.of("a", "a", "b"), List.of(holdout.labels()));
    assertEquals(FrequencyBucket.MANY, FrequencyBucket.of(holdout.liveCounts().get("a")));
    assertEquals(10L, holdout.liveCounts().get("b"));
    assertTrue(
        holdout.liveCounts().containsKey("unregistered"),
        "counted, but none of its images held out");
  }
}
