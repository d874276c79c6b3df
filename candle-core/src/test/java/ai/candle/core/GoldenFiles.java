package ai.candle.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The authors' golden vectors from {@code ../shared/reference/candle-golden} (system property
 * {@code candle.shared}, set by the build), read into plain Java arrays.
 */
final class GoldenFiles {
  static final List<String> STEPS = List.of("step_tiny", "step_identity", "step_clip512");

  private GoldenFiles() {}

  static Path dir() {
    String shared = System.getProperty("candle.shared", "../shared");
    return Path.of(shared, "reference", "candle-golden");
  }

  /** One golden file: every array by name, as float (int64 arrays keep their values). */
  static Golden load(String name) {
    Path file = dir().resolve(name + ".npz");
    try (NDManager manager = NDManager.newBaseManager();
        InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      Map<String, Golden.Entry> entries = new LinkedHashMap<>();
      for (NDArray a : NDList.decode(manager, in)) {
        float[] values = a.toType(DataType.FLOAT32, false).toFloatArray();
        long[] longs = a.getDataType() == DataType.INT64 ? a.toLongArray() : null;
        entries.put(a.getName(), new Golden.Entry(a.getShape().getShape(), values, longs));
      }
      return new Golden(name, entries);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read golden file " + file + " (is ../shared beside the checkout?)", e);
    }
  }

  record Golden(String name, Map<String, Entry> entries) {
    record Entry(long[] shape, float[] values, long[] longs) {}

    float[] f(String key) {
      Entry e = entries.get(key);
      if (e == null) {
        throw new IllegalArgumentException(name + " has no array " + key);
      }
      return e.values();
    }

    long[] shape(String key) {
      return entries.get(key).shape();
    }

    int[] ints(String key) {
      Entry e = entries.get(key);
      int[] out = new int[e.values().length];
      for (int i = 0; i < out.length; i++) {
        out[i] = e.longs() != null ? (int) e.longs()[i] : (int) e.values()[i];
      }
      return out;
    }

    double scalar(String key) {
      return f(key)[0];
    }

    boolean has(String key) {
      return entries.containsKey(key);
    }

    /** Parameters under a prefix such as {@code param.}, {@code init.} or {@code final.}. */
    CandleParameters params(String prefix) {
      Map<String, float[]> named = new LinkedHashMap<>();
      for (String n : CandleParameters.NAMES) {
        named.put(n, f(prefix + n));
      }
      int dim = (int) shape(prefix + "proj_image")[0];
      int newClasses = (int) shape(prefix + "virtual_prototypes")[0];
      return CandleParameters.fromMap(dim, newClasses, named);
    }

    int dim() {
      return (int) shape("text_features")[1];
    }

    int classes() {
      return (int) shape("text_features")[0];
    }

    int baseClasses() {
      return (int) shape("visual_prototypes")[0];
    }
  }
}
