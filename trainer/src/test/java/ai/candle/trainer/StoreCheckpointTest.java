package ai.candle.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.schemas.StoredPosition;
import ai.candle.schemas.TrainingStoreEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoreCheckpointTest {
  static final String FEATURES = "candle.features";

  /** A store of width 2, 10 training and 5 held-out samples per class, 20 % held out. */
  static TrainingStore store() {
    return new TrainingStore(2, 10, 20, 5, 1);
  }

  static void add(TrainingStore store, String className, int from, int to) {
    for (int i = from; i < to; i++) {
      store.add(className, className + "-" + i, new float[] {i, -i}, 0, i);
    }
  }

  /**
   * The topic after writing these changes over what it held: each key's latest, deletions removed.
   */
  static Map<String, TrainingStoreEntry> write(
      Map<String, TrainingStoreEntry> topic, List<StoreCheckpoint.Change> changes) {
    Map<String, TrainingStoreEntry> out = new LinkedHashMap<>(topic);
    for (StoreCheckpoint.Change c : changes) {
      if (c.entry() == null) {
        out.remove(c.key());
      } else {
        out.put(c.key(), c.entry());
      }
    }
    return out;
  }

  @Test
  void theFirstWriteHoldsEverySlotTallyAndPositionAndReadsBackAsTheSameStore() {
    TrainingStore store = store();
    add(store, "head", 0, 40);
    add(store, "odd name/ä", 40, 43);
    StoreCheckpoint checkpoint = new StoreCheckpoint("candle", FEATURES);
    TrainingStore.Contents now = store.contents();
    Map<String, TrainingStoreEntry> topic = write(Map.of(), checkpoint.changes(now));
    long[] kept = store.kept();
    // every sample, one tally per class, one position
    assertEquals(kept[0] + kept[1] + 2 + 1, topic.size());
    assertTrue(
        topic.keySet().stream().allMatch(k -> k.startsWith(StoreCheckpoint.prefix("candle"))));

    TrainingStore restored = store();
    restored.restore(StoreCheckpoint.read(topic.values(), FEATURES));
    assertEquals(ids(now), ids(restored.contents()));
    assertEquals(store.seenCounts(), restored.seenCounts());
    assertEquals(Map.of(0, 43L), restored.contents().positions());
  }

  @Test
  void laterWritesHoldOnlyWhatChanged() {
    TrainingStore store = store();
    add(store, "head", 0, 40);
    StoreCheckpoint checkpoint = new StoreCheckpoint("candle", FEATURES);
    checkpoint.written(store.contents());
    assertEquals(List.of(), checkpoint.changes(store.contents()), "nothing changed");

    add(store, "head", 40, 41);
    List<StoreCheckpoint.Change> changes = checkpoint.changes(store.contents());
    // the tally and the position always; a sample only when the image was kept
    long samples =
        changes.stream()
            .filter(c -> c.key().contains("/train/") || c.key().contains("/holdout/"))
            .count();
    assertEquals(
        2 + samples,
        changes.size(),
        changes.stream().map(StoreCheckpoint.Change::key).toList().toString());
    assertTrue(samples <= 1);
  }

  @Test
  void aStoreThatCouldNotBeRestoredIsReplacedKeyByKey() {
    StoreCheckpoint checkpoint = new StoreCheckpoint("candle", FEATURES);
    checkpoint.replace(List.of("candle/train/0/gone", "candle/tally/head"));
    TrainingStore store = store();
    add(store, "head", 0, 3);
    List<StoreCheckpoint.Change> changes = checkpoint.changes(store.contents());
    Map<String, TrainingStoreEntry> byKey = new LinkedHashMap<>();
    List<String> deleted = new ArrayList<>();
    changes.forEach(
        c -> {
          if (c.entry() == null) {
            deleted.add(c.key());
          } else {
            byKey.put(c.key(), c.entry());
          }
        });
    assertEquals(List.of("candle/train/0/gone"), deleted, "the key not overwritten is deleted");
    assertTrue(byKey.containsKey("candle/tally/head"));
    checkpoint.written(store.contents());
    assertEquals(List.of(), checkpoint.changes(store.contents()));
  }

  @Test
  void entriesThatAreNotOneStoreAreRefusedNamingWhy() {
    TrainingStore store = store();
    add(store, "head", 0, 30);
    Map<String, TrainingStoreEntry> topic =
        write(Map.of(), new StoreCheckpoint("candle", FEATURES).changes(store.contents()));

    Map<String, TrainingStoreEntry> slotMissing = new LinkedHashMap<>(topic);
    slotMissing.remove("candle/train/3/head");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> StoreCheckpoint.read(slotMissing.values(), FEATURES));
    assertTrue(e.getMessage().contains("slots"), e.getMessage());

    Map<String, TrainingStoreEntry> noTally = new LinkedHashMap<>(topic);
    noTally.remove("candle/tally/head");
    e =
        assertThrows(
            IllegalArgumentException.class, () -> StoreCheckpoint.read(noTally.values(), FEATURES));
    assertTrue(e.getMessage().contains("no tally"), e.getMessage());

    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> StoreCheckpoint.read(topic.values(), "other.features"));
    assertTrue(e.getMessage().contains("topic.features"), e.getMessage());
    assertNull(topic.get("candle/position/1"));
    assertEquals(new StoredPosition(FEATURES, 0, 30L), topic.get("candle/position/0").getEntry());
  }

  static List<String> ids(TrainingStore.Contents contents) {
    List<String> out = new ArrayList<>();
    contents
        .classes()
        .values()
        .forEach(
            v -> {
              v.train().forEach(s -> out.add("train " + s.imageId()));
              v.holdout().forEach(s -> out.add("holdout " + s.imageId()));
            });
    return out;
  }
}
