package ai.candle.streams.scoring;

/** A class's live count of valid labelled images, as this process knows it. */
@FunctionalInterface
public interface ClassCounts {

  /** The count of {@code className}; 0 for a class with no image (or not seen yet). */
  long count(String className);
}
