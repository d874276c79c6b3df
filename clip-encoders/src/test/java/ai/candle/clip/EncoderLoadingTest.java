package ai.candle.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** What a user who configured an encoder wrongly is told; the cause is always kept. */
class EncoderLoadingTest {

  @Test
  void aMissingModelFileSaysSoAndWhatToGive() {
    Path missing = Fixtures.model("no_such_encoder.pt");
    EncoderLoadException e =
        assertThrows(
            EncoderLoadException.class,
            () ->
                ClipImageEncoder.load(
                    missing, EncoderEngine.PYTORCH, ImageEncoderOptions.defaults()));
    assertEquals(
        "No CLIP image encoder model at "
            + missing
            + " (the file does not exist)."
            + " Give the path of a TorchScript file (torch.jit.trace(model, example).save("
            + "\"encoder.pt\")) of a CLIP image encoder; see clip-encoders/README.md, \"Models\"",
        e.getMessage());
    assertInstanceOf(NoSuchFileException.class, e.getCause());
  }

  @Test
  void aDirectoryIsNotAModelFile() {
    EncoderLoadException e =
        assertThrows(
            EncoderLoadException.class,
            () -> ClipTextEncoder.load(Fixtures.dir(), EncoderEngine.ONNXRUNTIME));
    assertTrue(
        e.getMessage()
            .endsWith(
                " is not a readable file; the CLIP text encoder model"
                    + " must be an ONNX file (torch.onnx.export(model, example, \"encoder.onnx\","
                    + " dynamic_axes={<input>: {0: \"n\"}}))"),
        e.getMessage());
  }

  @Test
  void aFileThatIsNoModelOfTheEngineSaysWhichFormatTheEngineReads() {
    Path png = Fixtures.dir().resolve("images").resolve("photo.jpg");
    EncoderLoadException torch =
        assertThrows(
            EncoderLoadException.class,
            () ->
                ClipImageEncoder.load(png, EncoderEngine.PYTORCH, ImageEncoderOptions.defaults()));
    assertTrue(
        torch
            .getMessage()
            .startsWith(
                png
                    + " is not a CLIP image encoder model that the"
                    + " PyTorch engine can load; encoder.engine=pytorch reads a TorchScript file"),
        torch.getMessage());
    assertTrue(torch.getCause() != null);
    // an ONNX file given to the PyTorch engine, and the other way round
    Path onnx = Fixtures.imageModel(EncoderEngine.ONNXRUNTIME);
    EncoderLoadException swapped =
        assertThrows(
            EncoderLoadException.class,
            () ->
                ClipImageEncoder.load(onnx, EncoderEngine.PYTORCH, ImageEncoderOptions.defaults()));
    assertTrue(
        swapped.getMessage().startsWith(onnx + " is not a CLIP image encoder model"),
        swapped.getMessage());
    Path pt = Fixtures.textModel(EncoderEngine.PYTORCH);
    EncoderLoadException other =
        assertThrows(
            EncoderLoadException.class, () -> ClipTextEncoder.load(pt, EncoderEngine.ONNXRUNTIME));
    assertTrue(
        other
            .getMessage()
            .startsWith(
                pt
                    + " is not a CLIP text encoder model that the"
                    + " OnnxRuntime engine can load; encoder.engine=onnxruntime reads an ONNX file"),
        other.getMessage());
  }

  @Test
  void aTextModelGivenAsTheImageModelDoesNotBehaveAsOne() {
    for (EncoderEngine engine :
        new EncoderEngine[] {EncoderEngine.PYTORCH, EncoderEngine.ONNXRUNTIME}) {
      Path text = Fixtures.textModel(engine);
      EncoderLoadException e =
          assertThrows(
              EncoderLoadException.class,
              () -> ClipImageEncoder.load(text, engine, ImageEncoderOptions.defaults()));
      assertTrue(
          e.getMessage()
              .startsWith(
                  text
                      + " loaded, but it does not behave as a CLIP"
                      + " image encoder: a batch of 2 blank images failed. It must take float32"
                      + " [N, 3, 224, 224]"),
          e.getMessage());
      Path image = Fixtures.imageModel(engine);
      EncoderLoadException t =
          assertThrows(EncoderLoadException.class, () -> ClipTextEncoder.load(image, engine));
      assertTrue(
          t.getMessage()
              .startsWith(image + " loaded, but it does not behave as a CLIP" + " text encoder"),
          t.getMessage());
    }
  }

  /**
   * No GPU and no TensorRT libraries here (nor in CI): the engine is on the class path but cannot
   * load. Where TensorRT does load, this test is skipped (it is about its absence).
   */
  @Test
  void tensorRtWithoutItsLibrariesSaysWhatItNeeds() {
    Path onnx = Fixtures.imageModel(EncoderEngine.ONNXRUNTIME);
    EncoderLoadException e =
        assertThrows(
            EncoderLoadException.class,
            () -> {
              try (ClipImageEncoder loaded =
                  ClipImageEncoder.load(
                      onnx, EncoderEngine.TENSORRT, ImageEncoderOptions.defaults())) {
                Assumptions.abort(
                    "TensorRT loads on this machine (D = " + loaded.dimension() + ")");
              }
            });
    System.out.println("TENSORRT " + e.getMessage());
    assertTrue(
        e.getMessage()
            .startsWith(
                "The TensorRT engine is not available on this machine"
                    + " (encoder.engine=tensorrt): it needs an NVIDIA GPU with its CUDA driver and the"
                    + " TensorRT 8 libraries (libnvinfer.so.8, libnvonnxparser.so.8;"),
        e.getMessage());
    assertTrue(e.getMessage().contains("use encoder.engine=pytorch or onnxruntime"));
    assertTrue(e.getMessage().contains("cannot open shared object file"), e.getMessage());
    assertTrue(e.getCause() != null);
    // the engine's class failed to initialise once; a second try must say the same
    EncoderLoadException again =
        assertThrows(
            EncoderLoadException.class,
            () ->
                ClipTextEncoder.load(
                    Fixtures.textModel(EncoderEngine.ONNXRUNTIME), EncoderEngine.TENSORRT));
    System.out.println("TENSORRT again " + again.getMessage());
    assertTrue(again.getMessage().contains("cannot open shared object file"), again.getMessage());
  }

  @Test
  void pyTorchStaysDjlsDefaultEngineWithTheOthersOnTheClassPath() {
    assertTrue(Engine.hasEngine("OnnxRuntime"));
    assertTrue(Engine.hasEngine("TensorRT"));
    assertEquals("PyTorch", Engine.getDefaultEngineName());
  }

  @Test
  void engineNamesAreTheSettingsNames() {
    assertEquals(EncoderEngine.ONNXRUNTIME, EncoderEngine.parse(" OnnxRuntime "));
    assertEquals(EncoderEngine.TENSORRT, EncoderEngine.parse("tensorrt"));
    assertEquals(
        "unknown encoder engine 'tf'; one of: pytorch, onnxruntime, tensorrt",
        assertThrows(IllegalArgumentException.class, () -> EncoderEngine.parse("tf")).getMessage());
  }
}
