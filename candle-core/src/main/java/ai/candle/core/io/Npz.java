package ai.candle.core.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Minimal reader and writer of numpy {@code .npz} archives (a zip of {@code .npy} files), in plain
 * Java so that reading a dataset needs no native engine. Reads numeric dtypes of either byte order,
 * in C or Fortran order, from stored or deflated entries; writes little-endian C-order {@code .npy}
 * version 1.0 entries, deflated, which numpy and DJL both load.
 */
final class Npz {

  private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npz() {}

  /** A malformed archive or entry; the message names the entry and the defect. */
  static final class NpzException extends Exception {
    NpzException(String message) {
      super(message);
    }

    NpzException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * One array as stored: kind ({@code f} float, {@code i} signed, {@code u} unsigned integer,
   * {@code b} bool), item size in bytes, shape, and its elements in C order.
   */
  record Array(
      String name, char kind, int itemSize, long[] shape, ByteBuffer data, boolean fortran) {

    long size() {
      long n = 1;
      for (long s : shape) {
        n *= s;
      }
      return n;
    }

    /** numpy's name of the dtype, e.g. {@code float32}, {@code int64}. */
    String dtype() {
      return switch (kind) {
        case 'f' -> "float" + 8 * itemSize;
        case 'i' -> "int" + 8 * itemSize;
        case 'u' -> "uint" + 8 * itemSize;
        case 'b' -> "bool";
        default -> "kind '" + kind + "'";
      };
    }

    String shapeString() {
      return Arrays.toString(shape);
    }

    boolean isFloat() {
      return kind == 'f';
    }

    boolean isInteger() {
      return kind == 'i' || kind == 'u';
    }

    /** The elements as float32 in C order (float16/float64 are converted). Floats only. */
    float[] toFloats() {
      float[] out = new float[(int) size()];
      ByteBuffer d = data.duplicate().order(data.order());
      for (int i = 0; i < out.length; i++) {
        int at = itemSize * storageIndex(i);
        out[i] =
            switch (itemSize) {
              case 2 -> halfToFloat(d.getShort(at));
              case 4 -> d.getFloat(at);
              default -> (float) d.getDouble(at);
            };
      }
      return out;
    }

    /** The elements as doubles in C order. Numeric kinds only. */
    double[] toDoubles() {
      if (isFloat()) {
        float[] f = itemSize == 8 ? null : toFloats();
        double[] out = new double[(int) size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = f != null ? f[i] : data.getDouble(8 * storageIndex(i));
        }
        return out;
      }
      long[] l = toLongs();
      double[] out = new double[l.length];
      for (int i = 0; i < l.length; i++) {
        out[i] = l[i];
      }
      return out;
    }

    /** The elements as longs in C order. Integer and bool kinds only. */
    long[] toLongs() {
      long[] out = new long[(int) size()];
      ByteBuffer d = data.duplicate().order(data.order());
      for (int i = 0; i < out.length; i++) {
        int at = itemSize * storageIndex(i);
        long v =
            switch (itemSize) {
              case 1 -> kind == 'i' ? d.get(at) : d.get(at) & 0xFF;
              case 2 -> kind == 'i' ? d.getShort(at) : d.getShort(at) & 0xFFFF;
              case 4 -> kind == 'i' ? d.getInt(at) : d.getInt(at) & 0xFFFFFFFFL;
              default -> d.getLong(at);
            };
        if (kind == 'u' && itemSize == 8 && v < 0) {
          v = Long.MAX_VALUE; // beyond any valid label: reported as out of range
        }
        out[i] = v;
      }
      return out;
    }

    /** Where the element with C-order index {@code c} is stored. */
    private int storageIndex(int c) {
      if (!fortran || shape.length < 2) {
        return c;
      }
      long rest = c;
      long f = 0;
      long stride = 1;
      long[] idx = new long[shape.length];
      for (int k = shape.length - 1; k >= 0; k--) {
        idx[k] = rest % shape[k];
        rest /= shape[k];
      }
      for (int k = 0; k < shape.length; k++) {
        f += idx[k] * stride;
        stride *= shape[k];
      }
      return (int) f;
    }
  }

  /** An open archive: lists its arrays and parses one on request. */
  static final class Reader implements AutoCloseable {
    private final ZipFile zip;
    private final Map<String, ZipEntry> entries = new LinkedHashMap<>();

    Reader(Path file) throws IOException, NpzException {
      try {
        zip = new ZipFile(file.toFile());
      } catch (ZipException e) {
        throw new NpzException("not a valid .npz (zip) archive (" + e.getMessage() + ")", e);
      }
      zip.stream()
          .filter(e -> !e.isDirectory())
          .forEach(
              e ->
                  entries.put(
                      e.getName().endsWith(".npy")
                          ? e.getName().substring(0, e.getName().length() - 4)
                          : e.getName(),
                      e));
    }

    List<String> names() {
      return new ArrayList<>(entries.keySet());
    }

    boolean has(String name) {
      return entries.containsKey(name);
    }

    Array get(String name) throws IOException, NpzException {
      ZipEntry e = entries.get(name);
      if (e == null) {
        throw new NpzException("no array '" + name + "'");
      }
      if (e.getSize() > Integer.MAX_VALUE - 64) {
        throw new NpzException(
            "array '" + name + "' is larger than 2 GB, which this reader does not support");
      }
      byte[] bytes;
      try (InputStream in = zip.getInputStream(e)) {
        bytes = in.readAllBytes();
      } catch (ZipException ex) {
        throw new NpzException(
            "array '" + name + "' is corrupt in the archive (" + ex.getMessage() + ")", ex);
      }
      return parseNpy(name, bytes);
    }

    @Override
    public void close() throws IOException {
      zip.close();
    }
  }

  static Array parseNpy(String name, byte[] b) throws NpzException {
    if (b.length < 10 || !Arrays.equals(b, 0, 6, NPY_MAGIC, 0, 6)) {
      throw new NpzException("array '" + name + "' is not a .npy entry (bad magic)");
    }
    int major = b[6] & 0xFF;
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen;
    int start;
    if (major == 1) {
      headerLen = bb.getShort(8) & 0xFFFF;
      start = 10;
    } else if (major == 2 || major == 3) {
      if (b.length < 12) {
        throw new NpzException("array '" + name + "' has a truncated .npy header");
      }
      headerLen = bb.getInt(8);
      start = 12;
    } else {
      throw new NpzException(
          "array '" + name + "' uses .npy format version " + major + ", which is not supported");
    }
    if (headerLen < 0 || start + headerLen > b.length) {
      throw new NpzException("array '" + name + "' has a truncated .npy header");
    }
    String header =
        new String(
            b, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Matcher descr = DESCR.matcher(header);
    Matcher fortran = FORTRAN.matcher(header);
    Matcher shapeM = SHAPE.matcher(header);
    if (!descr.find() || !fortran.find() || !shapeM.find()) {
      throw new NpzException(
          "array '" + name + "' has a .npy header numpy would not write: " + header.strip());
    }
    String d = descr.group(1);
    if (d.length() < 3 || "<>|=".indexOf(d.charAt(0)) < 0 || "fiub".indexOf(d.charAt(1)) < 0) {
      throw new NpzException(
          "array '" + name + "' has dtype '" + d + "', which is not a plain numeric dtype");
    }
    char kind = d.charAt(1);
    int itemSize;
    try {
      itemSize = Integer.parseInt(d.substring(2));
    } catch (NumberFormatException ex) {
      throw new NpzException(
          "array '" + name + "' has dtype '" + d + "', which is not a plain numeric dtype");
    }
    boolean sizeOk =
        switch (kind) {
          case 'f' -> itemSize == 2 || itemSize == 4 || itemSize == 8;
          case 'i', 'u' -> itemSize == 1 || itemSize == 2 || itemSize == 4 || itemSize == 8;
          default -> itemSize == 1;
        };
    if (!sizeOk) {
      throw new NpzException("array '" + name + "' has dtype '" + d + "', which is not supported");
    }
    List<Long> dims = new ArrayList<>();
    for (String s : shapeM.group(1).split(",")) {
      if (!s.isBlank()) {
        try {
          dims.add(Long.parseLong(s.strip().replace("L", "")));
        } catch (NumberFormatException ex) {
          throw new NpzException(
              "array '" + name + "' has an unreadable shape (" + shapeM.group(1) + ")");
        }
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    long count = 1;
    for (long s : shape) {
      if (s < 0) {
        throw new NpzException("array '" + name + "' has a negative dimension");
      }
      count *= s;
    }
    long bytes = count * itemSize;
    int dataStart = start + headerLen;
    if (dataStart + bytes > b.length) {
      throw new NpzException(
          "array '"
              + name
              + "' is truncated: shape "
              + Arrays.toString(shape)
              + " needs "
              + bytes
              + " bytes of data, the entry has "
              + (b.length - dataStart));
    }
    ByteOrder order =
        d.charAt(0) == '>'
            ? ByteOrder.BIG_ENDIAN
            : d.charAt(0) == '=' ? ByteOrder.nativeOrder() : ByteOrder.LITTLE_ENDIAN;
    ByteBuffer data = ByteBuffer.wrap(b, dataStart, (int) bytes).slice().order(order);
    return new Array(name, kind, itemSize, shape, data, fortran.group(1).equals("True"));
  }

  // ---------------------------------------------------------------- writing

  /** An array to write: float32 ({@code floats}) or int64 ({@code longs}), one of them set. */
  record Entry(String name, long[] shape, float[] floats, long[] longs) {
    static Entry of(String name, long[] shape, float[] values) {
      return new Entry(name, shape, values, null);
    }

    static Entry of(String name, long[] shape, long[] values) {
      return new Entry(name, shape, null, values);
    }
  }

  static void write(Path file, List<Entry> entries) throws IOException {
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      for (Entry e : entries) {
        zip.putNextEntry(new ZipEntry(e.name() + ".npy"));
        zip.write(npyHeader(e.floats() != null ? "<f4" : "<i8", e.shape()));
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        int n = e.floats() != null ? e.floats().length : e.longs().length;
        for (int i = 0; i < n; i++) {
          if (buf.remaining() < 8) {
            zip.write(buf.array(), 0, buf.position());
            buf.clear();
          }
          if (e.floats() != null) {
            buf.putFloat(e.floats()[i]);
          } else {
            buf.putLong(e.longs()[i]);
          }
        }
        zip.write(buf.array(), 0, buf.position());
        zip.closeEntry();
      }
    }
  }

  private static byte[] npyHeader(String descr, long[] shape) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < shape.length; i++) {
      s.append(shape[i]).append(shape.length == 1 ? "," : i < shape.length - 1 ? ", " : "");
    }
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + s + "), }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
    b.put(NPY_MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    return b.array();
  }

  /** IEEE 754 half precision to float. */
  static float halfToFloat(short h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
