package ai.candle.trainer;

import ai.candle.schemas.ClassInfo;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The class registry as the trainer reads it from {@code candle.classes}. Only a class with a text
 * feature of the store's width can be scored or fitted: the others (announced, text not encoded
 * yet) wait. Thread-safe: the consumer writes, the workers read.
 */
final class ClassRegistry {
  private final int width;
  private final Map<String, ClassInfo> classes = new ConcurrentHashMap<>();

  ClassRegistry(int width) {
    this.width = width;
  }

  /** Applies a record of the registry topic; a null value (tombstone) removes the class. */
  void apply(String name, ClassInfo info) {
    if (info == null) {
      classes.remove(name);
    } else {
      classes.put(info.getName(), info);
    }
  }

  int size() {
    return classes.size();
  }

  /** Every registered class, with a text feature or not. */
  Collection<ClassInfo> all() {
    return classes.values();
  }

  /** A registered class, or null. */
  ClassInfo get(String name) {
    return classes.get(name);
  }

  /** Names of the classes registered with a text feature of the width. */
  Set<String> namesWithText() {
    return classes.values().stream()
        .filter(c -> hasText(c, width))
        .map(ClassInfo::getName)
        .collect(Collectors.toSet());
  }

  /**
   * Classes registered with a text feature of the width that are not in {@code present}, by index.
   */
  List<ClassInfo> withTextExcept(Set<String> present) {
    return withText(classes.values(), width).stream()
        .filter(c -> !present.contains(c.getName()))
        .toList();
  }

  /** Whether a class has a text feature of this width. */
  static boolean hasText(ClassInfo info, int width) {
    return info.getTextFeature() != null && info.getTextFeature().size() == width;
  }

  /** The classes with a text feature of this width, by index. */
  static List<ClassInfo> withText(Collection<ClassInfo> classes, int width) {
    return classes.stream()
        .filter(c -> hasText(c, width))
        .sorted(Comparator.comparingInt(ClassInfo::getIndex))
        .toList();
  }

  /** The classes' names, in order. */
  static List<String> names(List<ClassInfo> classes) {
    return classes.stream().map(ClassInfo::getName).toList();
  }

  /** The classes' text features as one row-major C×width array, in order. */
  static float[] textOf(List<ClassInfo> classes, int width) {
    float[] out = new float[classes.size() * width];
    for (int i = 0; i < classes.size(); i++) {
      List<Float> text = classes.get(i).getTextFeature();
      for (int k = 0; k < width; k++) {
        out[i * width + k] = text.get(k);
      }
    }
    return out;
  }
}
