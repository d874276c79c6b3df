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
    for (float[] f : head.train()) {
      if (f[0] >= 500) {
        late++;
      }
    }
    assertTrue(late >= 2, "about half of a uniform sample of 1,000 comes from the second half, got " + late + "/10");
  }

  @Test
  void aReplayRebuildsExactlyTheSameStore() {
    TrainingStore a = fill(500);
    TrainingStore b = fill(500);
    List<Float> first = new ArrayList<>();
    List<Float> second = new ArrayList<>();
    a.snapshot().get("head").train().forEach(f -> first.add(f[0]));
    b.snapshot().get("head").train().forEach(f -> second.add(f[0]));
    assertEquals(first, second);
    Set<Float> heldA = new HashSet<>();
    a.snapshot().get("head").holdout().forEach(f -> heldA.add(f[0]));
    Set<Float> heldB = new HashSet<>();
    b.snapshot().get("head").holdout().forEach(f -> heldB.add(f[0]));
    assertEquals(heldA, heldB);
  }

  @Test
  void heldOutImagesAreNeverTrainedOn() {
    TrainingStore store = fill(300);
    TrainingStore.ClassView head = store.snapshot().get("head");
    for (float[] held : head.holdout()) {
      for (float[] trained : head.train()) {
        assertNotEquals(held[0], trained[0]);
      }
    }
  }

  @Test
  void aSnapshotDoesNotChangeWhenTheStoreDoes() {
    TrainingStore store = fill(5);
    TrainingStore.ClassView before = store.snapshot().get("head");
    float[] kept = before.train().get(0);
    for (int i = 5; i < 100; i++) {
      store.add("head", "head-" + i, feature(i));
    }
    assertEquals(5, before.seen());
    assertSame(kept, before.train().get(0));
  }

  @Test
  void aWrongWidthIsRefused() {
    TrainingStore store = new TrainingStore(3, 10, 20, 5, 1);
    assertThrows(IllegalArgumentException.class, () -> store.add("c", "i", new float[2]));
  }
}
