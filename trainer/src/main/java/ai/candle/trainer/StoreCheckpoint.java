package ai.candle.trainer;

import ai.candle.schemas.SampleSplit;
import ai.candle.schemas.StoredPosition;
import ai.candle.schemas.StoredSample;
import ai.candle.schemas.StoredTally;
import ai.candle.schemas.TrainingStoreEntry;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The training store on the compacted training-store topic ({@code candle.training-store}), so that
 * it outlives the retention of the features topic: a restarted trainer restores it and reads the
 * features topic only from where the store left it.
 *
 * <p>One record per key (names URL-encoded, so keys are unambiguous):
 *
 * <ul>
 *   <li>{@code <model>/train/<slot>/<class>} and {@code <model>/holdout/<slot>/<class>}: a sample
 *       slot. A reservoir replacement overwrites its slot's key, so compaction keeps the topic at C
 *       × ({@code store.max.per.class} + {@code holdout.max.per.class}) samples, no tombstones
 *       needed;
 *   <li>{@code <model>/tally/<class>}: what the store accounted for of the class (seen, offered);
 *   <li>{@code <model>/position/<partition>}: the next offset of that features partition to read.
 * </ul>
 *
 * The trainer writes {@link #changes} since the contents last written, as of a fit's snapshot, in
 * the transaction that settles the fit (with its versions, or alone when nothing is published): the
 * topic holds the store that the latest version accounts for, or a later one. Not thread-safe: the
 * fit thread uses it under the trainer's publish lock.
 */
final class StoreCheckpoint {

  /** One record to write: a key and its entry, or null to delete the key. */
  record Change(String key, TrainingStoreEntry entry) {}

  private final String model;
  private final String featuresTopic;
  private TrainingStore.Contents written = TrainingStore.Contents.EMPTY;
  private final Set<String> toDelete = new LinkedHashSet<>();

  StoreCheckpoint(String model, String featuresTopic) {
    this.model = model;
    this.featuresTopic = featuresTopic;
  }

  /** The beginning of every key of this model's entries. */
  static String prefix(String model) {
    return encode(model) + "/";
  }

  /** The topic holds these contents: later changes count from them. */
  void written(TrainingStore.Contents contents) {
    written = contents;
    toDelete.clear();
  }

  /**
   * The topic holds these keys of a store that could not be restored: the next changes delete the
   * ones they do not overwrite, and count from nothing.
   */
  void replace(Collection<String> keysOnTopic) {
    written = TrainingStore.Contents.EMPTY;
    toDelete.addAll(keysOnTopic);
  }

  /**
   * What to write so that the topic holds {@code now}: every slot, tally and position that changed.
   */
  List<Change> changes(TrainingStore.Contents now) {
    List<Change> out = new ArrayList<>();
    for (TrainingStore.ClassView v : now.classes().values()) {
      TrainingStore.ClassView before = written.classes().get(v.name());
      addSamples(
          out, v.name(), SampleSplit.TRAIN, v.train(), before == null ? List.of() : before.train());
      addSamples(
          out,
          v.name(),
          SampleSplit.HOLDOUT,
          v.holdout(),
          before == null ? List.of() : before.holdout());
      if (before == null
          || before.seen() != v.seen()
          || before.trainOffered() != v.trainOffered()) {
        out.add(
            new Change(
                key("tally", encode(v.name())),
                entry(new StoredTally(v.name(), v.seen(), v.trainOffered()))));
      }
    }
    now.positions()
        .forEach(
            (partition, offset) -> {
              if (!offset.equals(written.positions().get(partition))) {
                out.add(
                    new Change(
                        key("position", Integer.toString(partition)),
                        entry(new StoredPosition(featuresTopic, partition, offset))));
              }
            });
    Set<String> overwritten = new HashSet<>();
    out.forEach(c -> overwritten.add(c.key()));
    toDelete.stream()
        .filter(k -> !overwritten.contains(k))
        .forEach(k -> out.add(new Change(k, null)));
    return out;
  }

  private void addSamples(
      List<Change> out,
      String className,
      SampleSplit split,
      List<TrainingStore.Sample> now,
      List<TrainingStore.Sample> before) {
    for (int slot = 0; slot < now.size(); slot++) {
      TrainingStore.Sample sample = now.get(slot);
      // samples are never modified: the same object in a slot is the same sample
      if (slot >= before.size() || before.get(slot) != sample) {
        out.add(
            new Change(
                key(split.name().toLowerCase(Locale.ROOT), slot + "/" + encode(className)),
                entry(
                    new StoredSample(
                        className, split, slot, sample.imageId(), boxed(sample.feature())))));
      }
    }
  }

  /**
   * The store these entries hold (this model's, each key's latest, read to the end of the topic).
   *
   * @throws IllegalArgumentException when they are not one store's: a slot missing, a sample
   *     without its class's tally, positions in another features topic
   */
  static TrainingStore.Contents read(Collection<TrainingStoreEntry> entries, String featuresTopic) {
    Map<String, StoredTally> tallies = new LinkedHashMap<>();
    Map<String, Map<SampleSplit, TreeMap<Integer, TrainingStore.Sample>>> samples = new HashMap<>();
    Map<Integer, Long> positions = new HashMap<>();
    for (TrainingStoreEntry e : entries) {
      if (e.getEntry() instanceof StoredTally t) {
        tallies.put(t.getClassName(), t);
      } else if (e.getEntry() instanceof StoredSample s) {
        samples
            .computeIfAbsent(s.getClassName(), k -> new HashMap<>())
            .computeIfAbsent(s.getSplit(), k -> new TreeMap<>())
            .put(s.getSlot(), new TrainingStore.Sample(s.getImageId(), unboxed(s.getFeature())));
      } else if (e.getEntry() instanceof StoredPosition p) {
        if (!p.getTopic().equals(featuresTopic)) {
          throw new IllegalArgumentException(
              "it was written reading features topic "
                  + p.getTopic()
                  + ", this trainer reads "
                  + featuresTopic
                  + " (topic.features)");
        }
        positions.put(p.getPartition(), p.getOffset());
      }
    }
    for (String className : samples.keySet()) {
      if (!tallies.containsKey(className)) {
        throw new IllegalArgumentException("class " + className + " has samples but no tally");
      }
    }
    Map<String, TrainingStore.ClassView> classes = new LinkedHashMap<>();
    tallies.forEach(
        (name, t) -> {
          Map<SampleSplit, TreeMap<Integer, TrainingStore.Sample>> of =
              samples.getOrDefault(name, Map.of());
          classes.put(
              name,
              new TrainingStore.ClassView(
                  name,
                  t.getSeen(),
                  t.getTrainOffered(),
                  slots(name, of.get(SampleSplit.TRAIN)),
                  slots(name, of.get(SampleSplit.HOLDOUT))));
        });
    return new TrainingStore.Contents(classes, positions);
  }

  /** A class's samples of one split in slot order; the slots must be 0 .. n-1. */
  private static List<TrainingStore.Sample> slots(
      String className, TreeMap<Integer, TrainingStore.Sample> bySlot) {
    if (bySlot == null) {
      return List.of();
    }
    if (bySlot.firstKey() != 0 || bySlot.lastKey() != bySlot.size() - 1) {
      throw new IllegalArgumentException(
          "class "
              + className
              + " has slots "
              + bySlot.firstKey()
              + " to "
              + bySlot.lastKey()
              + " but "
              + bySlot.size()
              + " samples");
    }
    return List.copyOf(bySlot.values());
  }

  private String key(String kind, String rest) {
    return prefix(model) + kind + "/" + rest;
  }

  private TrainingStoreEntry entry(Object entry) {
    return new TrainingStoreEntry(model, entry);
  }

  private static String encode(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8);
  }

  private static List<Float> boxed(float[] values) {
    List<Float> out = new ArrayList<>(values.length);
    for (float v : values) {
      out.add(v);
    }
    return out;
  }

  private static float[] unboxed(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
