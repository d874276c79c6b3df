package ai.candle.streams.model;

import ai.candle.core.CandleFit;
import ai.candle.core.CandleModel;
import ai.candle.core.HyperParameters;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Small scorable models without a fit (CandleFit.untrained/extend), width 16: the text feature of
 * the class at index j is the unit vector e_j, so an image e_j is that class's image.
 */
public final class TestModels {

  public static final int WIDTH = 16;
  public static final Instant CREATED = Instant.parse("2024-05-01T12:00:00Z");

  private TestModels() {}

  /** A model of {@code classes}, class j's text feature e_j. */
  public static CandleModel model(String... classes) {
    return CandleFit.untrained(
        List.of(classes), WIDTH, axes(0, classes.length), HyperParameters.adaptive());
  }

  /** {@code model} with {@code classes} added as new (virtual) classes on the next axes. */
  public static CandleModel extend(CandleModel model, String... classes) {
    return CandleFit.extend(model, List.of(classes), axes(model.numClasses(), classes.length));
  }

  public static ModelVersion version(CandleModel model, long version) {
    return ModelVersions.toRecord(
        model, version, CREATED, "test-clip", ModelVersions.Origin.INITIAL, Map.of(), Map.of());
  }

  /** The unit vector e_j. */
  public static float[] axis(int j) {
    float[] v = new float[WIDTH];
    v[j] = 1f;
    return v;
  }

  public static List<Float> axisList(int j) {
    List<Float> list = new ArrayList<>(WIDTH);
    for (float v : axis(j)) {
      list.add(v);
    }
    return list;
  }

  private static float[] axes(int first, int count) {
    float[] text = new float[count * WIDTH];
    for (int i = 0; i < count; i++) {
      text[i * WIDTH + first + i] = 1f;
    }
    return text;
  }
}
