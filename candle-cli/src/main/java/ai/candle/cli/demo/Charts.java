package ai.candle.cli.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Small PNG charts drawn with Java2D (headless): lines over an x axis, and bars. */
public final class Charts {
  static final int WIDTH = 900;
  static final int HEIGHT = 500;
  private static final int LEFT = 70;
  private static final int RIGHT = 180;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;
  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xff7f0e),
    new Color(0x2ca02c),
    new Color(0xd62728),
    new Color(0x9467bd),
    new Color(0x7f7f7f)
  };

  /**
   * A named line in palette colour {@code color}; NaN values leave gaps; dashed lines are
   * references.
   */
  public record Series(String name, double[] y, boolean dashed, int color) {}

  private Charts() {}

  static {
    System.setProperty("java.awt.headless", "true");
  }

  /** Lines over x = 0..n-1 labelled by {@code xTicks}; y from 0 to {@code yMax}. */
  public static void lines(
      Path png,
      String title,
      String xLabel,
      String yLabel,
      List<String> xTicks,
      List<Series> series,
      double yMax)
      throws IOException {
    BufferedImage img = canvas();
    Graphics2D g = frame(img, title, xLabel, yLabel, yMax);
    int n = xTicks.size();
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    int step = Math.max(1, n / 12);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int i = 0; i < n; i += step) {
      int x = LEFT + (n == 1 ? plotW / 2 : i * plotW / (n - 1));
      g.setColor(Color.DARK_GRAY);
      g.drawString(xTicks.get(i), x - 8, HEIGHT - BOTTOM + 16);
    }
    for (int s = 0; s < series.size(); s++) {
      Series line = series.get(s);
      g.setColor(PALETTE[line.color() % PALETTE.length]);
      g.setStroke(
          line.dashed()
              ? new BasicStroke(
                  2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f)
              : new BasicStroke(2.5f));
      int px = -1;
      int py = -1;
      for (int i = 0; i < line.y().length; i++) {
        double v = line.y()[i];
        if (Double.isNaN(v)) {
          px = -1;
          continue;
        }
        int x = LEFT + (n == 1 ? plotW / 2 : i * plotW / (n - 1));
        int y = TOP + plotH - (int) Math.round(Math.min(v, yMax) / yMax * plotH);
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        g.fillOval(x - 3, y - 3, 6, 6);
        px = x;
        py = y;
      }
      g.setStroke(new BasicStroke(1f));
      g.drawString(
          (line.dashed() ? "- - " : "— ") + line.name(), WIDTH - RIGHT + 15, TOP + 20 + 18 * s);
    }
    write(img, g, png);
  }

  /** One bar per value, in the given order, labelled below when there are few. */
  static void bars(
      Path png, String title, String xLabel, String yLabel, List<String> labels, double[] values)
      throws IOException {
    double max = 1;
    for (double v : values) {
      max = Math.max(max, v);
    }
    BufferedImage img = canvas();
    Graphics2D g = frame(img, title, xLabel, yLabel, max);
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    int n = Math.max(1, values.length);
    double w = (double) plotW / n;
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
    for (int i = 0; i < values.length; i++) {
      int h = (int) Math.round(values[i] / max * plotH);
      g.setColor(PALETTE[0]);
      g.fillRect(LEFT + (int) (i * w) + 1, TOP + plotH - h, Math.max(1, (int) w - 2), h);
      if (values.length <= 20) {
        g.setColor(Color.DARK_GRAY);
        String label = labels.get(i).length() > 12 ? labels.get(i).substring(0, 12) : labels.get(i);
        g.drawString(label, LEFT + (int) (i * w) + 2, HEIGHT - BOTTOM + 14 + (i % 2) * 12);
      }
    }
    write(img, g, png);
  }

  private static BufferedImage canvas() {
    return new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
  }

  private static Graphics2D frame(
      BufferedImage img, String title, String xLabel, String yLabel, double yMax) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, LEFT, 28);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(xLabel, LEFT + plotW / 2 - 40, HEIGHT - 15);
    g.drawString(yLabel, 8, TOP - 10);
    for (int i = 0; i <= 5; i++) {
      int y = TOP + plotH - i * plotH / 5;
      g.setColor(new Color(0xdddddd));
      g.drawLine(LEFT, y, LEFT + plotW, y);
      g.setColor(Color.DARK_GRAY);
      double v = yMax * i / 5;
      g.drawString(
          yMax <= 1.0 ? String.format("%.1f", v) : String.format("%.0f", v), LEFT - 40, y + 4);
    }
    g.setColor(Color.BLACK);
    g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH);
    g.drawLine(LEFT, TOP, LEFT, TOP + plotH);
    return g;
  }

  private static void write(BufferedImage img, Graphics2D g, Path png) throws IOException {
    g.dispose();
    if (!ImageIO.write(img, "png", png.toFile())) {
      throw new IOException("no PNG writer available for " + png);
    }
  }
}
