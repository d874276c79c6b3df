package ai.candle.trainer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The features the trainer may learn from, in bounded memory: per class at most {@code
 * maxPerClass} training samples and {@code holdoutMaxPerClass} held-out ones.
 *
 * <h2>Policy</h2>
 *
 * <ul>
 *   <li><b>Holdout, stratified per class.</b> A class's first image always trains (a base class
 *       needs one). Every later image is held out when a stable hash of its image id falls in the
 *       first {@code holdoutPercent} of 100 buckets and the class's holdout is not full. Held-out
 *       images are never trained on.
 *   <li><b>Training: reservoir sampling per class.</b> The class keeps a uniform sample of at
 *       most {@code maxPerClass} of its training images (Vitter's algorithm R, seeded by the
 *       class name, so a replay of the same stream rebuilds the same store).
 *   <li><b>Priors.</b> The logit-adjusted loss must see priors that describe the labels it is
 *       trained on: those are the kept training samples, {@code min(training images, cap)} per
 *       class ({@link ClassView#trainCount()}), not the raw live count. A class with 5,000 images
 *       and one with 3 then weigh 100 : 3 in both the batches and the priors.
 *   <li><b>Live counts are the source of truth</b> for how many images a class has: the store
 *       counts what it consumed ({@link ClassView#seen()}), versions record it, and the trainer
 *       compares it with the streams app's exactly-once counts before a fit.
 * </ul>
 *
 * Memory: C × (maxPerClass + holdoutMaxPerClass) × D floats at most (C = 1,000, D = 512, 100 +
 * 20: 245 MB). Thread-safe: the consumer adds, the fit thread takes snapshots.
 */
final class TrainingStore {

  /** Where an added image went. */
  enum Placement { TRAIN, HOLDOUT, NOT_SAMPLED }

  /** A snapshot of one class: counts and the (immutable) sample lists. */
  record ClassView(String name, long seen, long trainOffered, List<float[]> train,
      List<float[]> holdout) {
    /** Training samples the loss sees: the prior count. */
    int trainCount() {
      return train.size();
    }
  }

  private static final class ClassSamples {
    long seen;
    long trainOffered;
    final List<float[]> train = new ArrayList<>();
    final List<float[]> holdout = new ArrayList<>();
    final SplittableRandom random;

    ClassSamples(String name, long seed) {
      random = new SplittableRandom(seed ^ stableHash(name));
    }
  }

  private final int dim;
  private final int maxPerClass;
  private final int holdoutPercent;
  private final int holdoutMaxPerClass;
  private final long seed;
  private final Map<String, ClassSamples> classes = new LinkedHashMap<>();
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
      throw new IllegalArgumentException("feature of image " + imageId + " has " + feature.length
          + " values, the store holds width " + dim);
    }
    ClassSamples c = classes.computeIfAbsent(className, n -> new ClassSamples(n, seed));
    c.seen++;
    if (c.seen > 1 && c.holdout.size() < holdoutMaxPerClass && hashedIntoHoldout(imageId, holdoutPercent)) {
      c.holdout.add(feature);
      return Placement.HOLDOUT;
    }
    c.trainOffered++;
    trainOffered++;
    if (c.train.size() < maxPerClass) {
      c.train.add(feature);
      return Placement.TRAIN;
    }
    long j = c.random.nextLong(c.trainOffered);
    if (j < maxPerClass) {
      c.train.set((int) j, feature);
      return Placement.TRAIN;
    }
    return Placement.NOT_SAMPLED;
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

  /** A consistent copy of every class (the sample arrays are shared, never modified). */
  synchronized Map<String, ClassView> snapshot() {
    Map<String, ClassView> out = new LinkedHashMap<>();
    classes.forEach((name, c) -> out.put(name, new ClassView(name, c.seen, c.trainOffered,
        List.copyOf(c.train), List.copyOf(c.holdout))));
    return out;
  }

  /** Whether an image's id puts it in the holdout (when its class's holdout has room and it is not the first image). */
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
