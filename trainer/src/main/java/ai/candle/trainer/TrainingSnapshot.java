package ai.candle.trainer;

import ai.candle.core.CandleFit;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ModelVersions.ClassBook;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a fit learns from, taken at one moment: the store's views, the registered classes and the
 * live counts, and what follows from them (the training set, the class books, the holdout).
 *
 * <p>A class is fitted only when it is registered with a text feature of the store's width. Of
 * those, the classes with training samples are the base classes; the others are text-only (new)
 * classes. A class whose images arrived before its registry record is not in the fit until it is
 * registered (its images stay in the store, and the registration triggers the next fit).
 *
 * @param views every class the store holds, registered or not
 * @param base registered classes with training samples, by index
 * @param textOnly registered classes without training samples, by index
 * @param liveCounts the streams app's image count per class
 * @param width the feature width D
 * @param positions how far the store had consumed each partition of the features topic
 */
record TrainingSnapshot(
    Map<String, TrainingStore.ClassView> views,
    List<ClassInfo> base,
    List<ClassInfo> textOnly,
    Map<String, Long> liveCounts,
    int width,
    Map<Integer, Long> positions) {

  TrainingSnapshot {
    views = Collections.unmodifiableMap(new LinkedHashMap<>(views));
    base = List.copyOf(base);
    textOnly = List.copyOf(textOnly);
    liveCounts = Map.copyOf(liveCounts);
    positions = Map.copyOf(positions);
  }

  /** Splits the registered classes with a text feature into base and text-only ones. */
  static TrainingSnapshot of(
      TrainingStore.Contents store,
      Collection<ClassInfo> registry,
      Map<String, Long> liveCounts,
      int width) {
    List<ClassInfo> base = new ArrayList<>();
    List<ClassInfo> textOnly = new ArrayList<>();
    for (ClassInfo c : ClassRegistry.withText(registry, width)) {
      (trainCount(store.classes(), c.getName()) > 0 ? base : textOnly).add(c);
    }
    return new TrainingSnapshot(
        store.classes(), base, textOnly, liveCounts, width, store.positions());
  }

  /** The same for store views without positions. */
  static TrainingSnapshot of(
      Map<String, TrainingStore.ClassView> views,
      Collection<ClassInfo> registry,
      Map<String, Long> liveCounts,
      int width) {
    return of(new TrainingStore.Contents(views, Map.of()), registry, liveCounts, width);
  }

  /**
   * The store's contents this snapshot was taken from (what the training-store topic is to hold).
   */
  TrainingStore.Contents store() {
    return new TrainingStore.Contents(views, positions);
  }

  /** Whether any class can be fitted (a fit needs at least one base class). */
  boolean hasTrainingSamples() {
    return !base.isEmpty();
  }

  /** The fitted classes: base classes first, then the text-only ones, each by index. */
  List<ClassInfo> classes() {
    List<ClassInfo> ordered = new ArrayList<>(base);
    ordered.addAll(textOnly);
    return ordered;
  }

  /** Training samples over the base classes. */
  int samples() {
    return base.stream().mapToInt(c -> trainCount(views, c.getName())).sum();
  }

  /**
   * The training set: every kept training sample of the base classes, labelled by the base class's
   * position; each class's count is its kept training samples (the prior the loss must see), 0 for
   * text-only classes.
   *
   * @throws IllegalStateException when no class has training samples
   */
  CandleFit.TrainingSet trainingSet() {
    if (!hasTrainingSamples()) {
      throw new IllegalStateException("no registered class has training samples");
    }
    List<ClassInfo> ordered = classes();
    int n = samples();
    float[] features = new float[n * width];
    int[] labels = new int[n];
    float[] counts = new float[ordered.size()];
    int row = 0;
    for (int j = 0; j < base.size(); j++) {
      TrainingStore.ClassView v = views.get(base.get(j).getName());
      counts[j] = v.trainCount();
      for (TrainingStore.Sample s : v.train()) {
        System.arraycopy(s.feature(), 0, features, row * width, width);
        labels[row++] = j;
      }
    }
    return new CandleFit.TrainingSet(
        features,
        labels,
        width,
        ClassRegistry.names(ordered),
        base.size(),
        ClassRegistry.textOf(ordered, width),
        counts);
  }

  /** The image ids of the training set's samples. */
  Set<String> trainIds() {
    Set<String> ids = new HashSet<>();
    for (ClassInfo c : base) {
      for (TrainingStore.Sample s : views.get(c.getName()).train()) {
        ids.add(s.imageId());
      }
    }
    return ids;
  }

  /**
   * Rows of {@link #trainingSet} whose image is not among {@code learnt}: what a warm start learns
   * from.
   */
  int[] freshRows(Set<String> learnt) {
    List<Integer> fresh = new ArrayList<>();
    int row = 0;
    for (ClassInfo c : base) {
      for (TrainingStore.Sample s : views.get(c.getName()).train()) {
        if (!learnt.contains(s.imageId())) {
          fresh.add(row);
        }
        row++;
      }
    }
    return fresh.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Each fitted class's book, by index: images the store accounted for and how many it holds out.
   */
  Map<String, ClassBook> books() {
    List<ClassInfo> byIndex = new ArrayList<>(classes());
    byIndex.sort(Comparator.comparingInt(ClassInfo::getIndex));
    Map<String, ClassBook> books = new LinkedHashMap<>();
    for (ClassInfo c : byIndex) {
      TrainingStore.ClassView v = views.get(c.getName());
      books.put(
          c.getName(),
          new ClassBook(
              c.getIndex(), v == null ? 0 : v.seen(), v == null ? 0 : v.holdout().size()));
    }
    return books;
  }

  /**
   * What this snapshot accounts for, for the refit triggers: every class's offered images counted.
   */
  RefitPolicy.Mark mark() {
    long offered = views.values().stream().mapToLong(TrainingStore.ClassView::trainOffered).sum();
    return new RefitPolicy.Mark(
        offered, base.stream().map(ClassInfo::getName).collect(Collectors.toSet()));
  }

  /**
   * The held-out images of the fitted classes, each class in the frequency bucket of max(images the
   * store accounted for, live count).
   */
  HoldoutEvaluation.Holdout holdout() {
    Map<String, Long> bucketCounts = new HashMap<>();
    views.forEach(
        (name, v) -> bucketCounts.put(name, Math.max(v.seen(), liveCounts.getOrDefault(name, 0L))));
    Set<String> fitted = Set.copyOf(ClassRegistry.names(classes()));
    return HoldoutEvaluation.Holdout.of(views, bucketCounts, fitted, width);
  }

  private static int trainCount(Map<String, TrainingStore.ClassView> views, String name) {
    TrainingStore.ClassView v = views.get(name);
    return v == null ? 0 : v.trainCount();
  }
}
