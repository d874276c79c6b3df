package ai.candle.cli.ops;

import java.util.List;

/** What {@code candle send} sends, with the columns (CSV) or keys (JSON lines) each takes. */
enum SendKind {
  /** Labelled images: an image file, a URI or a precomputed feature, with a label. */
  LABELED("labeled", List.of("id", "label", "image", "uri", "feature", "source")),
  /** Unlabelled images to score. */
  UNLABELED("unlabeled", List.of("id", "image", "uri", "feature")),
  /** Class announcements. */
  CLASSES("classes", List.of("name", "prompt", "template", "aliases", "feature"));

  private final String word;
  private final List<String> columns;

  SendKind(String word, List<String> columns) {
    this.word = word;
    this.columns = columns;
  }

  /** The word on the command line. */
  String word() {
    return word;
  }

  /** The columns (CSV header) or keys (JSON lines) it accepts. */
  List<String> columns() {
    return columns;
  }

  /** The kind named on the command line. */
  static SendKind of(String word) {
    for (SendKind k : values()) {
      if (k.word.equals(word)) {
        return k;
      }
    }
    return null;
  }
}
