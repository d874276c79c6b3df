package ai.candle.cli.soak;

import ai.candle.cli.demo.EventSender;
import ai.candle.core.io.FeaturesDataset;
import java.util.Arrays;
import java.util.Random;

/**
 * A steady mixed load drawn from a features dataset (the "universe" of classes), paced at a fixed
 * rate: the first {@code initialClasses} classes are announced at the start, one more every {@code
 * announceEverySeconds} (until the universe is exhausted), and each event is an unlabelled image
 * with probability {@code unlabeledShare}, else a labelled one, drawn uniformly from the training
 * (labelled) or test (unlabelled) images of the classes announced so far, so the dataset's long
 * tail is the stream's. Every image gets a new id; labelled images keep the trainer refitting and
 * publishing versions.
 *
 * @param eventsPerSecond images per second
 * @param unlabeledShare share of the images sent unlabelled
 * @param announceEverySeconds seconds between two class announcements after the first ones
 * @param initialClasses classes announced at the start
 * @param seed seed of the draws
 */
record SoakLoad(
    double eventsPerSecond,
    double unlabeledShare,
    double announceEverySeconds,
    int initialClasses,
    long seed) {

  /** The load running against a sender; single-threaded. */
  static final class Running {
    private final SoakLoad load;
    private final FeaturesDataset universe;
    private final EventSender sender;
    private final Random random;
    private final RowsByClass train;
    private final RowsByClass test;
    private int announced;
    private long images;
    private long sent;

    Running(SoakLoad load, FeaturesDataset universe, EventSender sender) {
      this.load = load;
      this.universe = universe;
      this.sender = sender;
      this.random = new Random(load.seed());
      this.train = RowsByClass.of(universe.trainLabels(), universe.numClasses());
      this.test = RowsByClass.of(universe.testLabels(), universe.numClasses());
    }

    /** Sends every announcement and image due {@code elapsedSeconds} after the start. */
    void sendDue(double elapsedSeconds) {
      int classesDue =
          Math.min(
              universe.numClasses(),
              load.initialClasses()
                  + (int) Math.floor(elapsedSeconds / load.announceEverySeconds()));
      while (announced < classesDue) {
        sender.announce(
            universe.classNames().get(announced), row(universe.textFeatures(), announced));
        announced++;
        sent++;
      }
      long imagesDue = (long) Math.floor(elapsedSeconds * load.eventsPerSecond());
      while (images < imagesDue) {
        String id = "soak-" + images;
        if (random.nextDouble() < load.unlabeledShare() && test.rowsBelow(announced) > 0) {
          int r = test.draw(random, announced);
          sender.unlabeled(id, row(universe.testFeatures(), r));
        } else {
          int r = train.draw(random, announced);
          sender.labeled(
              id,
              universe.classNames().get(universe.trainLabels()[r]),
              row(universe.trainFeatures(), r),
              "candle-soak");
        }
        images++;
        sent++;
      }
    }

    /** Seconds after the start at which the next image is due. */
    double nextImageDueSeconds() {
      return (images + 1) / load.eventsPerSecond();
    }

    /** Events sent so far, announcements included. */
    long sent() {
      return sent;
    }

    int announcedClasses() {
      return announced;
    }

    void flush() {
      sender.flush();
    }

    private float[] row(float[] a, int i) {
      int d = universe.dim();
      return Arrays.copyOfRange(a, i * d, (i + 1) * d);
    }
  }

  /** Row indices ordered by class, so the rows of classes 0..k-1 are a prefix. */
  private record RowsByClass(int[] rows, int[] endOfClass) {
    static RowsByClass of(int[] labels, int classes) {
      Integer[] order = new Integer[labels.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Integer.compare(labels[a], labels[b]));
      int[] end = new int[classes + 1];
      for (int label : labels) {
        end[label + 1]++;
      }
      for (int c = 0; c < classes; c++) {
        end[c + 1] += end[c];
      }
      return new RowsByClass(Arrays.stream(order).mapToInt(Integer::intValue).toArray(), end);
    }

    int rowsBelow(int classes) {
      return endOfClass[classes];
    }

    int draw(Random random, int classes) {
      return rows[random.nextInt(rowsBelow(classes))];
    }
  }
}
