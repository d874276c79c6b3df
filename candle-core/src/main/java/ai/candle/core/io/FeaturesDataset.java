package ai.candle.core.io;

import ai.candle.core.CandleFit;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A features dataset (docs/design.md, "Features datasets"): cached CLIP features of a train and a
 * test split, one text feature per class, and the class names. Classes {@code 0..baseClasses-1} are
 * base classes (they have training images); the rest are new classes, which have test images but no
 * training images.
 *
 * <p>On disk it is a directory with {@code features.npz} ({@code train_features} [N,D] float32,
 * {@code train_labels} [N] int64, {@code test_features} [M,D], {@code test_labels} [M], {@code
 * text_features} [C,D] float32, {@code base_classes} a 0-d scalar) and {@code classes.txt} (UTF-8,
 * one class name per line, line i = label i). {@link #read} also accepts float16/float64 features
 * (converted to float32), labels of any integer dtype, {@code base_classes} as an integer or
 * integral float scalar, stored or compressed archives ({@code numpy.savez} or {@code
 * numpy.savez_compressed}) and Fortran-ordered arrays.
 *
 * <p>Arrays are row-major; the record owns them (it does not copy).
 *
 * @param trainFeatures N×D raw CLIP image features of the training images
 * @param trainLabels N labels, each in {@code 0..baseClasses-1}
 * @param testFeatures M×D raw CLIP image features of the test images
 * @param testLabels M labels, each in {@code 0..C-1}
 * @param textFeatures C×D raw CLIP text features, one per class
 * @param baseClasses the number of base classes Cb
 * @param classNames the C class names, index = label
 */
public record FeaturesDataset(
    float[] trainFeatures,
    int[] trainLabels,
    float[] testFeatures,
    int[] testLabels,
    float[] textFeatures,
    int baseClasses,
    List<String> classNames) {

  public static final String FEATURES_FILE = "features.npz";
  public static final String CLASSES_FILE = "classes.txt";

  private static final String FORMAT_HINT = " (format: docs/design.md, \"Features datasets\")";

  /**
   * @throws IllegalArgumentException if the arrays do not fit together; the message names the array
   *     by its name in {@code features.npz}
   */
  public FeaturesDataset {
    classNames = List.copyOf(classNames);
    int c = classNames.size();
    if (c == 0) {
      throw new IllegalArgumentException("there are no classes");
    }
    if (textFeatures.length == 0 || textFeatures.length % c != 0) {
      throw new IllegalArgumentException(
          "text_features has " + textFeatures.length + " values, not C×D for C=" + c + " classes");
    }
    int d = textFeatures.length / c;
    if (baseClasses < 0 || baseClasses > c) {
      throw new IllegalArgumentException("base_classes = " + baseClasses + " is outside 0.." + c);
    }
    checkRows("train", trainFeatures, trainLabels, d);
    checkRows("test", testFeatures, testLabels, d);
    checkLabels("train_labels", trainLabels, baseClasses, c);
    checkLabels("test_labels", testLabels, c, c);
    checkFinite("train_features", trainFeatures, d);
    checkFinite("test_features", testFeatures, d);
    checkFinite("text_features", textFeatures, d);
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < c; i++) {
      String n = classNames.get(i);
      if (n.isBlank() || n.indexOf('\n') >= 0 || n.indexOf('\r') >= 0) {
        throw new IllegalArgumentException(
            "class name of label " + i + " (line " + (i + 1) + ") is blank or holds a line break");
      }
      Integer before = seen.put(n, i);
      if (before != null) {
        throw new IllegalArgumentException(
            "class name '" + n + "' appears twice (labels " + before + " and " + i + ")");
      }
    }
  }

  private static void checkRows(String split, float[] features, int[] labels, int d) {
    if (features.length % d != 0 || features.length / d != labels.length) {
      throw new IllegalArgumentException(
          split
              + "_features has "
              + features.length
              + " values = "
              + features.length / (double) d
              + " rows of width D="
              + d
              + " (the width of text_features), but "
              + split
              + "_labels has "
              + labels.length
              + " labels");
    }
  }

  private static void checkLabels(String name, int[] labels, int limit, int c) {
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= limit) {
        String why =
            labels[i] >= 0 && labels[i] < c
                ? "it is a new class (base_classes = "
                    + limit
                    + "), and new classes have no training images"
                : "there are " + c + " classes (0.." + (c - 1) + ")";
        throw new IllegalArgumentException(
            name + "[" + i + "] = " + labels[i] + " is out of range: " + why);
      }
    }
  }

  private static void checkFinite(String name, float[] a, int d) {
    for (int i = 0; i < a.length; i++) {
      if (!Float.isFinite(a[i])) {
        throw new IllegalArgumentException(
            name
                + " holds "
                + a[i]
                + " at row "
                + i / d
                + ", column "
                + i % d
                + "; features must be finite");
      }
    }
  }

  /** Feature width D. */
  public int dim() {
    return textFeatures.length / classNames.size();
  }

  /** Number of classes C. */
  public int numClasses() {
    return classNames.size();
  }

  /** Number of new classes (no training images). */
  public int newClasses() {
    return numClasses() - baseClasses;
  }

  public int trainSize() {
    return trainLabels.length;
  }

  public int testSize() {
    return testLabels.length;
  }

  /** Training images per class (length C; zero for new classes). */
  public int[] trainCounts() {
    int[] counts = new int[numClasses()];
    for (int y : trainLabels) {
      counts[y]++;
    }
    return counts;
  }

  // ---------------------------------------------------------------- reading

  /**
   * Reads a dataset directory.
   *
   * @throws FeaturesDatasetException if the directory, a file or an array is missing, or an array
   *     has a wrong dtype, shape or values; the message names the file and what to do
   * @throws IOException if a file exists but cannot be read
   */
  public static FeaturesDataset read(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      throw new FeaturesDatasetException(
          "features dataset directory "
              + dir
              + " does not exist; pass a directory holding "
              + FEATURES_FILE
              + " and "
              + CLASSES_FILE
              + FORMAT_HINT);
    }
    if (!Files.isDirectory(dir)) {
      throw new FeaturesDatasetException(
          dir
              + " is a file, not a features dataset directory; pass the directory that holds "
              + FEATURES_FILE
              + " and "
              + CLASSES_FILE
              + FORMAT_HINT);
    }
    Path npz = dir.resolve(FEATURES_FILE);
    Path txt = dir.resolve(CLASSES_FILE);
    for (Path p : List.of(npz, txt)) {
      if (!Files.isRegularFile(p)) {
        throw new FeaturesDatasetException(
            p
                + " is missing: a features dataset directory holds "
                + FEATURES_FILE
                + " and "
                + CLASSES_FILE
                + "; add it or point at the right directory"
                + FORMAT_HINT);
      }
    }
    List<String> names = readClassNames(txt);
    try (Npz.Reader r = new Npz.Reader(npz)) {
      Npz.Array textArray = features(r, npz, "text_features", -1);
      int c = (int) textArray.shape()[0];
      int d = (int) textArray.shape()[1];
      float[] text = textArray.toFloats();
      if (names.size() != c) {
        throw new FeaturesDatasetException(
            txt
                + " has "
                + names.size()
                + " class names, but text_features in "
                + npz
                + " has "
                + c
                + " rows (one per class); write one name per line, line i = label i");
      }
      float[] train = features(r, npz, "train_features", d).toFloats();
      float[] test = features(r, npz, "test_features", d).toFloats();
      int[] trainLabels = labels(r, npz, "train_labels", train.length / d);
      int[] testLabels = labels(r, npz, "test_labels", test.length / d);
      int base = baseClasses(r, npz);
      try {
        return new FeaturesDataset(train, trainLabels, test, testLabels, text, base, names);
      } catch (IllegalArgumentException e) {
        throw new FeaturesDatasetException(
            npz + ": " + e.getMessage() + "; fix the dataset" + FORMAT_HINT, e);
      }
    } catch (Npz.NpzException e) {
      throw new FeaturesDatasetException(
          npz + ": " + e.getMessage() + "; write it with numpy.savez" + FORMAT_HINT, e);
    }
  }

  private static List<String> readClassNames(Path txt) throws IOException {
    String content;
    try {
      content =
          StandardCharsets.UTF_8
              .newDecoder()
              .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(txt)))
              .toString();
    } catch (CharacterCodingException e) {
      throw new FeaturesDatasetException(
          txt + " is not UTF-8 text; save it as UTF-8, one class name per line", e);
    }
    if (content.startsWith("\uFEFF")) {
      content = content.substring(1);
    }
    List<String> names = new ArrayList<>(Arrays.asList(content.split("\r?\n", -1)));
    if (!names.isEmpty() && names.get(names.size() - 1).isEmpty()) {
      names.remove(names.size() - 1); // the final line break
    }
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).isBlank()) {
        throw new FeaturesDatasetException(
            txt
                + " line "
                + (i + 1)
                + " is empty; every line names the class of that label (line i = label i)");
      }
    }
    if (names.isEmpty()) {
      throw new FeaturesDatasetException(
          txt + " is empty; write one class name per line, line i = label i");
    }
    return names;
  }

  private static Npz.Array array(Npz.Reader r, Path npz, String name)
      throws IOException, Npz.NpzException {
    if (!r.has(name)) {
      throw new FeaturesDatasetException(
          npz + " has no array '" + name + "' (it has " + r.names() + "); add it" + FORMAT_HINT);
    }
    return r.get(name);
  }

  /** The named feature array after checking its dtype and shape ({@code d < 0}: any width). */
  private static Npz.Array features(Npz.Reader r, Path npz, String name, int d)
      throws IOException, Npz.NpzException {
    Npz.Array a = array(r, npz, name);
    if (!a.isFloat()) {
      throw new FeaturesDatasetException(
          npz
              + ": "
              + name
              + " has dtype "
              + a.dtype()
              + "; features must be float32 (float16"
              + " and float64 are converted): save them with .astype(numpy.float32)");
    }
    long[] s = a.shape();
    String rows = name.equals("text_features") ? "C" : "N";
    if (s.length != 2
        || s[1] < 1
        || (name.equals("text_features") && s[0] < 1)
        || (d > 0 && s[1] != d)) {
      throw new FeaturesDatasetException(
          npz
              + ": "
              + name
              + " has shape "
              + a.shapeString()
              + ", expected ["
              + rows
              + ", "
              + (d > 0 ? d + "] (D from text_features)" : "D]")
              + "; save one feature row per "
              + (rows.equals("C") ? "class" : "image"));
    }
    return a;
  }

  private static int[] labels(Npz.Reader r, Path npz, String name, int n)
      throws IOException, Npz.NpzException {
    Npz.Array a = array(r, npz, name);
    if (!a.isInteger()) {
      throw new FeaturesDatasetException(
          npz
              + ": "
              + name
              + " has dtype "
              + a.dtype()
              + "; labels must be integers (int64 or"
              + " int32): save them with .astype(numpy.int64)");
    }
    if (a.shape().length != 1 || a.shape()[0] != n) {
      String features = name.replace("labels", "features");
      throw new FeaturesDatasetException(
          npz
              + ": "
              + name
              + " has shape "
              + a.shapeString()
              + ", expected ["
              + n
              + "] (one label per row of "
              + features
              + ")");
    }
    long[] l = a.toLongs();
    int[] out = new int[l.length];
    for (int i = 0; i < l.length; i++) {
      out[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, l[i]));
    }
    return out;
  }

  private static int baseClasses(Npz.Reader r, Path npz) throws IOException, Npz.NpzException {
    Npz.Array a = array(r, npz, "base_classes");
    if (a.size() != 1 || a.shape().length > 1 || a.kind() == 'b') {
      throw new FeaturesDatasetException(
          npz
              + ": base_classes has shape "
              + a.shapeString()
              + " and dtype "
              + a.dtype()
              + "; it must be a scalar number, e.g. numpy.int64("
              + "50)");
    }
    double v = a.toDoubles()[0];
    if (v != Math.rint(v) || v < 0 || v > Integer.MAX_VALUE) {
      throw new FeaturesDatasetException(
          npz + ": base_classes = " + v + " is not a non-negative whole number of classes");
    }
    return (int) v;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Writes this dataset into {@code dir} (created if needed), replacing {@code features.npz} and
   * {@code classes.txt} there. Features are written as float32, labels and base_classes as int64.
   */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    int d = dim();
    // temporary names in the same directory (so the moves are atomic), created with the
    // default permissions (createTempFile would make them owner-only)
    String unique = "." + java.util.UUID.randomUUID() + ".tmp";
    Path npzTmp = dir.resolve("." + FEATURES_FILE + unique);
    Path txtTmp = dir.resolve("." + CLASSES_FILE + unique);
    try {
      Npz.write(
          npzTmp,
          List.of(
              Npz.Entry.of("train_features", new long[] {trainSize(), d}, trainFeatures),
              Npz.Entry.of("train_labels", new long[] {trainSize()}, toLongs(trainLabels)),
              Npz.Entry.of("test_features", new long[] {testSize(), d}, testFeatures),
              Npz.Entry.of("test_labels", new long[] {testSize()}, toLongs(testLabels)),
              Npz.Entry.of("text_features", new long[] {numClasses(), d}, textFeatures),
              Npz.Entry.of("base_classes", new long[] {}, new long[] {baseClasses})));
      Files.writeString(txtTmp, String.join("\n", classNames) + "\n", StandardCharsets.UTF_8);
      Files.move(
          npzTmp,
          dir.resolve(FEATURES_FILE),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      Files.move(
          txtTmp,
          dir.resolve(CLASSES_FILE),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(npzTmp);
      Files.deleteIfExists(txtTmp);
    }
  }

  private static long[] toLongs(int[] a) {
    long[] out = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }

  // ---------------------------------------------------------------- value semantics

  @Override
  public boolean equals(Object o) {
    return o instanceof FeaturesDataset f
        && baseClasses == f.baseClasses
        && classNames.equals(f.classNames)
        && Arrays.equals(trainFeatures, f.trainFeatures)
        && Arrays.equals(trainLabels, f.trainLabels)
        && Arrays.equals(testFeatures, f.testFeatures)
        && Arrays.equals(testLabels, f.testLabels)
        && Arrays.equals(textFeatures, f.textFeatures);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(trainLabels) + Arrays.hashCode(textFeatures))
        + classNames.hashCode();
  }

  @Override
  public String toString() {
    return "FeaturesDataset[classes="
        + numClasses()
        + " ("
        + baseClasses
        + " base), dim="
        + dim()
        + ", train="
        + trainSize()
        + ", test="
        + testSize()
        + "]";
  }

  /**
   * The training split as a fit's input, its class counts (the training counts, 0 for new classes)
   * the fit's priors.
   *
   * @throws IllegalArgumentException the dataset has no base class, or a base class without
   *     training images
   */
  public CandleFit.TrainingSet trainingSet() {
    int[] counts = trainCounts();
    float[] classCounts = new float[counts.length];
    for (int j = 0; j < counts.length; j++) {
      classCounts[j] = counts[j];
    }
    return new CandleFit.TrainingSet(
        trainFeatures(),
        trainLabels(),
        dim(),
        classNames(),
        baseClasses(),
        textFeatures(),
        classCounts);
  }
}
