package ai.candle.core;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The learnable parameters of the Candle head, row-major float32, named as in docs/method.md.
 *
 * <p>Shapes: {@code projImage, projText, attnOutProjWeight} D×D; {@code virtualPrototypes} Cn×D;
 * {@code attnInProjWeight} 3D×D (rows Wq; Wk; Wv); {@code attnInProjBias} 3D; {@code
 * attnOutProjBias, normWeight, normBias} D; {@code ratio} a scalar.
 */
public record CandleParameters(
    int dim,
    int newClasses,
    float[] projImage,
    float[] projText,
    float[] virtualPrototypes,
    float[] attnInProjWeight,
    float[] attnInProjBias,
    float[] attnOutProjWeight,
    float[] attnOutProjBias,
    float[] normWeight,
    float[] normBias,
    float ratio) {

  /** Parameter names in a fixed order (the order of {@link #asMap()}). */
  public static final String[] NAMES = {
    "proj_image", "proj_text", "virtual_prototypes", "attn_in_proj_weight", "attn_in_proj_bias",
    "attn_out_proj_weight", "attn_out_proj_bias", "norm_weight", "norm_bias", "ratio"
  };

  public CandleParameters {
    check("proj_image", projImage, dim * dim);
    check("proj_text", projText, dim * dim);
    check("virtual_prototypes", virtualPrototypes, newClasses * dim);
    check("attn_in_proj_weight", attnInProjWeight, 3 * dim * dim);
    check("attn_in_proj_bias", attnInProjBias, 3 * dim);
    check("attn_out_proj_weight", attnOutProjWeight, dim * dim);
    check("attn_out_proj_bias", attnOutProjBias, dim);
    check("norm_weight", normWeight, dim);
    check("norm_bias", normBias, dim);
    if (dim % CandleHead.HEADS != 0) {
      throw new IllegalArgumentException(
          "feature width " + dim + " is not divisible by " + CandleHead.HEADS + " attention heads");
    }
  }

  private static void check(String name, float[] values, int expected) {
    if (values == null || values.length != expected) {
      throw new IllegalArgumentException(
          name
              + " has "
              + (values == null ? "no" : values.length)
              + " values, expected "
              + expected);
    }
  }

  /** Builds parameters from named arrays, e.g. the {@code param.*} entries of a golden file. */
  public static CandleParameters fromMap(int dim, int newClasses, Map<String, float[]> named) {
    return new CandleParameters(
        dim,
        newClasses,
        named.get("proj_image"),
        named.get("proj_text"),
        named.get("virtual_prototypes"),
        named.get("attn_in_proj_weight"),
        named.get("attn_in_proj_bias"),
        named.get("attn_out_proj_weight"),
        named.get("attn_out_proj_bias"),
        named.get("norm_weight"),
        named.get("norm_bias"),
        named.get("ratio")[0]);
  }

  /** Every parameter by name, in {@link #NAMES} order; {@code ratio} is a one-element array. */
  public Map<String, float[]> asMap() {
    Map<String, float[]> m = new LinkedHashMap<>();
    m.put("proj_image", projImage);
    m.put("proj_text", projText);
    m.put("virtual_prototypes", virtualPrototypes);
    m.put("attn_in_proj_weight", attnInProjWeight);
    m.put("attn_in_proj_bias", attnInProjBias);
    m.put("attn_out_proj_weight", attnOutProjWeight);
    m.put("attn_out_proj_bias", attnOutProjBias);
    m.put("norm_weight", normWeight);
    m.put("norm_bias", normBias);
    m.put("ratio", new float[] {ratio});
    return m;
  }

  /** The shape of a named parameter, as {rows, cols} or {length}. */
  public long[] shapeOf(String name) {
    return switch (name) {
      case "proj_image", "proj_text", "attn_out_proj_weight" -> new long[] {dim, dim};
      case "virtual_prototypes" -> new long[] {newClasses, dim};
      case "attn_in_proj_weight" -> new long[] {3L * dim, dim};
      case "attn_in_proj_bias" -> new long[] {3L * dim};
      case "attn_out_proj_bias", "norm_weight", "norm_bias" -> new long[] {dim};
      case "ratio" -> new long[] {1};
      default -> throw new IllegalArgumentException("unknown parameter " + name);
    };
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CandleParameters p)) {
      return false;
    }
    if (dim != p.dim || newClasses != p.newClasses || Float.compare(ratio, p.ratio) != 0) {
      return false;
    }
    Map<String, float[]> a = asMap();
    Map<String, float[]> b = p.asMap();
    return a.keySet().stream().allMatch(k -> Arrays.equals(a.get(k), b.get(k)));
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(projImage) * 31 + dim;
  }

  @Override
  public String toString() {
    return "CandleParameters[dim=" + dim + ", newClasses=" + newClasses + ", ratio=" + ratio + "]";
  }
}
