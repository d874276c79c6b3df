package ai.candle.trainer;

import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.HyperParameters;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ModelVersions.ClassBook;
import ai.candle.schemas.ModelVersions.Origin;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A version about to be published: its model, how it came about, each class's book and the metrics
 * it records. A class added without images (a virtual prototype from its text feature) gets an
 * empty book. A fit is published as the gate evaluated it; classes registered while it ran follow
 * in an {@code EXTEND} of it ({@link #extension}), which scores them as zero-shot CLIP and the
 * fitted classes exactly as the fit does.
 */
record VersionDraft(
    CandleModel model, Origin origin, Map<String, ClassBook> books, Map<String, Double> metrics) {

  VersionDraft {
    books = Collections.unmodifiableMap(new LinkedHashMap<>(books));
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /** The first version, before any fit: every class a virtual prototype ({@code INITIAL}). */
  static VersionDraft initial(List<ClassInfo> classes, int width, HyperParameters hyper) {
    CandleModel model =
        CandleFit.untrained(
            ClassRegistry.names(classes), width, ClassRegistry.textOf(classes, width), hyper);
    return new VersionDraft(model, Origin.INITIAL, withEmptyBooks(Map.of(), classes), Map.of());
  }

  /**
   * The serving version with classes appended as virtual prototypes ({@code EXTEND}): its books and
   * metrics carry over.
   */
  static VersionDraft extending(ServingVersion serving, List<ClassInfo> added, int width) {
    return new VersionDraft(serving.model(), Origin.EXTEND, serving.books(), serving.metrics())
        .extension(added, width);
  }

  /**
   * The {@code EXTEND} that follows this draft: its model with classes appended as virtual
   * prototypes, its books and metrics carried over.
   *
   * @throws IllegalArgumentException when no class is added, or one is in the model already
   */
  VersionDraft extension(List<ClassInfo> added, int width) {
    if (added.isEmpty()) {
      throw new IllegalArgumentException("an extend needs a class to add");
    }
    CandleModel extended =
        CandleFit.extend(model, ClassRegistry.names(added), ClassRegistry.textOf(added, width));
    return new VersionDraft(extended, Origin.EXTEND, withEmptyBooks(books, added), metrics);
  }

  private static Map<String, ClassBook> withEmptyBooks(
      Map<String, ClassBook> books, List<ClassInfo> added) {
    Map<String, ClassBook> out = new LinkedHashMap<>(books);
    for (ClassInfo c : added) {
      out.putIfAbsent(c.getName(), new ClassBook(c.getIndex(), 0, 0));
    }
    return out;
  }
}
