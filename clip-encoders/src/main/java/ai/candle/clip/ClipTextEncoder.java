package ai.candle.clip;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CLIP text encoder (prompt to a D-wide feature) run by DJL: {@link ClipTokenizer} rows of 77 ids
 * (longer prompts truncated), the model, its [N, D] output.
 *
 * <p>Thread-safe: calls take turns on one predictor (text encoding happens once per class).
 */
public final class ClipTextEncoder implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClipTextEncoder.class);

  private final ZooModel<String[], float[][]> model;
  private final Predictor<String[], float[][]> predictor;
  private final Path path;
  private final EncoderEngine engine;
  private final int dimension;

  private ClipTextEncoder(
      ZooModel<String[], float[][]> model, Path path, EncoderEngine engine, int dimension) {
    this.model = model;
    this.predictor = model.newPredictor();
    this.path = path;
    this.engine = engine;
    this.dimension = dimension;
  }

  /**
   * Loads the model with CLIP's tokenizer and checks that it behaves as a CLIP text encoder (int64
   * [N, 77] in, [N, D] out).
   *
   * @throws EncoderLoadException the file is missing or not a model of that engine, the engine is
   *     not available, or the model does not take [N, 77] ids
   */
  public static ClipTextEncoder load(Path path, EncoderEngine engine) throws EncoderLoadException {
    ZooModel<String[], float[][]> model =
        ModelLoader.load(
            "CLIP text encoder",
            path,
            engine,
            String[].class,
            float[][].class,
            new ClipTextTranslator(ClipTokenizer.load()));
    try (Predictor<String[], float[][]> probe = model.newPredictor()) {
      int dimension = probe.predict(new String[] {"a photo of a dog.", "a cat."})[0].length;
      LOG.info(
          "CLIP text encoder {} on {} ({}): D = {}",
          path,
          engine.djlName(),
          model.getNDManager().getDevice(),
          dimension);
      return new ClipTextEncoder(model, path, engine, dimension);
    } catch (TranslateException | RuntimeException e) {
      model.close();
      throw new EncoderLoadException(
          path
              + " loaded, but it does not behave as a CLIP text"
              + " encoder: two prompts failed. It must take int64 [N, 77] token ids for any N"
              + " (export it with a dynamic batch axis) and return [N, D]. The engine said: "
              + e.getMessage(),
          e);
    }
  }

  /** D, the width of the features. */
  public int dimension() {
    return dimension;
  }

  public EncoderEngine engine() {
    return engine;
  }

  /** The feature of one prompt, as the model returns it (not normalised). */
  public float[] encode(String prompt) {
    return encode(List.of(prompt))[0];
  }

  /**
   * The features of several prompts, in one batch.
   *
   * @throws EncoderFailedException the model failed
   */
  public float[][] encode(List<String> prompts) {
    try {
      synchronized (predictor) {
        return predictor.predict(prompts.toArray(String[]::new));
      }
    } catch (TranslateException | RuntimeException e) {
      throw new EncoderFailedException(
          "the CLIP text encoder "
              + path
              + " ("
              + engine.djlName()
              + ") failed on "
              + prompts.size()
              + " prompt(s): "
              + e.getMessage(),
          e);
    }
  }

  /**
   * The ensemble feature of a class: its name in each template, each prompt's feature
   * L2-normalised, their mean normalised again ({@link PromptTemplates#ensemble}). Unit length.
   */
  public float[] encodeEnsemble(String className, List<String> templates) {
    List<String> prompts = templates.stream().map(t -> PromptTemplates.fill(t, className)).toList();
    return PromptTemplates.ensemble(encode(prompts));
  }

  @Override
  public void close() {
    synchronized (predictor) {
      predictor.close();
    }
    model.close();
  }
}
