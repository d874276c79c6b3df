package ai.candle.streams.scoring;

import ai.candle.core.FrequencyBucket;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Live prequential accuracy: each labelled image is scored before it counts, and whether its top-1
 * class was its label is recorded here under the frequency bucket of its class at scoring time
 * ({@link FrequencyBucket}).
 *
 * <p><b>Sliding windows</b>, not cumulative: the model changes as it learns, and a cumulative
 * figure would be dominated by old versions. {@code candle.accuracy.prequential{bucket}} is the
 * top-1 accuracy over the last {@code scoring.accuracy.window} prequential predictions of the
 * bucket (NaN before any). Per class, the last {@value #CLASS_WINDOW} predictions are kept; {@code
 * candle.accuracy.worst{rank}} is the accuracy of the rank-th worst class among those with at least
 * {@value #MIN_CLASS_PREDICTIONS} predictions in their window (rank 1 = worst; NaN where fewer
 * classes qualify). The names stay out of the tags (they are unbounded); {@link #worst()} returns
 * them. The cumulative counter {@code candle.prequential.predictions{bucket, outcome}} ({@code
 * outcome} = correct | wrong) adds up across instances and restarts, for accuracy over any range in
 * Prometheus.
 *
 * <p><b>Per model version</b>: {@code candle.accuracy.version{bucket}} is the top-1 accuracy of
 * every prequential prediction made by the newest model version that has scored here, since its
 * first one (NaN in a bucket it has not scored yet). Predictions of an older version (a scoring
 * thread still holding it just after a swap) do not count, and a newer version starts from zero.
 * Plotted over time beside {@code candle_model_version} it reads as the accuracy of each version in
 * turn; the version number itself stays out of that gauge's tags (it grows without bound).
 *
 * <p><b>By version, bounded</b>: {@code candle.prequential.version.predictions{version, outcome}}
 * counts the prequential predictions of each of the {@value #VERSIONS_KEPT} newest versions that
 * scored here; when an eleventh appears, the oldest one's series are removed from the registry, and
 * a prediction of a version older than all those kept is not counted. Summed over instances, {@code
 * correct / (correct + wrong)} by {@code version} is each recent version's accuracy since the
 * scorers started.
 *
 * <p>Thread-safe (stream threads record, the scrape reads). Metrics are per process and in-memory:
 * a task that is retried after a crash may record an image twice, and a restart starts the windows
 * empty.
 */
public final class AccuracyTracker {

  static final String PREQUENTIAL = "candle.accuracy.prequential";
  static final String WORST = "candle.accuracy.worst";
  static final String OUTCOMES = "candle.prequential.predictions";
  static final String BY_VERSION = "candle.accuracy.version";
  static final String VERSION_OUTCOMES = "candle.prequential.version.predictions";
  static final String VERSION_TAG = "version";

  /** How many versions {@code candle.prequential.version.predictions} keeps series for. */
  static final int VERSIONS_KEPT = 10;

  static final String BUCKET_TAG = "bucket";
  static final String RANK_TAG = "rank";
  static final String OUTCOME_TAG = "outcome";

  /** Predictions kept per class for the worst-classes ranking. */
  static final int CLASS_WINDOW = 100;

  /** A class needs this many predictions in its window to be ranked. */
  static final int MIN_CLASS_PREDICTIONS = 10;

  /** A class's accuracy over its window. */
  public record ClassAccuracy(String className, double accuracy, int predictions) {}

  private final Map<FrequencyBucket, Window> buckets = new EnumMap<>(FrequencyBucket.class);
  private final Map<FrequencyBucket, Counter> correct = new EnumMap<>(FrequencyBucket.class);
  private final Map<FrequencyBucket, Counter> wrong = new EnumMap<>(FrequencyBucket.class);
  private final Map<String, Window> classes = new HashMap<>();
  private final Map<FrequencyBucket, long[]> versionTally = new EnumMap<>(FrequencyBucket.class);
  private long version = -1;
  private final MeterRegistry registry;

  /** Correct and wrong counters of the newest versions seen, by version. */
  private final java.util.TreeMap<Long, Counter[]> recentVersions = new java.util.TreeMap<>();

  private final int worstClasses;
  private List<ClassAccuracy> worst = List.of();
  private boolean worstStale;

  /**
   * @param bucketWindow predictions per bucket window ({@code scoring.accuracy.window})
   * @param worstClasses how many worst classes to rank ({@code scoring.worst-classes})
   */
  AccuracyTracker(MeterRegistry registry, int bucketWindow, int worstClasses) {
    this.worstClasses = worstClasses;
    this.registry = registry;
    for (FrequencyBucket bucket : FrequencyBucket.values()) {
      buckets.put(bucket, new Window(bucketWindow));
      Gauge.builder(PREQUENTIAL, this, t -> t.accuracy(bucket))
          .description(
              "Top-1 accuracy of labelled images scored before they count, over the last"
                  + " predictions of the class-frequency bucket")
          .tag(BUCKET_TAG, bucket.tag())
          .strongReference(true)
          .register(registry);
      versionTally.put(bucket, new long[2]);
      Gauge.builder(BY_VERSION, this, t -> t.versionAccuracy(bucket))
          .description(
              "Top-1 prequential accuracy of the newest model version that scored here,"
                  + " since its first prediction, by class-frequency bucket")
          .tag(BUCKET_TAG, bucket.tag())
          .strongReference(true)
          .register(registry);
      correct.put(bucket, outcomes(registry, bucket, "correct"));
      wrong.put(bucket, outcomes(registry, bucket, "wrong"));
    }
    for (int rank = 1; rank <= worstClasses; rank++) {
      int r = rank;
      Gauge.builder(WORST, this, t -> t.worstAccuracy(r))
          .description("Prequential accuracy of the rank-th worst class (rank 1 = worst)")
          .tag(RANK_TAG, Integer.toString(rank))
          .strongReference(true)
          .register(registry);
    }
  }

  /**
   * Records one prequential prediction.
   *
   * @param className the image's label
   * @param imagesBefore the class's count of labelled images when it was scored
   * @param wasCorrect whether the top-1 class was the label
   */
  public synchronized void record(String className, long imagesBefore, boolean wasCorrect) {
    FrequencyBucket bucket = FrequencyBucket.of(imagesBefore);
    buckets.get(bucket).add(wasCorrect);
    (wasCorrect ? correct : wrong).get(bucket).increment();
    classes.computeIfAbsent(className, c -> new Window(CLASS_WINDOW)).add(wasCorrect);
    worstStale = true;
  }

  /**
   * Records one prequential prediction made by model version {@code modelVersion}: as {@link
   * #record(String, long, boolean)}, and in the accuracy of that version when it is the newest seen
   * (a newer one starts its tally from zero; an older one is not tallied).
   */
  public synchronized void record(
      String className, long imagesBefore, boolean wasCorrect, long modelVersion) {
    record(className, imagesBefore, wasCorrect);
    if (modelVersion > version) {
      version = modelVersion;
      versionTally.values().forEach(t -> Arrays.fill(t, 0));
    }
    if (modelVersion == version) {
      long[] tally = versionTally.get(FrequencyBucket.of(imagesBefore));
      tally[0] += wasCorrect ? 1 : 0;
      tally[1]++;
    }
    Counter[] outcomes = versionOutcomes(modelVersion);
    if (outcomes != null) {
      outcomes[wasCorrect ? 0 : 1].increment();
    }
  }

  /** The counters of a version among the newest {@link #VERSIONS_KEPT}; null when it is older. */
  private Counter[] versionOutcomes(long modelVersion) {
    Counter[] known = recentVersions.get(modelVersion);
    if (known != null) {
      return known;
    }
    if (recentVersions.size() >= VERSIONS_KEPT && modelVersion < recentVersions.firstKey()) {
      return null;
    }
    Counter[] fresh = new Counter[2];
    for (int i = 0; i < 2; i++) {
      fresh[i] =
          Counter.builder(VERSION_OUTCOMES)
              .description(
                  "Prequential predictions of each of the "
                      + VERSIONS_KEPT
                      + " newest model versions, by outcome")
              .tag(VERSION_TAG, Long.toString(modelVersion))
              .tag(OUTCOME_TAG, i == 0 ? "correct" : "wrong")
              .register(registry);
    }
    recentVersions.put(modelVersion, fresh);
    while (recentVersions.size() > VERSIONS_KEPT) {
      for (Counter c : recentVersions.pollFirstEntry().getValue()) {
        registry.remove(c);
      }
    }
    return fresh;
  }

  /** The versions {@code candle.prequential.version.predictions} has series for, oldest first. */
  synchronized List<Long> countedVersions() {
    return List.copyOf(recentVersions.keySet());
  }

  /** Accuracy of the newest version's predictions in the bucket; NaN when it made none there. */
  public synchronized double versionAccuracy(FrequencyBucket bucket) {
    long[] tally = versionTally.get(bucket);
    return tally[1] == 0 ? Double.NaN : (double) tally[0] / tally[1];
  }

  /** The version {@link #versionAccuracy} is about; -1 before any. */
  public synchronized long accuracyVersion() {
    return version;
  }

  /** Accuracy over the bucket's window; NaN when it is empty. */
  public synchronized double accuracy(FrequencyBucket bucket) {
    return buckets.get(bucket).accuracy();
  }

  /** The worst classes, worst first (ties by class name), at most {@code scoring.worst-classes}. */
  public synchronized List<ClassAccuracy> worst() {
    if (worstStale) {
      worst = rank();
      worstStale = false;
    }
    return worst;
  }

  private double worstAccuracy(int rank) {
    List<ClassAccuracy> w = worst();
    return rank <= w.size() ? w.get(rank - 1).accuracy() : Double.NaN;
  }

  private List<ClassAccuracy> rank() {
    Comparator<ClassAccuracy> worstFirst =
        Comparator.comparingDouble(ClassAccuracy::accuracy).thenComparing(ClassAccuracy::className);
    PriorityQueue<ClassAccuracy> best = new PriorityQueue<>(worstFirst.reversed());
    classes.forEach(
        (name, window) -> {
          if (window.size >= MIN_CLASS_PREDICTIONS) {
            best.add(new ClassAccuracy(name, window.accuracy(), window.size));
            if (best.size() > worstClasses) {
              best.poll();
            }
          }
        });
    List<ClassAccuracy> out = new ArrayList<>(best);
    out.sort(worstFirst);
    return List.copyOf(out);
  }

  private static Counter outcomes(MeterRegistry registry, FrequencyBucket bucket, String outcome) {
    return Counter.builder(OUTCOMES)
        .description("Prequential predictions, by class-frequency bucket and outcome")
        .tag(BUCKET_TAG, bucket.tag())
        .tag(OUTCOME_TAG, outcome)
        .register(registry);
  }

  /** The last {@code capacity} outcomes. */
  private static final class Window {
    private final boolean[] ring;
    private int size;
    private int next;
    private int correct;

    Window(int capacity) {
      ring = new boolean[capacity];
    }

    void add(boolean wasCorrect) {
      if (size == ring.length) {
        if (ring[next]) {
          correct--;
        }
      } else {
        size++;
      }
      ring[next] = wasCorrect;
      if (wasCorrect) {
        correct++;
      }
      next = (next + 1) % ring.length;
    }

    double accuracy() {
      return size == 0 ? Double.NaN : (double) correct / size;
    }
  }
}
