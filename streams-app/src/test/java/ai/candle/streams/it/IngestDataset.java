package ai.candle.streams.it;

import ai.candle.core.io.FeaturesDataset;
import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.LabeledImage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Labelled feature events for the ingest integration tests: valid ones over long-tailed classes
 * (Zipf, exponent 1) and malformed ones of several kinds, with what the topology must make of them.
 * Deterministic for a seed.
 */
final class IngestDataset {

  /** One record as a producer sends it: UTF-8 key (the image id) and value bytes. */
  record Event(String key, byte[] value) {}

  /** The ways a record on candle.images.labeled can be bad. */
  enum Malformed {
    RANDOM_BYTES,
    JSON_TEXT,
    TRUNCATED_AVRO,
    WRONG_WIDTH,
    NAN_VALUE,
    INFINITE_VALUE,
    EMPTY_LABEL,
    BLANK_LABEL,
    NEITHER_IMAGE_NOR_FEATURE,
    FEATURE_AND_URI;

    /** Bytes that are not a LabeledImage at all: what an outside client might send by mistake. */
    boolean notTheSchema() {
      return this == RANDOM_BYTES || this == JSON_TEXT || this == TRUNCATED_AVRO;
    }
  }

  private static final AvroSerde<LabeledImage> SERDE = AvroSerde.of(LabeledImage.class);
  private static final Instant BASE_TIME = Instant.parse("2026-01-01T00:00:00Z");

  private final Map<String, Long> expectedCounts;
  private final List<Event> valid;
  private final List<Event> malformed;
  private final Map<String, Malformed> malformedKinds;

  private IngestDataset(
      Map<String, Long> expectedCounts,
      List<Event> valid,
      List<Event> malformed,
      Map<String, Malformed> malformedKinds) {
    this.expectedCounts = expectedCounts;
    this.valid = valid;
    this.malformed = malformed;
    this.malformedKinds = malformedKinds;
  }

  static IngestDataset generate(
      long seed, int validCount, int classCount, int malformedCount, int width) {
    Random random = new Random(seed);
    Map<String, Long> counts = longTailedCounts(validCount, classCount);
    List<String> labels = new ArrayList<>(validCount);
    counts.forEach((label, n) -> labels.addAll(Collections.nCopies(n.intValue(), label)));
    Collections.shuffle(labels, random);
    List<Event> valid = new ArrayList<>(validCount);
    for (int i = 0; i < validCount; i++) {
      String id = "img-" + seed + "-" + i;
      valid.add(new Event(id, SERDE.encode(labeled(id, i, labels.get(i), feature(random, width)))));
    }
    return withMalformed(seed, random, counts, valid, malformedCount, width);
  }

  /**
   * The training images of a features dataset (e.g. {@code SyntheticClip}'s, whose classes a fit
   * can learn) as valid events in a shuffled order, plus malformed ones as {@link #generate} makes
   * them.
   */
  static IngestDataset fromTrainingImages(long seed, FeaturesDataset images, int malformedCount) {
    Random random = new Random(seed);
    int n = images.trainSize();
    int width = images.dim();
    List<Integer> order = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    Collections.shuffle(order, random);
    Map<String, Long> counts = new LinkedHashMap<>();
    List<Event> valid = new ArrayList<>(n);
    for (int row : order) {
      String label = images.classNames().get(images.trainLabels()[row]);
      List<Float> feature = new ArrayList<>(width);
      for (int d = 0; d < width; d++) {
        feature.add(images.trainFeatures()[row * width + d]);
      }
      String id = "img-" + seed + "-" + valid.size();
      valid.add(new Event(id, SERDE.encode(labeled(id, valid.size(), label, feature))));
      counts.merge(label, 1L, Long::sum);
    }
    return withMalformed(seed, random, counts, valid, malformedCount, width);
  }

  private static IngestDataset withMalformed(
      long seed,
      Random random,
      Map<String, Long> counts,
      List<Event> valid,
      int malformedCount,
      int width) {
    Malformed[] kinds = Malformed.values();
    List<Event> malformed = new ArrayList<>(malformedCount);
    Map<String, Malformed> malformedKinds = new LinkedHashMap<>();
    for (int i = 0; i < malformedCount; i++) {
      Malformed kind = kinds[i % kinds.length];
      String id = "bad-" + seed + "-" + i;
      malformed.add(new Event(id, malformedValue(kind, id, i, random, width)));
      malformedKinds.put(id, kind);
    }
    Collections.shuffle(malformed, random);
    return new IngestDataset(
        Collections.unmodifiableMap(counts),
        List.copyOf(valid),
        List.copyOf(malformed),
        Collections.unmodifiableMap(malformedKinds));
  }

  /**
   * Class i gets about n / (i + 1) events, at least one; the rounding remainder goes to the head
   * class. Names include non-ASCII ones so UTF-8 keys are exercised.
   */
  static Map<String, Long> longTailedCounts(int total, int classCount) {
    if (total < classCount) {
      throw new IllegalArgumentException(
          "need at least one event per class: " + total + " < " + classCount);
    }
    double harmonic = 0;
    for (int i = 1; i <= classCount; i++) {
      harmonic += 1.0 / i;
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    long assigned = 0;
    for (int i = 0; i < classCount; i++) {
      long n = Math.max(1, Math.round(total / harmonic / (i + 1)));
      counts.put(className(i), n);
      assigned += n;
    }
    long head = counts.get(className(0)) + (total - assigned);
    if (head < 1) {
      throw new IllegalStateException(
          "cannot spread " + total + " events over " + classCount + " classes");
    }
    counts.put(className(0), head);
    return counts;
  }

  static String className(int i) {
    return switch (i % 50) {
      case 7 -> String.format("café crème %03d", i);
      case 13 -> String.format("東京タワー %03d", i);
      default -> String.format("class %03d", i);
    };
  }

  private static LabeledImage labeled(String id, int i, String label, List<Float> feature) {
    return LabeledImage.newBuilder()
        .setId(id)
        .setEventTime(BASE_TIME.plusMillis(i))
        .setLabel(label)
        .setFeature(feature)
        .setSource("ingest-it")
        .build();
  }

  private static List<Float> feature(Random random, int width) {
    List<Float> f = new ArrayList<>(width);
    for (int d = 0; d < width; d++) {
      f.add((float) random.nextGaussian());
    }
    return f;
  }

  private static byte[] malformedValue(Malformed kind, String id, int i, Random random, int width) {
    return switch (kind) {
      case RANDOM_BYTES -> {
        byte[] b = new byte[16 + random.nextInt(200)];
        random.nextBytes(b);
        yield b;
      }
      case JSON_TEXT ->
          ("{\"id\":\"" + id + "\",\"label\":\"class 001\",\"feature\":[0.1,0.2]}")
              .getBytes(StandardCharsets.UTF_8);
      case TRUNCATED_AVRO -> {
        byte[] whole = SERDE.encode(labeled(id, i, className(1), feature(random, width)));
        byte[] cut = new byte[12 + random.nextInt(whole.length / 2)];
        System.arraycopy(whole, 0, cut, 0, cut.length);
        yield cut;
      }
      case WRONG_WIDTH ->
          SERDE.encode(
              labeled(
                  id,
                  i,
                  className(1),
                  feature(random, random.nextBoolean() ? width - 1 : width + 256)));
      case NAN_VALUE ->
          SERDE.encode(labeled(id, i, className(1), withValue(feature(random, width), Float.NaN)));
      case INFINITE_VALUE ->
          SERDE.encode(
              labeled(
                  id,
                  i,
                  className(1),
                  withValue(
                      feature(random, width),
                      random.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY)));
      case EMPTY_LABEL -> SERDE.encode(labeled(id, i, "", feature(random, width)));
      case BLANK_LABEL -> SERDE.encode(labeled(id, i, " \t ", feature(random, width)));
      case NEITHER_IMAGE_NOR_FEATURE ->
          SERDE.encode(
              LabeledImage.newBuilder()
                  .setId(id)
                  .setEventTime(BASE_TIME.plusMillis(i))
                  .setLabel(className(1))
                  .build());
      case FEATURE_AND_URI ->
          SERDE.encode(
              LabeledImage.newBuilder(labeled(id, i, className(1), feature(random, width)))
                  .setImageUri("file:///nowhere/" + id + ".png")
                  .build());
    };
  }

  private static List<Float> withValue(List<Float> feature, float value) {
    feature.set(feature.size() / 2, value);
    return feature;
  }

  Map<String, Long> expectedCounts() {
    return expectedCounts;
  }

  List<Event> valid() {
    return valid;
  }

  List<Event> malformed() {
    return malformed;
  }

  Set<String> validIds() {
    return valid.stream().map(Event::key).collect(Collectors.toUnmodifiableSet());
  }

  Set<String> malformedIds() {
    return malformedKinds.keySet();
  }

  Map<Malformed, Long> malformedKindCounts() {
    Map<Malformed, Long> m = new EnumMap<>(Malformed.class);
    malformedKinds.values().forEach(k -> m.merge(k, 1L, Long::sum));
    return m;
  }

  Malformed kindOf(String malformedId) {
    return malformedKinds.get(malformedId);
  }
}
