package ai.candle.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslatorContext;

/** An encoder model's output: the first array, [N, D] for a batch of N, as N rows. */
final class ModelOutputs {

  static final String BATCH = "clip.batch";

  private ModelOutputs() {}

  static float[][] rows(TranslatorContext ctx, NDList list) {
    int n = (Integer) ctx.getAttachment(BATCH);
    if (list.isEmpty()) {
      throw new IllegalStateException(
          "the model returned nothing; a CLIP encoder returns one" + " float array [N, D]");
    }
    NDArray out = list.get(0);
    Shape shape = out.getShape();
    if (shape.dimension() != 2 || shape.get(0) != n || shape.get(1) < 1) {
      throw new IllegalStateException(
          "the model returned an array of shape "
              + shape
              + " for a batch of "
              + n
              + "; a CLIP encoder returns [N, D] = ["
              + n
              + ", D]");
    }
    float[] flat = out.toType(DataType.FLOAT32, false).toFloatArray();
    int d = (int) shape.get(1);
    float[][] rows = new float[n][d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * d, rows[i], 0, d);
    }
    return rows;
  }
}
