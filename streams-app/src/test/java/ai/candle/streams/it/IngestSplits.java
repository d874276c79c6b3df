package ai.candle.streams.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Which events each client sends, and where the app logs go. */
final class IngestSplits {

  private IngestSplits() {}

  /**
   * What kcat sends: every fifth valid event and every malformed record that is not a LabeledImage
   * at all (random bytes, JSON text, truncated Avro), as a foreign client would.
   */
  static List<IngestDataset.Event> everyFifthValidAndForeignBytes(IngestDataset data) {
    List<IngestDataset.Event> out = new ArrayList<>();
    List<IngestDataset.Event> valid = data.valid();
    for (int i = 0; i < valid.size(); i += 5) {
      out.add(valid.get(i));
    }
    for (IngestDataset.Event e : data.malformed()) {
      if (data.kindOf(e.key()).notTheSchema()) {
        out.add(e);
      }
    }
    return out;
  }

  /** Every event of the dataset not in {@code taken}, valid and malformed interleaved. */
  static List<IngestDataset.Event> rest(IngestDataset data, List<IngestDataset.Event> taken) {
    Set<String> takenKeys = new HashSet<>();
    taken.forEach(e -> takenKeys.add(e.key()));
    List<IngestDataset.Event> valid =
        data.valid().stream().filter(e -> !takenKeys.contains(e.key())).toList();
    List<IngestDataset.Event> bad =
        data.malformed().stream().filter(e -> !takenKeys.contains(e.key())).toList();
    List<IngestDataset.Event> out = new ArrayList<>(valid.size() + bad.size());
    int every = Math.max(1, valid.size() / Math.max(1, bad.size()));
    int b = 0;
    for (int i = 0; i < valid.size(); i++) {
      out.add(valid.get(i));
      if (i % every == 0 && b < bad.size()) {
        out.add(bad.get(b++));
      }
    }
    out.addAll(bad.subList(b, bad.size()));
    return out;
  }

  /**
   * The app's log for a test, under the module's target/ (the working dir of Maven's test plugins);
   * a log of an earlier run is deleted, restarts within the test append to it.
   */
  static Path freshLogFile(String test) throws IOException {
    Path log = Path.of("target", "it-logs", test + ".log").toAbsolutePath();
    Files.deleteIfExists(log);
    return log;
  }
}
