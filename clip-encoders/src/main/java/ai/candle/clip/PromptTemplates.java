package ai.candle.clip;

import java.util.ArrayList;
import java.util.List;

/**
 * CLIP prompts from class names: templates with {@code {}} where the name goes ({@code _} in a
 * class name reads as a space), and the ensemble of several templates' features.
 */
public final class PromptTemplates {

  public static final String PLACEHOLDER = "{}";
  public static final String DEFAULT_TEMPLATE = "a photo of a {}.";

  /** Between the templates of an ensemble in one setting. */
  public static final String SEPARATOR = "|";

  private PromptTemplates() {}

  /** The class name as it reads in a prompt: {@code _} is read as a space. */
  public static String displayName(String className) {
    return className.replace('_', ' ');
  }

  /** The template with the class's display name in place of every {@code {}}. */
  public static String fill(String template, String className) {
    requireTemplate(template);
    return template.replace(PLACEHOLDER, displayName(className));
  }

  /**
   * Templates separated by {@value #SEPARATOR}; blank ones are dropped.
   *
   * @throws IllegalArgumentException a template without {@code {}}, or none at all
   */
  public static List<String> parse(String templates) {
    List<String> out = new ArrayList<>();
    for (String template : templates.split("\\" + SEPARATOR)) {
      if (!template.isBlank()) {
        out.add(requireTemplate(template.strip()));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no prompt template in '" + templates + "'");
    }
    return List.copyOf(out);
  }

  static String requireTemplate(String template) {
    if (!template.contains(PLACEHOLDER)) {
      throw new IllegalArgumentException(
          "a prompt template must contain '{}' where the class" + " name goes, got: " + template);
    }
    return template;
  }

  /**
   * The ensemble of several prompts' features: each L2-normalised, their mean, L2-normalised again
   * (CLIP's zero-shot prompt ensembling). Computed in double precision.
   *
   * @throws IllegalArgumentException no features, rows of different widths, or a zero row
   */
  public static float[] ensemble(float[][] features) {
    if (features.length == 0) {
      throw new IllegalArgumentException("an ensemble needs at least one feature");
    }
    int d = features[0].length;
    double[] sum = new double[d];
    for (float[] row : features) {
      if (row.length != d) {
        throw new IllegalArgumentException("features of widths " + d + " and " + row.length);
      }
      double norm = norm(row);
      for (int i = 0; i < d; i++) {
        sum[i] += row[i] / norm;
      }
    }
    double norm = 0;
    for (double v : sum) {
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    float[] out = new float[d];
    for (int i = 0; i < d; i++) {
      out[i] = (float) (sum[i] / norm);
    }
    return out;
  }

  private static double norm(float[] row) {
    double squares = 0;
    for (float v : row) {
      squares += (double) v * v;
    }
    if (squares == 0 || !Double.isFinite(squares)) {
      throw new IllegalArgumentException(
          "cannot normalise a feature of norm " + Math.sqrt(squares));
    }
    return Math.sqrt(squares);
  }
}
