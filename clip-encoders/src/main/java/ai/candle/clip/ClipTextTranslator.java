package ai.candle.clip;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Prompts to CLIP text features: {@link ClipTokenizer} rows of 77 ids (truncated when longer: the
 * first 76 ids, then the end token) as one int64 [N, 77] array, the model, then its [N, D] output
 * as one row per prompt.
 */
final class ClipTextTranslator implements NoBatchifyTranslator<String[], float[][]> {

  /** CLIP's context length. */
  static final int CONTEXT = 77;

  private final ClipTokenizer tokenizer;

  ClipTextTranslator(ClipTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, String[] prompts) {
    long[] ids = new long[prompts.length * CONTEXT];
    for (int p = 0; p < prompts.length; p++) {
      int[] row = tokenizer.tokenize(prompts[p], CONTEXT, true);
      for (int i = 0; i < CONTEXT; i++) {
        ids[p * CONTEXT + i] = row[i];
      }
    }
    ctx.setAttachment(ModelOutputs.BATCH, prompts.length);
    return new NDList(ctx.getNDManager().create(ids, new Shape(prompts.length, CONTEXT)));
  }

  @Override
  public float[][] processOutput(TranslatorContext ctx, NDList list) {
    return ModelOutputs.rows(ctx, list);
  }
}
