package ai.candle.clip;

import java.awt.image.BufferedImage;

/**
 * CLIP's image preprocessing ({@code clip.load}'s transform), in Java: resize the shortest side to
 * 224 with PIL's bicubic filter (antialiased when downscaling), centre-crop 224 × 224, convert to
 * RGB, scale to [0, 1] and normalise each channel with CLIP's mean and standard deviation.
 *
 * <p>It follows torchvision on a PIL image step by step: the resized size is {@code (224, int(224 ·
 * long / short))}; an image already of that size is not resampled; the crop offsets are {@code
 * round((size - 224) / 2)} rounding half to even (Python's {@code round}); images with alpha (RGBA,
 * LA) are resized premultiplied and unpremultiplied after, as PIL does, and the alpha is then
 * dropped (not composited); grey images are resized as one channel, then copied to R, G and B;
 * palette images are resized with nearest neighbour. The normalisation is done in float32 as {@code
 * (v / 255 - mean) / std}, as {@code ToTensor} and {@code Normalize} do it.
 */
public final class ClipPreprocessing {

  /** The input side of CLIP's image encoders (ViT-B/32, ViT-B/16, ViT-L/14). */
  public static final int SIZE = 224;

  public static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
  public static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

  private ClipPreprocessing() {}

  /**
   * The resized {@code {width, height}}: the shortest side 224, the other in proportion.
   *
   * @throws IllegalArgumentException the long side would be more than {@code Integer.MAX_VALUE} (an
   *     image over 9,586,980 times as long as wide): {@link ImageDecoder} refuses such images from
   *     their header
   */
  public static int[] resizedSize(int width, int height) {
    int shortSide = Math.min(width, height);
    int longSide = Math.max(width, height);
    double resizedLong = (double) ((long) SIZE * longSide) / shortSide;
    if (resizedLong > Integer.MAX_VALUE) {
      // a cast would saturate to Integer.MAX_VALUE and resample to a wrong, vast size
      throw new IllegalArgumentException(
          "a "
              + width
              + " x "
              + height
              + " image cannot be"
              + " resized to a shortest side of "
              + SIZE
              + ": its long side would be "
              + (long) resizedLong
              + " pixels, more than "
              + Integer.MAX_VALUE);
    }
    return width <= height
        ? new int[] {SIZE, (int) resizedLong}
        : new int[] {(int) resizedLong, SIZE};
  }

  /**
   * The 224 × 224 RGB pixels CLIP's transform feeds to {@code ToTensor}: resized, centre-cropped,
   * converted to RGB; row by row, 3 bytes (R, G, B) a pixel.
   */
  public static byte[] rgbPixels(BufferedImage image) {
    PixelPlanes planes = PixelPlanes.of(image);
    int[] size = resizedSize(planes.width(), planes.height());
    int left = (int) Math.rint((size[0] - SIZE) / 2.0);
    int top = (int) Math.rint((size[1] - SIZE) / 2.0);
    return planes.mode() == PixelPlanes.Mode.P
        ? paletteWindow(planes, size, left, top)
        : resampledWindow(planes, size, left, top);
  }

  /** CHW float32: {@code (v / 255 - mean[c]) / std[c]} of {@link #rgbPixels}' bytes. */
  public static float[] normalise(byte[] rgb) {
    int area = SIZE * SIZE;
    float[] out = new float[3 * area];
    for (int i = 0; i < area; i++) {
      for (int c = 0; c < 3; c++) {
        out[c * area + i] = ((rgb[3 * i + c] & 0xff) / 255f - MEAN[c]) / STD[c];
      }
    }
    return out;
  }

  /** The image as CLIP's image encoder takes it: [3, 224, 224], flattened. */
  public static float[] tensor(BufferedImage image) {
    return normalise(rgbPixels(image));
  }

  private static byte[] resampledWindow(PixelPlanes in, int[] size, int left, int top) {
    boolean resized = size[0] != in.width() || size[1] != in.height();
    byte[][] planes = in.planes();
    // PIL resizes RGBA and LA premultiplied, and does not convert an image it does not resize
    boolean premultiplied = resized && in.mode().alpha;
    if (premultiplied) {
      planes = premultiply(planes);
    }
    byte[][] window = new byte[planes.length][];
    for (int b = 0; b < planes.length; b++) {
      window[b] =
          PilResample.bicubicWindow(
              planes[b], in.width(), in.height(), size[0], size[1], left, top, SIZE, SIZE);
    }
    if (premultiplied) {
      unpremultiply(window);
    }
    boolean grey = in.mode() == PixelPlanes.Mode.L || in.mode() == PixelPlanes.Mode.LA;
    return interleave(
        grey
            ? new byte[][] {window[0], window[0], window[0]}
            : new byte[][] {window[0], window[1], window[2]});
  }

  private static byte[] paletteWindow(PixelPlanes in, int[] size, int left, int top) {
    // the source positions of the crop window only, whatever the resized size
    int[] xs = PilResample.nearest(in.width(), size[0], left, SIZE);
    int[] ys = PilResample.nearest(in.height(), size[1], top, SIZE);
    byte[] indexes = in.planes()[0];
    byte[][] palette = in.palette();
    byte[] out = new byte[3 * SIZE * SIZE];
    for (int y = 0; y < SIZE; y++) {
      int row = ys[y] * in.width();
      for (int x = 0; x < SIZE; x++) {
        int index = indexes[row + xs[x]] & 0xff;
        for (int c = 0; c < 3; c++) {
          // an index past the palette's end (an invalid file) reads as black
          out[3 * (y * SIZE + x) + c] = index < palette[c].length ? palette[c][index] : 0;
        }
      }
    }
    return out;
  }

  /** PIL's RGBA to RGBa (and LA to La): each colour times alpha / 255, rounded its way. */
  private static byte[][] premultiply(byte[][] planes) {
    int alphaBand = planes.length - 1;
    byte[] alpha = planes[alphaBand];
    byte[][] out = new byte[planes.length][];
    out[alphaBand] = alpha;
    for (int b = 0; b < alphaBand; b++) {
      byte[] plane = new byte[alpha.length];
      for (int i = 0; i < alpha.length; i++) {
        int tmp = (planes[b][i] & 0xff) * (alpha[i] & 0xff) + 128;
        plane[i] = (byte) (((tmp >> 8) + tmp) >> 8);
      }
      out[b] = plane;
    }
    return out;
  }

  /** PIL's RGBa to RGBA (and La to LA): colour × 255 / alpha, except where alpha is 0 or 255. */
  private static void unpremultiply(byte[][] planes) {
    int alphaBand = planes.length - 1;
    byte[] alpha = planes[alphaBand];
    for (int b = 0; b < alphaBand; b++) {
      for (int i = 0; i < alpha.length; i++) {
        int a = alpha[i] & 0xff;
        if (a != 0 && a != 255) {
          planes[b][i] = (byte) Math.min(255, 255 * (planes[b][i] & 0xff) / a);
        }
      }
    }
  }

  private static byte[] interleave(byte[][] rgb) {
    int area = SIZE * SIZE;
    byte[] out = new byte[3 * area];
    for (int i = 0; i < area; i++) {
      out[3 * i] = rgb[0][i];
      out[3 * i + 1] = rgb[1][i];
      out[3 * i + 2] = rgb[2][i];
    }
    return out;
  }
}
