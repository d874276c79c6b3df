package ai.candle.cli.ops;

import ai.candle.core.io.FeaturesDataset;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Turns {@code candle send}'s input into checked {@link SendEvent}s: rows of a CSV or JSON-lines
 * file, the image files of a directory, or a features dataset. Every rule the streams app applies
 * with its default limits is checked here first, so that a mistake is reported before anything is
 * sent, with where it is; what the app's own settings change (a narrower {@code feature.width}, a
 * smaller {@code record.max.bytes}) is given as options.
 */
final class SendInputs {
  /** The streams app's default limits (docs/settings.md). */
  static final int MAX_ID = 512;

  static final int MAX_LABEL = 200;
  static final int MAX_PROMPT = 1000;

  /** Image files by extension, and the first bytes each kind starts with. */
  static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "gif", "bmp", "webp");

  /** Room for an image record's other fields beside the image's bytes. */
  static final int RECORD_OVERHEAD = 256;

  /**
   * @param featureWidth the width every feature must have; null: whatever the first one has
   * @param maxRecordBytes the largest image record (key plus value) the streams app takes
   * @param source the labelled images' source field, unless a row names its own
   */
  record Limits(Integer featureWidth, int maxRecordBytes, String source) {}

  private final SendKind kind;
  private final Limits limits;
  private final Problems problems = new Problems();
  private Integer width;

  SendInputs(SendKind kind, Limits limits) {
    this.kind = kind;
    this.limits = limits;
    this.width = limits.featureWidth();
  }

  Problems problems() {
    return problems;
  }

  /** The events of CSV or JSON-lines rows; image paths relative to {@code base}. */
  List<SendEvent> fromRows(List<InputRows.Row> rows, Path base) {
    List<SendEvent> events = new ArrayList<>();
    for (InputRows.Row row : rows) {
      SendEvent e = kind == SendKind.CLASSES ? announcement(row) : image(row, base);
      if (e != null) {
        events.add(e);
      }
    }
    return events;
  }

  /**
   * The events of a directory: labelled images in one folder per class ({@code DIR/<class>/<file>},
   * id {@code <class>/<file>}), unlabelled images anywhere under it (id: the path under it), or for
   * classes, one announcement per folder (its name).
   */
  List<SendEvent> fromDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      problems.add(dir.toString(), Files.exists(dir) ? "is not a directory" : "does not exist");
      return List.of();
    }
    List<SendEvent> events = new ArrayList<>();
    for (Path entry : visible(dir)) {
      if (kind == SendKind.CLASSES || kind == SendKind.LABELED) {
        if (!Files.isDirectory(entry)) {
          problems.add(
              entry.toString(),
              "is a file directly in "
                  + dir
                  + "; "
                  + (kind == SendKind.CLASSES
                      ? "announcing from a directory takes its folders' names"
                      : "labelled images go in a folder named after "
                          + "their class (DIR/<class>/<image>)"));
          continue;
        }
        String label = entry.getFileName().toString();
        if (kind == SendKind.CLASSES) {
          add(events, announcement(entry.toString(), label, null, null, List.of(), null));
          continue;
        }
        for (Path file : files(entry)) {
          add(events, imageFile(file, dir.relativize(file).toString().replace('\\', '/'), label));
        }
      } else {
        for (Path file : files(dir)) {
          add(events, imageFile(file, dir.relativize(file).toString().replace('\\', '/'), null));
        }
      }
    }
    if (events.isEmpty() && !problems.any()) {
      problems.add(
          dir.toString(),
          "holds nothing to send"
              + (kind == SendKind.UNLABELED
                  ? " (no image files)"
                  : kind == SendKind.LABELED
                      ? " (no class folders with image files)"
                      : " (no folders)"));
    }
    return events;
  }

  /**
   * The events of a features dataset: its classes with their text features, its training split as
   * labelled images ({@code train-<i>}) or its test split as unlabelled ones ({@code test-<i>}).
   */
  List<SendEvent> fromDataset(FeaturesDataset data, String name) {
    int d = data.dim();
    List<SendEvent> events = new ArrayList<>();
    if (kind == SendKind.CLASSES) {
      for (int j = 0; j < data.numClasses(); j++) {
        add(
            events,
            announcement(
                name + " class " + j,
                data.classNames().get(j),
                null,
                null,
                List.of(),
                Arrays.copyOfRange(data.textFeatures(), j * d, (j + 1) * d)));
      }
    } else if (kind == SendKind.LABELED) {
      for (int i = 0; i < data.trainSize(); i++) {
        add(
            events,
            image(
                name + " train " + i,
                "train-" + i,
                data.classNames().get(data.trainLabels()[i]),
                null,
                Arrays.copyOfRange(data.trainFeatures(), i * d, (i + 1) * d),
                limits.source()));
      }
    } else {
      for (int i = 0; i < data.testSize(); i++) {
        add(
            events,
            image(
                name + " test " + i,
                "test-" + i,
                null,
                null,
                Arrays.copyOfRange(data.testFeatures(), i * d, (i + 1) * d),
                null));
      }
    }
    return events;
  }

  private static void add(List<SendEvent> events, SendEvent e) {
    if (e != null) {
      events.add(e);
    }
  }

  private SendEvent image(InputRows.Row row, Path base) {
    String where = row.where();
    String image = text(row, "image");
    String uri = text(row, "uri");
    boolean hasFeature = row.values().containsKey("feature");
    float[] feature = feature(row);
    int sources = (image != null ? 1 : 0) + (uri != null ? 1 : 0) + (hasFeature ? 1 : 0);
    if (sources != 1) {
      problems.add(
          where,
          "needs exactly one of image (a file), uri, feature; it has "
              + (sources == 0 ? "none" : sources));
      return null;
    }
    if (hasFeature && feature == null) {
      return null; // the feature's own problem is reported
    }
    String id = text(row, "id");
    String label = kind == SendKind.LABELED ? required(row, "label") : null;
    if (kind == SendKind.LABELED && label == null) {
      return null;
    }
    String source =
        kind == SendKind.LABELED && text(row, "source") != null
            ? text(row, "source")
            : limits.source();
    if (image != null) {
      Path file = base.resolve(image);
      return imageFile(file, id != null ? id : image, label, where, source);
    }
    if (id == null) {
      if (uri == null) {
        problems.add(
            where, "needs an id (an image given by its feature has no name to take one from)");
        return null;
      }
      id = uri;
    }
    if (uri != null && !validUri(uri, where)) {
      return null;
    }
    return image(where, id, label, uri, feature, source);
  }

  private SendEvent imageFile(Path file, String id, String label) {
    return imageFile(file, id, label, file.toString(), limits.source());
  }

  private SendEvent imageFile(Path file, String id, String label, String where, String source) {
    String problem = imageProblem(file);
    if (problem != null) {
      problems.add(where, problem);
      return null;
    }
    if (!checkText(where, "id", id, MAX_ID)
        || (label != null && !checkText(where, "label", label, MAX_LABEL))) {
      return null;
    }
    long bytes = size(file);
    long record = bytes + RECORD_OVERHEAD + id.length() + (label == null ? 0 : label.length());
    if (record > limits.maxRecordBytes()) {
      problems.add(
          where,
          "the image "
              + file
              + " is "
              + bytes
              + " bytes: with its id and label the record is over "
              + limits.maxRecordBytes()
              + " bytes, which the streams app dead-letters as too_large (record.max.bytes; "
              + "--max-record-bytes if yours is larger)");
      return null;
    }
    return new SendEvent.Image(
        where, id, label, file, bytes, null, null, label == null ? null : source);
  }

  private SendEvent image(
      String where, String id, String label, String uri, float[] feature, String source) {
    if (!checkText(where, "id", id, MAX_ID)
        || (label != null && !checkText(where, "label", label, MAX_LABEL))
        || (feature != null && !checkFeature(where, feature))) {
      return null;
    }
    return new SendEvent.Image(where, id, label, null, 0, uri, feature, source);
  }

  private SendEvent announcement(InputRows.Row row) {
    String name = required(row, "name");
    float[] feature = feature(row);
    if (name == null || (feature == null && row.values().containsKey("feature"))) {
      return null;
    }
    return announcement(
        row.where(), name, text(row, "prompt"), text(row, "template"), aliases(row), feature);
  }

  private SendEvent announcement(
      String where,
      String name,
      String prompt,
      String template,
      List<String> aliases,
      float[] feature) {
    if (aliases == null || !checkText(where, "name", name, MAX_LABEL)) {
      return null;
    }
    for (String alias : aliases) {
      if (!checkText(where, "alias", alias, MAX_LABEL)) {
        return null;
      }
    }
    if ((prompt != null && !checkText(where, "prompt", prompt, MAX_PROMPT))
        || (template != null && !checkText(where, "template", template, MAX_PROMPT))
        || (feature != null && !checkFeature(where, feature))) {
      return null;
    }
    if (template != null && !template.contains("{}")) {
      problems.add(where, "the template '" + template + "' has no {} where the class name goes");
      return null;
    }
    return new SendEvent.Announcement(where, name, prompt, template, aliases, feature);
  }

  /**
   * The streams app's rule for ids, names and prompts: not empty, not too long, no control
   * characters.
   */
  private boolean checkText(String where, String what, String value, int max) {
    String problem = null;
    if (value.isBlank()) {
      problem = what + " is empty";
    } else if (value.codePointCount(0, value.length()) > max) {
      problem =
          what
              + " is "
              + value.codePointCount(0, value.length())
              + " characters long, over the "
              + max
              + " the streams app takes";
    } else {
      for (int i = 0; i < value.length() && problem == null; i++) {
        if (Character.isISOControl(value.charAt(i))) {
          problem =
              String.format(
                  Locale.ROOT,
                  "%s contains the control character U+%04X",
                  what,
                  (int) value.charAt(i));
        }
      }
    }
    if (problem != null) {
      problems.add(where, problem);
    }
    return problem == null;
  }

  private boolean checkFeature(String where, float[] feature) {
    if (width == null) {
      width = feature.length;
    }
    if (feature.length != width) {
      problems.add(
          where,
          "the feature has "
              + feature.length
              + " values, expected "
              + width
              + (limits.featureWidth() != null
                  ? " (--feature-width)"
                  : " like the first one of the input"));
      return false;
    }
    return true;
  }

  private boolean validUri(String uri, String where) {
    try {
      if (new URI(uri).getScheme() != null) {
        return true;
      }
      problems.add(where, "the uri '" + uri + "' has no scheme (e.g. https:, file:)");
    } catch (URISyntaxException e) {
      problems.add(where, "the uri '" + uri + "' is not a URI: " + e.getReason());
    }
    return false;
  }

  private static String text(InputRows.Row row, String key) {
    Object v = row.values().get(key);
    return v instanceof String s && !s.isEmpty() ? s : null;
  }

  private String required(InputRows.Row row, String key) {
    Object v = row.values().get(key);
    if (v == null || (v instanceof String s && s.isEmpty())) {
      problems.add(row.where(), "has no " + key);
      return null;
    }
    if (!(v instanceof String s)) {
      problems.add(row.where(), key + " must be text");
      return null;
    }
    return s;
  }

  /**
   * The feature of a row: space-, comma- or semicolon-separated numbers, or a JSON array; null if
   * none or bad.
   */
  private float[] feature(InputRows.Row row) {
    Object v = row.values().get("feature");
    if (v == null) {
      return null;
    }
    List<?> values =
        v instanceof String s ? Arrays.asList(s.trim().split("[\\s,;]+")) : (List<?>) v;
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      Object x = values.get(i);
      try {
        out[i] = x instanceof Double dbl ? dbl.floatValue() : Float.parseFloat(x.toString());
      } catch (NumberFormatException e) {
        problems.add(
            row.where(),
            "feature value "
                + (i + 1)
                + " ('"
                + Text.cut(String.valueOf(x), 20)
                + "') is not a number");
        return null;
      }
      if (!Float.isFinite(out[i])) {
        problems.add(
            row.where(),
            "feature value " + (i + 1) + " is " + out[i] + "; every value must be finite");
        return null;
      }
    }
    return out;
  }

  private List<String> aliases(InputRows.Row row) {
    Object v = row.values().get("aliases");
    if (v == null) {
      return List.of();
    }
    if (v instanceof String s) {
      return Arrays.stream(s.split("\\|")).map(String::trim).filter(a -> !a.isEmpty()).toList();
    }
    List<String> out = new ArrayList<>();
    for (Object a : (List<?>) v) {
      if (!(a instanceof String s)) {
        problems.add(row.where(), "aliases must be texts");
        return null;
      }
      out.add(s);
    }
    return out;
  }

  /**
   * What is wrong with an image file, or null: it must be a readable PNG, JPEG, GIF, BMP or WebP.
   */
  static String imageProblem(Path file) {
    if (!Files.isRegularFile(file)) {
      return Files.exists(file) ? file + " is not a file" : "the image " + file + " does not exist";
    }
    byte[] head = new byte[12];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      return "cannot read the image " + file + ": " + e.getMessage();
    }
    if (n == 0) {
      return "the image " + file + " is empty";
    }
    if (!isImage(head, n)) {
      return file + " is not a PNG, JPEG, GIF, BMP or WebP image (its first bytes say so)";
    }
    return null;
  }

  private static boolean isImage(byte[] h, int n) {
    boolean png = n >= 4 && (h[0] & 0xff) == 0x89 && h[1] == 'P' && h[2] == 'N' && h[3] == 'G';
    boolean jpeg =
        n >= 3 && (h[0] & 0xff) == 0xff && (h[1] & 0xff) == 0xd8 && (h[2] & 0xff) == 0xff;
    boolean gif = n >= 4 && h[0] == 'G' && h[1] == 'I' && h[2] == 'F' && h[3] == '8';
    boolean bmp = n >= 2 && h[0] == 'B' && h[1] == 'M';
    boolean webp =
        n >= 12
            && h[0] == 'R'
            && h[1] == 'I'
            && h[2] == 'F'
            && h[3] == 'F'
            && h[8] == 'W'
            && h[9] == 'E'
            && h[10] == 'B'
            && h[11] == 'P';
    return png || jpeg || gif || bmp || webp;
  }

  /** The non-hidden entries of a directory, by name. */
  private static List<Path> visible(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    }
  }

  /** The non-hidden files under a directory, by path; a file that is not an image is a problem. */
  private List<Path> files(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        if (hidden(dir.relativize(p))) {
          continue;
        }
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        String ext = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1) : "";
        if (!IMAGE_EXTENSIONS.contains(ext)) {
          problems.add(
              p.toString(),
              "is not an image file ("
                  + String.join(", ", IMAGE_EXTENSIONS.stream().sorted().toList())
                  + "); move it out of the directory, or list the images in a CSV");
          continue;
        }
        out.add(p);
      }
    }
    return out;
  }

  private static boolean hidden(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }
}
