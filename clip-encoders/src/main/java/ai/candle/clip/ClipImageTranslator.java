package ai.candle.clip;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.FloatBuffer;

/**
 * CLIP-preprocessed images ({@link ClipPreprocessing#tensor}: [3, 224, 224] each, flattened) to
 * CLIP image features: one float32 [N, 3, 224, 224] array, the model, then its [N, D] output as one
 * row per image.
 *
 * <p>It takes a whole batch rather than one image with DJL's stacking batchifier: the batch is
 * built in one array, so no engine needs a stack operator (OnnxRuntime and TensorRT have none of
 * their own), and there is one copy into native memory per batch.
 */
final class ClipImageTranslator implements NoBatchifyTranslator<float[][], float[][]> {

  private static final int CHW = 3 * ClipPreprocessing.SIZE * ClipPreprocessing.SIZE;

  @Override
  public NDList processInput(TranslatorContext ctx, float[][] images) {
    FloatBuffer batch = FloatBuffer.allocate(images.length * CHW);
    for (float[] image : images) {
      batch.put(image);
    }
    batch.flip();
    ctx.setAttachment(ModelOutputs.BATCH, images.length);
    NDManager manager = ctx.getNDManager();
    return new NDList(
        manager.create(
            batch, new Shape(images.length, 3, ClipPreprocessing.SIZE, ClipPreprocessing.SIZE)));
  }

  @Override
  public float[][] processOutput(TranslatorContext ctx, NDList list) {
    return ModelOutputs.rows(ctx, list);
  }
}
