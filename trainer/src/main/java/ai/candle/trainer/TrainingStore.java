package ai.candle.trainer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The features the trainer may learn from, in bounded memory: per class at most {@code maxPerClass}
 * training samples and {@code holdoutMaxPerClass} held-out ones.
 *
 * <h2>Policy</h2>
 *
 * <ul>
 *   <li><b>Holdout, stratified per class.</b> A class's first image always trains (a base class
 *       needs one). Every later image is held out when a stable hash of its image id falls in the
 *       first {@code holdoutPercent} of 100 buckets and the class's holdout is not full. Held-out
 *       images are never trained on.
 *   <li><b>Training: reservoir sampling per class.</b> The class keeps a uniform sample of at most
 *       {@code maxPerClass} of its training images (Vitter's algorithm R). The n-th offer's draw is
 *       a function of the seed, the class name and n alone, so a replay of the same stream rebuilds
 *       the same store, and a store restored from its contents ({@link #restore}) goes on exactly
 *       as the store that was never stopped.
 *   <li><b>Priors.</b> The logit-adjusted loss must see priors that describe the labels it is
 *       trained on: those are the kept training samples, {@code min(training images, cap)} per
 *       class ({@link ClassView#trainCount()}), not the raw live count. A class with 5,000 images
 *       and one with 3 then weigh 100 : 3 in both the batches and the priors.
 *   <li><b>Live counts are the source of truth</b> for how many images a class has: the store
 *       counts what it consumed ({@link ClassView#seen()}), versions record it, and the trainer
 *       compares it with the streams app's exactly-once counts before a fit.
 *   <li><b>Positions.</b> With each image the store records how far it consumed that partition of
 *       the features topic, so that its {@link Contents} say which records they account for.
 * </ul>
 *
 * Memory: C × (maxPerClass + holdoutMaxPerClass) × D floats at most (C = 1,000, D = 512, 100 + 20:
 * 245 MB). Thread-safe: the consumer adds, the fit thread takes snapshots.
 */
final class TrainingStore {

  /** Where an added image went. */
  enum Placement {
    TRAIN,
    HOLDOUT,
    NOT_SAMPLED
  }

  /** One image the store keeps: its id and its feature (never modified). */
  record Sample(String imageId, float[] feature) {}

  /** A snapshot of one class: counts and the (immutable) sample lists, by slot. */
  record ClassView(
      String name, long seen, long trainOffered, List<Sample> train, List<Sample> holdout) {
    ClassView {
      train = List.copyOf(train);
      holdout = List.copyOf(holdout);
    }

    /** Training samples the loss sees: the prior count. */
    int trainCount() {
      return train.size();
    }
  }

  /**
   * Everything the store holds at one moment: each class, and per partition of the features topic
   * the next offset to read (the records before it are accounted for).
   */
  record Contents(Map<String, ClassView> classes, Map<Integer, Long> positions) {
    static final Contents EMPTY = new Contents(Map.of(), Map.of());

    Contents {
      classes = Collections.unmodifiableMap(new LinkedHashMap<>(classes));
      positions = Map.copyOf(positions);
    }

    /** Training images offered over all classes. */
    long trainOffered() {
      return classes.values().stream().mapToLong(ClassView::trainOffered).sum();
    }
  }

  private static final class ClassSamples {
    long seen;
    long trainOffered;
    final List<Sample> train = new ArrayList<>();
    final List<Sample> holdout = new ArrayList<>();
    final long seed;

    ClassSamples(String name, long seed) {
      this.seed = seed ^ stableHash(name);
    }
  }

  private final int dim;
  private final int maxPerClass;
  private final int holdoutPercent;
  private final int holdoutMaxPerClass;
  private final long seed;
  private final Map<String, ClassSamples> classes = new LinkedHashMap<>();
  private final Map<Integer, Long> positions = new HashMap<>();
  private long trainOffered;

  TrainingStore(int dim, int maxPerClass, int holdoutPercent, int holdoutMaxPerClass, long seed) {
    this.dim = dim;
    this.maxPerClass = maxPerClass;
    this.holdoutPercent = holdoutPercent;
    this.holdoutMaxPerClass = holdoutMaxPerClass;
    this.seed = seed;
  }

  /** Adds one labelled image; the feature must have the store's width. */
  synchronized Placement add(String className, String imageId, float[] feature) {
    if (feature.length != dim) {
      throw new IllegalArgumentException(
          "feature of image "
              + imageId
              + " has "
              + feature.length
              + " values, the store holds width "
              + dim);
    }
    ClassSamples c = classes.computeIfAbsent(className, n -> new ClassSamples(n, seed));
    Sample sample = new Sample(imageId, feature);
    c.seen++;
    if (c.seen > 1
        && c.holdout.size() < holdoutMaxPerClass
        && hashedIntoHoldout(imageId, holdoutPercent)) {
      c.holdout.add(sample);
      return Placement.HOLDOUT;
    }
    c.trainOffered++;
    trainOffered++;
    if (c.train.size() < maxPerClass) {
      c.train.add(sample);
      return Placement.TRAIN;
    }
    long j = reservoirDraw(c.seed, c.trainOffered);
    if (j < maxPerClass) {
      c.train.set((int) j, sample);
      return Placement.TRAIN;
    }
    return Placement.NOT_SAMPLED;
  }

  /**
   * Adds the image of the record at {@code offset} of partition {@code partition} of the features
   * topic; the partition's position moves past it in the same step.
   */
  synchronized Placement add(
      String className, String imageId, float[] feature, int partition, long offset) {
    Placement placement = add(className, imageId, feature);
    positions.put(partition, offset + 1);
    return placement;
  }

  /** Algorithm R's draw for the n-th training image offered: uniform in [0, n). */
  private static long reservoirDraw(long classSeed, long n) {
    return new SplittableRandom(classSeed + n * 0x9E3779B97F4A7C15L).nextLong(n);
  }

  /**
   * Makes an empty store hold these contents (a store written before a restart).
   *
   * @throws IllegalStateException when the store holds anything already
   * @throws IllegalArgumentException when the contents do not fit this store's settings
   */
  synchronized void restore(Contents contents) {
    if (!classes.isEmpty() || !positions.isEmpty()) {
      throw new IllegalStateException("only an empty store can be restored");
    }
    for (ClassView v : contents.classes().values()) {
      checkFits(v);
    }
    for (ClassView v : contents.classes().values()) {
      ClassSamples c = classes.computeIfAbsent(v.name(), n -> new ClassSamples(n, seed));
      c.seen = v.seen();
      c.trainOffered = v.trainOffered();
      c.train.addAll(v.train());
      c.holdout.addAll(v.holdout());
      trainOffered += v.trainOffered();
    }
    positions.putAll(contents.positions());
  }

  /** Whether a class's contents are what this store would have built (its cap, its width). */
  private void checkFits(ClassView v) {
    String problem = null;
    if (v.train().size() != Math.min(v.trainOffered(), maxPerClass)) {
      problem =
          v.train().size()
              + " training samples of "
              + v.trainOffered()
              + " offered, the cap"
              + " (store.max.per.class) is "
              + maxPerClass;
    } else if (v.holdout().size() > holdoutMaxPerClass
        || v.seen() != v.trainOffered() + v.holdout().size()) {
      problem =
          v.holdout().size()
              + " held out of "
              + v.seen()
              + " seen, "
              + v.trainOffered()
              + " offered to training, holdout.max.per.class "
              + holdoutMaxPerClass;
    } else if (Stream.concat(v.train().stream(), v.holdout().stream())
        .anyMatch(s -> s.feature().length != dim)) {
      problem = "a feature is not of width " + dim;
    }
    if (problem != null) {
      throw new IllegalArgumentException(
          "class " + v.name() + " does not fit this store: " + problem);
    }
  }

  /** Training images offered so far over all classes (sampled or not). */
  synchronized long trainOffered() {
    return trainOffered;
  }

  /** Images of a class consumed so far. */
  synchronized long seen(String className) {
    ClassSamples c = classes.get(className);
    return c == null ? 0 : c.seen;
  }

  /** Images consumed per class. */
  synchronized Map<String, Long> seenCounts() {
    Map<String, Long> out = new LinkedHashMap<>();
    classes.forEach((name, c) -> out.put(name, c.seen));
    return out;
  }

  /** Kept samples: {train, holdout}. */
  synchronized long[] kept() {
    long train = 0;
    long holdout = 0;
    for (ClassSamples c : classes.values()) {
      train += c.train.size();
      holdout += c.holdout.size();
    }
    return new long[] {train, holdout};
  }

  /** A consistent copy of every class (the samples are shared, never modified). */
  synchronized Map<String, ClassView> snapshot() {
    return contents().classes();
  }

  /** A consistent copy of every class and of the positions. */
  synchronized Contents contents() {
    Map<String, ClassView> out = new LinkedHashMap<>();
    classes.forEach(
        (name, c) ->
            out.put(name, new ClassView(name, c.seen, c.trainOffered, c.train, c.holdout)));
    return new Contents(out, positions);
  }

  /**
   * Whether an image's id puts it in the holdout (when its class's holdout has room and it is not
   * the first image).
   */
  static boolean hashedIntoHoldout(String imageId, int holdoutPercent) {
    return Math.floorMod(stableHash(imageId), 100) < holdoutPercent;
  }

  /** A hash that is the same in every JVM (FNV-1a over UTF-8, then a final mix). */
  static long stableHash(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }
}
