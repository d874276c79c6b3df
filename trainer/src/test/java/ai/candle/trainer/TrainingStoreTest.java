package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrainingStoreTest {

  static float[] feature(int i) {
    return new float[] {i, -i};
  }

  static TrainingStore fill(int images) {
    TrainingStore store = new TrainingStore(2, 10, 20, 5, 1);
    for (int i = 0; i < images; i++) {
      store.add("head", "head-" + i, feature(i));
    }
    store.add("tail", "tail-0", feature(-1));
    return store;
  }

  @Test
  void aClassKeepsAtMostTheCapAndTheHoldoutIsStratifiedAndBounded() {
    TrainingStore store = fill(1000);
    TrainingStore.ClassView head = store.snapshot().get("head");
    assertEquals(1000, head.seen());
    assertEquals(10, head.trainCount(), "reservoir cap");
    assertEquals(5, head.holdout().size(), "holdout cap");
    assertEquals(995, head.trainOffered());
    TrainingStore.ClassView tail = store.snapshot().get("tail");
    assertEquals(1, tail.trainCount(), "a class's first image always trains");
    assertEquals(0, tail.holdout().size());
    assertEquals(996, store.trainOffered());
    assertEquals(Map.of("head", 1000L, "tail", 1L), store.seenCounts());
  }

  @Test
  void theReservoirIsAUniformSampleNotTheFirstImages() {
    TrainingStore.ClassView head = fill(1000).snapshot().get("head");
    int late = 0;
    for (TrainingStore.Sample s : head.train()) {
      if (s.feature()[0] >= 500) {
        late++;
      }
    }
    assertTrue(
        late >= 2,
        "about half of a uniform sample of 1,000 comes from the second half, got " + late + "/10");
  }

  @Test
  void aReplayRebuildsExactlyTheSameStore() {
    TrainingStore a = fill(500);
    TrainingStore b = fill(500);
    List<Float> first = new ArrayList<>();
    List<Float> second = new ArrayList<>();
    a.snapshot().get("head").train().forEach(s -> first.add(s.feature()[0]));
    b.snapshot().get("head").train().forEach(s -> second.add(s.feature()[0]));
    assertEquals(first, second);
    Set<Float> heldA = new HashSet<>();
    a.snapshot().get("head").holdout().forEach(s -> heldA.add(s.feature()[0]));
    Set<Float> heldB = new HashSet<>();
    b.snapshot().get("head").holdout().forEach(s -> heldB.add(s.feature()[0]));
    assertEquals(heldA, heldB);
  }

  @Test
  void heldOutImagesAreNeverTrainedOn() {
    TrainingStore store = fill(300);
    TrainingStore.ClassView head = store.snapshot().get("head");
    for (TrainingStore.Sample held : head.holdout()) {
      for (TrainingStore.Sample trained : head.train()) {
        assertNotEquals(held.imageId(), trained.imageId());
      }
    }
  }

  @Test
  void aSnapshotDoesNotChangeWhenTheStoreDoes() {
    TrainingStore store = fill(5);
    TrainingStore.ClassView before = store.snapshot().get("head");
    TrainingStore.Sample kept = before.train().get(0);
    for (int i = 5; i < 100; i++) {
      store.add("head", "head-" + i, feature(i));
    }
    assertEquals(5, before.seen());
    assertSame(kept, before.train().get(0));
  }

  @Test
  void aRestoredStoreGoesOnExactlyAsTheStoreThatWasNeverStopped() {
    TrainingStore whole = new TrainingStore(2, 10, 20, 5, 1);
    TrainingStore first = new TrainingStore(2, 10, 20, 5, 1);
    for (int i = 0; i < 400; i++) {
      whole.add("head", "head-" + i, feature(i), 0, i);
      first.add("head", "head-" + i, feature(i), 0, i);
    }
    TrainingStore restored = new TrainingStore(2, 10, 20, 5, 1);
    restored.restore(first.contents());
    for (int i = 400; i < 1000; i++) {
      whole.add("head", "head-" + i, feature(i), 0, i);
      restored.add("head", "head-" + i, feature(i), 0, i);
    }
    assertEquals(
        ids(whole.snapshot().get("head").train()), ids(restored.snapshot().get("head").train()));
    assertEquals(
        ids(whole.snapshot().get("head").holdout()),
        ids(restored.snapshot().get("head").holdout()));
    assertEquals(whole.seenCounts(), restored.seenCounts());
    assertEquals(whole.trainOffered(), restored.trainOffered());
    assertEquals(Map.of(0, 1000L), restored.contents().positions());
  }

  @Test
  void contentsThatDoNotFitTheSettingsAreRefusedNamingThem() {
    TrainingStore small = new TrainingStore(2, 10, 20, 5, 1);
    for (int i = 0; i < 100; i++) {
      small.add("head", "head-" + i, feature(i));
    }
    TrainingStore larger = new TrainingStore(2, 20, 20, 5, 1);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> larger.restore(small.contents()));
    assertTrue(e.getMessage().contains("store.max.per.class"), e.getMessage());
    assertEquals(0, larger.trainOffered(), "nothing restored");
    TrainingStore fewerHeld = new TrainingStore(2, 10, 20, 2, 1);
    e = assertThrows(IllegalArgumentException.class, () -> fewerHeld.restore(small.contents()));
    assertTrue(e.getMessage().contains("holdout.max.per.class"), e.getMessage());
    TrainingStore wider = new TrainingStore(3, 10, 20, 5, 1);
    assertThrows(IllegalArgumentException.class, () -> wider.restore(small.contents()));
  }

  static List<String> ids(List<TrainingStore.Sample> samples) {
    return samples.stream().map(TrainingStore.Sample::imageId).toList();
  }

  @Test
  void aWrongWidthIsRefused() {
    TrainingStore store = new TrainingStore(3, 10, 20, 5, 1);
    assertThrows(IllegalArgumentException.class, () -> store.add("c", "i", new float[2]));
  }
}
