package ai.candle.clip;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * A decoded image as 8-bit planes, in the terms of the PIL mode it would have in Python: L, LA,
 * RGB, RGBA or P (palette indices plus the palette). The samples are read from the raster as
 * stored, as PIL reads them: no colour-space conversion (ICC profiles and gamma are ignored, as PIL
 * ignores them), 16-bit samples keep their high byte.
 */
record PixelPlanes(Mode mode, int width, int height, byte[][] planes, byte[][] palette) {

  enum Mode {
    L(false),
    LA(true),
    RGB(false),
    RGBA(true),
    P(false);

    final boolean alpha;

    Mode(boolean alpha) {
      this.alpha = alpha;
    }
  }

  static PixelPlanes of(BufferedImage image) {
    if (image.getColorModel() instanceof IndexColorModel palette) {
      return indexed(image, palette);
    }
    if (image.getColorModel() instanceof ComponentColorModel components
        && isGreyOrRgb(components)
        && maxSampleBits(components) <= 16) {
      return components(image, components);
    }
    return viaSrgb(image);
  }

  private static PixelPlanes indexed(BufferedImage image, IndexColorModel colors) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] indexes = new byte[w * h];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRaster().getSamples(0, y, w, 1, 0, row);
      for (int x = 0; x < w; x++) {
        indexes[y * w + x] = (byte) row[x];
      }
    }
    int size = colors.getMapSize();
    byte[][] palette = new byte[3][size];
    colors.getReds(palette[0]);
    colors.getGreens(palette[1]);
    colors.getBlues(palette[2]);
    return new PixelPlanes(Mode.P, w, h, new byte[][] {indexes}, palette);
  }

  private static boolean isGreyOrRgb(ComponentColorModel model) {
    int type = model.getColorSpace().getType();
    return type == ColorSpace.TYPE_GRAY || type == ColorSpace.TYPE_RGB;
  }

  private static int maxSampleBits(ComponentColorModel model) {
    int bits = 0;
    for (int size : model.getComponentSize()) {
      bits = Math.max(bits, size);
    }
    return bits;
  }

  private static PixelPlanes components(BufferedImage image, ComponentColorModel model) {
    int w = image.getWidth();
    int h = image.getHeight();
    Raster raster = image.getRaster();
    int bands = raster.getNumBands();
    int shift = maxSampleBits(model) > 8 ? maxSampleBits(model) - 8 : 0;
    byte[][] planes = new byte[bands][];
    int[] row = new int[w];
    for (int b = 0; b < bands; b++) {
      byte[] plane = new byte[w * h];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, b, row);
        for (int x = 0; x < w; x++) {
          plane[y * w + x] = (byte) (row[x] >>> shift);
        }
      }
      planes[b] = plane;
    }
    boolean grey = model.getNumColorComponents() == 1;
    Mode mode =
        grey ? (model.hasAlpha() ? Mode.LA : Mode.L) : (model.hasAlpha() ? Mode.RGBA : Mode.RGB);
    return new PixelPlanes(mode, w, h, planes, null);
  }

  /** Other colour models (packed RGB from BMP, ...): through Java's sRGB view of the pixels. */
  private static PixelPlanes viaSrgb(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    boolean alpha = image.getColorModel().hasAlpha();
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    byte[][] planes = new byte[alpha ? 4 : 3][w * h];
    for (int i = 0; i < argb.length; i++) {
      planes[0][i] = (byte) (argb[i] >>> 16);
      planes[1][i] = (byte) (argb[i] >>> 8);
      planes[2][i] = (byte) argb[i];
      if (alpha) {
        planes[3][i] = (byte) (argb[i] >>> 24);
      }
    }
    return new PixelPlanes(alpha ? Mode.RGBA : Mode.RGB, w, h, planes, null);
  }
}
