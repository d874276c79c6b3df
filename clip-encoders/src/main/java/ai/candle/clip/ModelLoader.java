package ai.candle.clip;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads an encoder model through DJL's {@link Criteria} on the chosen engine, turning each way it
 * can fail into an {@link EncoderLoadException} that says what to do, with the cause kept.
 */
final class ModelLoader {

  /**
   * Why each engine that failed to load failed the first time. A failed class initialiser is never
   * retried by the JVM, and later attempts only say "could not initialize class", so the first,
   * informative cause (e.g. which native library is missing) is kept for them.
   */
  private static final Map<EncoderEngine, String> FIRST_FAILURE = new ConcurrentHashMap<>();

  private ModelLoader() {}

  static <I, O> ZooModel<I, O> load(
      String role,
      Path path,
      EncoderEngine engine,
      Class<I> input,
      Class<O> output,
      Translator<I, O> translator)
      throws EncoderLoadException {
    requireFile(role, path, engine);
    requireEngine(engine);
    Criteria.Builder<I, O> criteria =
        Criteria.builder()
            .setTypes(input, output)
            .optModelPath(path)
            .optEngine(engine.djlName())
            .optTranslator(translator);
    if (engine == EncoderEngine.PYTORCH) {
      // a model traced on a GPU loads on this machine's device
      criteria.optOption("mapLocation", "true");
    }
    try {
      return criteria.build().loadModel();
    } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
      throw new EncoderLoadException(
          path
              + " is not a "
              + role
              + " model that the "
              + engine.djlName()
              + " engine can load; encoder.engine="
              + engine.setting()
              + " reads "
              + engine.format()
              + " (the engine said: "
              + e.getMessage()
              + ")",
          e);
    }
  }

  private static void requireFile(String role, Path path, EncoderEngine engine)
      throws EncoderLoadException {
    if (!Files.exists(path)) {
      throw new EncoderLoadException(
          "No "
              + role
              + " model at "
              + path
              + " (the file does not"
              + " exist). Give the path of "
              + engine.format()
              + " of a "
              + role
              + "; see clip-encoders/README.md, \"Models\"",
          new NoSuchFileException(path.toString()));
    }
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw new EncoderLoadException(
          path + " is not a readable file; the " + role + " model must be " + engine.format(),
          new NoSuchFileException(path.toString()));
    }
  }

  /** The innermost cause (an ExceptionInInitializerError hides the useful message inside). */
  static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? e.toString() : e.getClass().getSimpleName() + " caused by " + root;
  }

  /** The engine, loaded now, so that a missing engine is told apart from a bad model file. */
  static Engine requireEngine(EncoderEngine engine) throws EncoderLoadException {
    if (!Engine.hasEngine(engine.djlName())) {
      throw new EncoderLoadException(
          "The DJL "
              + engine.djlName()
              + " engine is not on the"
              + " class path (encoder.engine="
              + engine.setting()
              + "); it needs "
              + engine.requirement(),
          new IllegalStateException("engines on the class path: " + Engine.getAllEngines()));
    }
    try {
      return Engine.getEngine(engine.djlName());
    } catch (RuntimeException | LinkageError e) {
      // LinkageError: a native library (e.g. TensorRT's libnvinfer) is missing
      throw new EncoderLoadException(
          "The "
              + engine.djlName()
              + " engine is not available on"
              + " this machine (encoder.engine="
              + engine.setting()
              + "): it needs "
              + engine.requirement()
              + ". Loading it failed with: "
              + FIRST_FAILURE.computeIfAbsent(engine, k -> rootCause(e)),
          e);
    }
  }
}
