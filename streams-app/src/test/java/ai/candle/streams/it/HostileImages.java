package ai.candle.streams.it;

import ai.candle.clip.PngChunkWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Image bytes for the hostile-input test: real PNGs written here (signature, IHDR, IDAT, IEND), the
 * CLIP fixtures, and bytes that only pretend to be images. Every method is deterministic given its
 * {@link Random}.
 */
final class HostileImages {

  /** PNG colour types. */
  static final int GREY = 0;

  static final int RGB = 2;
  static final int RGBA = 6;

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  private static final List<String> FIXTURES =
      List.of(
          "alpha_square.png",
          "grey_tall.png",
          "palette_small.png",
          "photo.jpg",
          "wide_stripes.png");

  private final List<byte[]> fixtures;
  private final List<byte[]> bombs;
  private final List<byte[]> large;
  private final List<byte[]> thin;

  private HostileImages(
      List<byte[]> fixtures, List<byte[]> bombs, List<byte[]> large, List<byte[]> thin) {
    this.fixtures = fixtures;
    this.bombs = bombs;
    this.large = large;
    this.thin = thin;
  }

  /**
   * The CLIP fixtures (clip-encoders/fixtures/images), zip-bomb-like PNGs that declare more than
   * {@code maxPixels} and hold all their (highly compressible) pixel data, and PNGs within the
   * pixel limit but extremely thin (see {@link #thin}).
   */
  static HostileImages load(Path fixtureDir, long maxPixels) {
    List<byte[]> fixtures =
        FIXTURES.stream().map(name -> read(fixtureDir.resolve("images").resolve(name))).toList();
    int side = (int) Math.ceil(Math.sqrt(maxPixels * 1.05));
    List<byte[]> bombs =
        List.of(
            png(side, side, 8, GREY, true), // ~1 KB of deflate per MB of pixels
            png(side * 2, side / 2 + 1, 8, RGB, true),
            png(side, side, 16, RGBA, true), // 8 bytes a pixel once decoded
            png(100_000, 100_000, 8, RGB, false), // 30 GB declared, a few bytes of IDAT
            png(1, (int) Math.min(Integer.MAX_VALUE, maxPixels * 4), 8, GREY, false));
    int within = (int) Math.floor(Math.sqrt(maxPixels * 0.95));
    List<byte[]> large =
        List.of(png(within, within, 8, RGB, true), png(within, within, 16, RGBA, true));
    List<byte[]> thin =
        List.of(
            png(
                1,
                (int) Math.min(Integer.MAX_VALUE, maxPixels),
                8,
                GREY,
                true), // exactly the pixel limit
            png(1, 100_000, 8, GREY, true),
            png(100_000, 1, 8, GREY, true));
    return new HostileImages(fixtures, bombs, large, thin);
  }

  /**
   * A valid PNG just under the pixel limit, a few KB of zlib that decode to tens of MB (16-bit
   * RGBA: 8 bytes a pixel): a valid image, but the most memory one image may take.
   */
  byte[] large(Random random) {
    return large.get(random.nextInt(large.size()));
  }

  /** One of the CLIP fixture images (PNG or JPEG), whole. */
  byte[] fixture(Random random) {
    return fixtures.get(random.nextInt(fixtures.size()));
  }

  /**
   * A whole PNG within the pixel limit but one pixel wide or high (1 × maxPixels, 1 × 100,000,
   * 100,000 × 1): CLIP's resize of its short side to 224 would make the long side 224 times as
   * long, millions to billions of pixels. Refused from its header by {@code
   * encoder.max.aspect.ratio}.
   */
  byte[] thin(Random random) {
    return thin.get(random.nextInt(thin.size()));
  }

  /**
   * A PNG that declares more pixels than the encoder's limit; its IDAT holds all of them, or not.
   */
  byte[] bomb(Random random) {
    return bombs.get(random.nextInt(bombs.size()));
  }

  /** Bytes that are no image at all: text, a PDF or zip header, random bytes, nothing. */
  byte[] notAnImage(Random random) {
    return switch (random.nextInt(5)) {
      case 0 -> "this is not an image, it is a sentence".getBytes(StandardCharsets.UTF_8);
      case 1 -> withGarbage("%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII), random, 2_000);
      case 2 -> withGarbage(new byte[] {'P', 'K', 3, 4}, random, 2_000);
      case 3 -> new byte[0];
      default -> randomBytes(random, 1 + random.nextInt(4_000));
    };
  }

  /**
   * An image header followed by garbage, or a real image cut short or with flipped bytes: PNG,
   * JPEG, GIF, BMP.
   */
  byte[] fakeHeader(Random random) {
    return switch (random.nextInt(7)) {
      case 0 -> withGarbage(PNG_SIGNATURE, random, 3_000);
      case 1 ->
          withGarbage(
              new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0}, random, 3_000);
      case 2 -> withGarbage("GIF89a".getBytes(StandardCharsets.US_ASCII), random, 3_000);
      case 3 -> withGarbage(new byte[] {'B', 'M'}, random, 3_000);
      case 4 -> {
        byte[] image = fixture(random);
        yield Arrays.copyOf(image, 1 + random.nextInt(Math.min(image.length - 1, 4_000)));
      }
      case 5 -> {
        byte[] png = png(64 + random.nextInt(64), 64 + random.nextInt(64), 8, RGB, true);
        byte[] broken = png.clone();
        for (int i = 0; i < 8; i++) { // flip bytes after the header: IDAT or its CRC
          int at = 33 + random.nextInt(broken.length - 33);
          broken[at] ^= (byte) (1 + random.nextInt(255));
        }
        yield broken;
      }
      default -> {
        byte[] header = png(random.nextInt(3) - 1, 10, 8, GREY, false); // 0 or negative width
        yield header;
      }
    };
  }

  /** A PNG of {@code width} × {@code height} zero pixels; with {@code pixels}, all of its IDAT. */
  static byte[] png(int width, int height, int bitDepth, int colourType, boolean pixels) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(PNG_SIGNATURE);
    PngChunkWriter.write(
        out,
        "IHDR",
        ByteBuffer.allocate(13)
            .putInt(width)
            .putInt(height)
            .put((byte) bitDepth)
            .put((byte) colourType)
            .put((byte) 0)
            .put((byte) 0)
            .put((byte) 0)
            .array());
    PngChunkWriter.write(
        out,
        "IDAT",
        pixels ? zeroRows(width, height, bitDepth, colourType) : deflate(new byte[16]));
    PngChunkWriter.write(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  /**
   * Deflated scanlines of zeros (filter byte 0 and the pixel bytes), streamed: never the raw image
   * at once.
   */
  private static byte[] zeroRows(int width, int height, int bitDepth, int colourType) {
    int channels =
        switch (colourType) {
          case RGB -> 3;
          case RGBA -> 4;
          default -> 1;
        };
    long rowBytes = 1 + ((long) width * channels * bitDepth + 7) / 8;
    long total = rowBytes * height;
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    try (DeflaterOutputStream zlib = new DeflaterOutputStream(compressed, deflater, 1 << 16)) {
      byte[] zeros = new byte[1 << 20];
      for (long written = 0; written < total; written += zeros.length) {
        zlib.write(zeros, 0, (int) Math.min(zeros.length, total - written));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deflater.end();
    }
    return compressed.toByteArray();
  }

  private static byte[] deflate(byte[] raw) {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (DeflaterOutputStream zlib = new DeflaterOutputStream(compressed)) {
      zlib.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return compressed.toByteArray();
  }

  static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] withGarbage(byte[] header, Random random, int maxGarbage) {
    byte[] garbage = randomBytes(random, random.nextInt(maxGarbage));
    byte[] out = Arrays.copyOf(header, header.length + garbage.length);
    System.arraycopy(garbage, 0, out, header.length, garbage.length);
    return out;
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("CLIP fixture image " + file + " (clip.fixtures)", e);
    }
  }
}
