package ai.candle.cli.demo;

import ai.candle.core.io.FeaturesDataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The demo's stream, in send order, made from a features dataset:
 *
 * <ol>
 *   <li>every base class is announced first, with its text feature;
 *   <li>the base classes' training images follow as labelled events, in a random order (the
 *       dataset's long tail becomes the stream's);
 *   <li>test images are sent unlabelled, scattered through the stream; the label of each arrives
 *       later (a labelled event with the same feature, {@link #LABEL_DELAY} events on), as it would
 *       when people label what the service predicted;
 *   <li>the new classes are announced by name at {@link #ANNOUNCE_AT} of the stream, before any
 *       image of them; their test images (and later labels) come only after that.
 * </ol>
 *
 * @param events the events in order
 * @param classNames the dataset's classes (index = label)
 * @param baseClasses how many classes are announced at the start
 */
public record DemoPlan(List<Event> events, List<String> classNames, int baseClasses, int dim) {

  /** Share of the stream after which the new classes are announced. */
  static final double ANNOUNCE_AT = 0.4;

  /** Events between an unlabelled image and its label. */
  static final int LABEL_DELAY = 300;

  /** What an event is. */
  public enum Kind {
    ANNOUNCE,
    LABELED,
    UNLABELED
  }

  /**
   * One event.
   *
   * @param kind what to send
   * @param id image id (images) or class name (announcements)
   * @param label the class index (for unlabelled images: the label the demo keeps to itself)
   * @param feature the image feature, or the class's text feature for an announcement
   */
  public record Event(Kind kind, String id, int label, float[] feature) {}

  /** Counts per kind. */
  public long count(Kind kind) {
    return events.stream().filter(e -> e.kind() == kind).count();
  }

  /** Builds the plan; the same dataset and seed give the same plan. */
  public static DemoPlan of(FeaturesDataset data, long seed) {
    Random random = new Random(seed);
    int d = data.dim();
    int cb = data.baseClasses();
    List<Event> train = new ArrayList<>();
    for (int i = 0; i < data.trainSize(); i++) {
      train.add(
          new Event(
              Kind.LABELED, "train-" + i, data.trainLabels()[i], row(data.trainFeatures(), i, d)));
    }
    Collections.shuffle(train, random);
    List<Event> baseTests = new ArrayList<>();
    List<Event> newTests = new ArrayList<>();
    for (int i = 0; i < data.testSize(); i++) {
      int label = data.testLabels()[i];
      Event e = new Event(Kind.UNLABELED, "test-" + i, label, row(data.testFeatures(), i, d));
      (label < cb ? baseTests : newTests).add(e);
    }
    Collections.shuffle(baseTests, random);
    Collections.shuffle(newTests, random);

    int total = train.size() + baseTests.size() + newTests.size();
    int announceAt = (int) (total * ANNOUNCE_AT);
    // positions: training images and base tests spread over the whole stream, new tests after the
    // announcement
    List<Slot> slots = new ArrayList<>();
    List<Event> spread = new ArrayList<>(train);
    spread.addAll(baseTests);
    Collections.shuffle(spread, random);
    for (int i = 0; i < spread.size(); i++) {
      slots.add(new Slot((double) i / spread.size() * total, spread.get(i)));
    }
    for (int i = 0; i < newTests.size(); i++) {
      double from = announceAt + 1;
      slots.add(new Slot(from + random.nextDouble() * (total - from), newTests.get(i)));
    }
    slots.sort(Comparator.comparingDouble(Slot::at));

    List<Event> events = new ArrayList<>();
    for (int j = 0; j < cb; j++) {
      events.add(announcement(data, j));
    }
    List<Slot> labels = new ArrayList<>();
    boolean announced = false;
    int position = 0;
    for (Slot s : slots) {
      if (!announced && s.at() >= announceAt) {
        for (int j = cb; j < data.numClasses(); j++) {
          events.add(announcement(data, j));
        }
        announced = true;
      }
      events.add(s.event());
      if (s.event().kind() == Kind.UNLABELED) {
        labels.add(
            new Slot(
                position + LABEL_DELAY,
                new Event(Kind.LABELED, s.event().id(), s.event().label(), s.event().feature())));
      }
      position++;
      while (!labels.isEmpty() && labels.get(0).at() <= position) {
        events.add(labels.remove(0).event());
      }
    }
    if (!announced) {
      for (int j = cb; j < data.numClasses(); j++) {
        events.add(announcement(data, j));
      }
    }
    labels.forEach(s -> events.add(s.event()));
    return new DemoPlan(List.copyOf(events), data.classNames(), cb, d);
  }

  private record Slot(double at, Event event) {}

  private static Event announcement(FeaturesDataset data, int j) {
    return new Event(
        Kind.ANNOUNCE, data.classNames().get(j), j, row(data.textFeatures(), j, data.dim()));
  }

  private static float[] row(float[] a, int i, int d) {
    return Arrays.copyOfRange(a, i * d, (i + 1) * d);
  }
}
