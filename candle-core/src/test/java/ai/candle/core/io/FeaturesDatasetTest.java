package ai.candle.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeaturesDatasetTest {

  @TempDir Path tmp;

  /** C=5 classes (3 base), D=8, 7 train and 6 test images. */
  static FeaturesDataset small(long seed) {
    Random r = new Random(seed);
    int d = 8;
    return new FeaturesDataset(
        gauss(r, 7 * d),
        new int[] {0, 1, 2, 0, 1, 2, 2},
        gauss(r, 6 * d),
        new int[] {0, 1, 2, 3, 4, 4},
        gauss(r, 5 * d),
        3,
        List.of("tench", "goldfish", "great white shark", "tiger shark", "hammerhead"));
  }

  private static float[] gauss(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian() * 5;
    }
    return a;
  }

  @Test
  void writeThenReadGivesTheSameDataset() throws IOException {
    FeaturesDataset ds = small(1);
    Path dir = tmp.resolve("nested/ds");
    ds.write(dir);
    FeaturesDataset back = FeaturesDataset.read(dir);
    assertEquals(ds, back);
    assertArrayEquals(ds.trainFeatures(), back.trainFeatures());
    assertArrayEquals(ds.testLabels(), back.testLabels());
    assertEquals(8, back.dim());
    assertEquals(5, back.numClasses());
    assertEquals(2, back.newClasses());
    assertArrayEquals(new int[] {2, 2, 3, 0, 0}, back.trainCounts());
    // overwriting replaces, and leaves no temporary files behind
    FeaturesDataset other = small(2);
    other.write(dir);
    assertEquals(other, FeaturesDataset.read(dir));
    try (var files = Files.list(dir)) {
      assertEquals(
          List.of("classes.txt", "features.npz"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void writtenArchiveIsWhatNumpyAndDjlExpect() throws IOException {
    FeaturesDataset ds = small(3);
    ds.write(tmp);
    try (NDManager m = NDManager.newBaseManager();
        InputStream in = Files.newInputStream(tmp.resolve("features.npz"))) {
      NDList list = NDList.decode(m, in);
      NDArray train = list.get("train_features");
      assertEquals(DataType.FLOAT32, train.getDataType());
      assertEquals(new Shape(7, 8), train.getShape());
      assertArrayEquals(ds.trainFeatures(), train.toFloatArray());
      NDArray labels = list.get("test_labels");
      assertEquals(DataType.INT64, labels.getDataType());
      assertArrayEquals(new long[] {0, 1, 2, 3, 4, 4}, labels.toLongArray());
      NDArray base = list.get("base_classes");
      assertEquals(new Shape(), base.getShape());
      assertEquals(3L, base.getLong());
      assertEquals(new Shape(5, 8), list.get("text_features").getShape());
    }
    assertEquals(
        List.of("tench", "goldfish", "great white shark", "tiger shark", "hammerhead"),
        Files.readAllLines(tmp.resolve("classes.txt")));
  }

  @Test
  void readsWhatNumpyWrites() throws Exception {
    // made by features-numpy/make_fixture.py: savez_compressed, float64 train features,
    // Fortran-ordered test features, float16 text features, int32 labels, float base_classes
    Path dir = Path.of(getClass().getResource("features-numpy/features.npz").toURI()).getParent();
    FeaturesDataset ds = FeaturesDataset.read(dir);
    assertEquals(List.of("café", "naïve_bayes", "dog"), ds.classNames());
    assertEquals(2, ds.baseClasses());
    assertEquals(4, ds.dim());
    float[] train = new float[20];
    float[] test = new float[16];
    float[] text = new float[12];
    for (int i = 0; i < 5; i++) {
      for (int k = 0; k < 4; k++) {
        train[i * 4 + k] = (float) (i + k / 10.0);
        if (i < 4) {
          test[i * 4 + k] = 10 * i + k;
        }
        if (i < 3) {
          text[i * 4 + k] = i - k / 4f;
        }
      }
    }
    assertArrayEquals(train, ds.trainFeatures());
    assertArrayEquals(test, ds.testFeatures());
    assertArrayEquals(text, ds.textFeatures());
    assertArrayEquals(new int[] {0, 1, 0, 1, 1}, ds.trainLabels());
    assertArrayEquals(new int[] {0, 1, 2, 2}, ds.testLabels());
  }

  @Test
  void readsTheArraysDjlWrites() throws IOException {
    // DJL's own encoder: float64 features, int32 labels, a 0-d int32 base_classes
    Path dir = tmp.resolve("djl");
    Files.createDirectories(dir);
    try (NDManager m = NDManager.newBaseManager();
        OutputStream out = Files.newOutputStream(dir.resolve("features.npz"))) {
      NDList list =
          new NDList(
              named(m.create(new double[] {1, 2, 3, 4, 5, 6}, new Shape(3, 2)), "train_features"),
              named(m.create(new int[] {0, 1, 1}), "train_labels"),
              named(m.create(new double[] {7, 8}, new Shape(1, 2)), "test_features"),
              named(m.create(new int[] {2}), "test_labels"),
              named(m.create(new float[] {1, 0, 0, 1, 1, 1}, new Shape(3, 2)), "text_features"),
              named(m.create(2), "base_classes"));
      list.encode(out, NDList.Encoding.NPZ);
    }
    Files.writeString(dir.resolve("classes.txt"), "a\nb\nc");
    FeaturesDataset ds = FeaturesDataset.read(dir);
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, ds.trainFeatures());
    assertArrayEquals(new int[] {2}, ds.testLabels());
    assertEquals(2, ds.baseClasses());
    assertEquals(List.of("a", "b", "c"), ds.classNames());
  }

  private static NDArray named(NDArray a, String name) {
    a.setName(name);
    return a;
  }

  // ---------------------------------------------------------------- errors

  private FeaturesDatasetException readFails(Path dir, String... expected) {
    var e = assertThrows(FeaturesDatasetException.class, () -> FeaturesDataset.read(dir));
    for (String s : expected) {
      assertTrue(e.getMessage().contains(s), "'" + s + "' not in: " + e.getMessage());
    }
    return e;
  }

  /** Writes {@link #small} with one array of features.npz replaced (or removed, when null). */
  private Path withArray(String name, Npz.Entry replacement) throws IOException {
    Path dir = Files.createTempDirectory(tmp, name);
    FeaturesDataset ds = small(4);
    ds.write(dir);
    List<Npz.Entry> entries =
        new ArrayList<>(
            List.of(
                Npz.Entry.of("train_features", new long[] {7, 8}, ds.trainFeatures()),
                Npz.Entry.of("train_labels", new long[] {7}, longs(ds.trainLabels())),
                Npz.Entry.of("test_features", new long[] {6, 8}, ds.testFeatures()),
                Npz.Entry.of("test_labels", new long[] {6}, longs(ds.testLabels())),
                Npz.Entry.of("text_features", new long[] {5, 8}, ds.textFeatures()),
                Npz.Entry.of("base_classes", new long[] {}, new long[] {3})));
    entries.removeIf(e -> e.name().equals(name));
    if (replacement != null) {
      entries.add(replacement);
    }
    Npz.write(dir.resolve("features.npz"), entries);
    return dir;
  }

  private static long[] longs(int[] a) {
    return IntStream.of(a).asLongStream().toArray();
  }

  private static float[] filled(int n, UnaryOperator<float[]> edit) {
    return edit.apply(new float[n]);
  }

  @Test
  void missingDirectoryOrFilesAreNamed() throws IOException {
    Path missing = tmp.resolve("nope");
    readFails(missing, missing.toString(), "does not exist", "features.npz", "classes.txt");
    Path file = Files.writeString(tmp.resolve("file"), "x");
    readFails(file, "is a file, not a features dataset directory");

    Path dir = tmp.resolve("ds");
    small(5).write(dir);
    Files.delete(dir.resolve("classes.txt"));
    readFails(dir, dir.resolve("classes.txt").toString(), "is missing");
    small(5).write(dir);
    Files.delete(dir.resolve("features.npz"));
    readFails(dir, dir.resolve("features.npz").toString(), "is missing");
  }

  @Test
  void notAnArchiveIsNamed() throws IOException {
    Path dir = tmp.resolve("ds");
    small(5).write(dir);
    Files.writeString(
        dir.resolve("features.npz"), "these are not the features you are looking for");
    readFails(dir, "features.npz", "not a valid .npz");
  }

  @Test
  void missingArrayIsNamed() throws IOException {
    for (String name :
        List.of(
            "train_features",
            "train_labels",
            "test_features",
            "test_labels",
            "text_features",
            "base_classes")) {
      readFails(withArray(name, null), "features.npz has no array '" + name + "'", "it has [");
    }
  }

  @Test
  void wrongDtypeIsNamed() throws IOException {
    readFails(
        withArray("train_labels", Npz.Entry.of("train_labels", new long[] {7}, new float[7])),
        "train_labels has dtype float32",
        "labels must be integers");
    readFails(
        withArray("text_features", Npz.Entry.of("text_features", new long[] {5, 8}, new long[40])),
        "text_features has dtype int64",
        "float32");
  }

  @Test
  void wrongShapeIsNamed() throws IOException {
    readFails(
        withArray("train_features", Npz.Entry.of("train_features", new long[] {56}, new float[56])),
        "train_features has shape [56], expected [N, 8]");
    readFails(
        withArray("test_features", Npz.Entry.of("test_features", new long[] {6, 4}, new float[24])),
        "test_features has shape [6, 4], expected [N, 8] (D from text_features)");
    readFails(
        withArray("test_labels", Npz.Entry.of("test_labels", new long[] {5}, new long[5])),
        "test_labels has shape [5], expected [6] (one label per row of test_features)");
    readFails(
        withArray("base_classes", Npz.Entry.of("base_classes", new long[] {2}, new long[] {3, 3})),
        "base_classes has shape [2]",
        "scalar");
    readFails(
        withArray("base_classes", Npz.Entry.of("base_classes", new long[] {}, new float[] {2.5f})),
        "base_classes = 2.5 is not a non-negative whole number");
  }

  @Test
  void acceptsFloatBaseClassesAndLongLabels() throws IOException {
    FeaturesDataset ds =
        FeaturesDataset.read(
            withArray(
                "base_classes", Npz.Entry.of("base_classes", new long[] {}, new float[] {3f})));
    assertEquals(3, ds.baseClasses());
  }

  @Test
  void labelsOutOfRangeAreNamed() throws IOException {
    readFails(
        withArray(
            "test_labels",
            Npz.Entry.of("test_labels", new long[] {6}, new long[] {0, 1, 2, 3, 4, 5})),
        "features.npz",
        "test_labels[5] = 5 is out of range: there are 5 classes (0..4)");
    readFails(
        withArray(
            "test_labels",
            Npz.Entry.of("test_labels", new long[] {6}, new long[] {0, -1, 2, 3, 4, 4})),
        "test_labels[1] = -1 is out of range");
    readFails(
        withArray(
            "train_labels",
            Npz.Entry.of("train_labels", new long[] {7}, new long[] {0, 1, 2, 3, 0, 0, 0})),
        "train_labels[3] = 3 is out of range: it is a new class (base_classes = 3)");
    readFails(
        withArray(
            "train_labels",
            Npz.Entry.of("train_labels", new long[] {7}, new long[] {0, 1, 2, 1L << 40, 0, 0, 0})),
        "train_labels[3]",
        "out of range");
  }

  @Test
  void classNameCountMustMatchTextFeatures() throws IOException {
    Path dir = tmp.resolve("ds");
    small(6).write(dir);
    Files.writeString(
        dir.resolve("classes.txt"), "tench\ngoldfish\ngreat white shark\ntiger shark\n");
    readFails(
        dir, dir.resolve("classes.txt").toString(), "has 4 class names", "text_features", "5 rows");
    Files.writeString(dir.resolve("classes.txt"), "tench\ngoldfish\n\ntiger shark\nhammerhead\n");
    readFails(dir, "classes.txt line 3 is empty");
    Files.writeString(
        dir.resolve("classes.txt"), "tench\ngoldfish\ntench\ntiger shark\nhammerhead\n");
    readFails(dir, "class name 'tench' appears twice (labels 0 and 2)");
    Files.write(dir.resolve("classes.txt"), new byte[] {(byte) 0xff, (byte) 0xfe, 'a'});
    readFails(dir, "is not UTF-8");
  }

  @Test
  void nonFiniteValuesAreNamed() throws IOException {
    readFails(
        withArray(
            "test_features",
            Npz.Entry.of(
                "test_features",
                new long[] {6, 8},
                filled(
                    48,
                    a -> {
                      a[8 * 2 + 5] = Float.NaN;
                      return a;
                    }))),
        "test_features holds NaN at row 2, column 5");
    readFails(
        withArray(
            "text_features",
            Npz.Entry.of(
                "text_features",
                new long[] {5, 8},
                filled(
                    40,
                    a -> {
                      a[39] = Float.NEGATIVE_INFINITY;
                      return a;
                    }))),
        "text_features holds -Infinity at row 4, column 7");
  }

  @Test
  void constructorRejectsInconsistentArrays() {
    List<String> names = List.of("a", "b");
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new FeaturesDataset(
                new float[6], new int[] {0, 1}, new float[0], new int[0], new float[4], 2, names));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new FeaturesDataset(
                new float[4], new int[] {0, 1}, new float[0], new int[0], new float[4], 3, names));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new FeaturesDataset(
                new float[4],
                new int[] {0, 1},
                new float[0],
                new int[0],
                new float[4],
                2,
                List.of("a", "a\nb")));
    var ok =
        new FeaturesDataset(
            new float[4], new int[] {0, 1}, new float[0], new int[0], new float[4], 2, names);
    assertEquals(2, ok.dim());
    assertEquals(0, ok.testSize());
  }
}
