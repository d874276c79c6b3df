package ai.candle.clip;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The image encoder on both CPU engines against make_fixtures.py's features (PyTorch 1.13 in Python
 * on PIL-preprocessed tensors), to 1e-4: TorchScript on PyTorch, ONNX on OnnxRuntime.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClipImageEncoderTest {

  static final Duration DEADLINE = Duration.ofSeconds(30);
  private ClipImageEncoder torch;
  private ClipImageEncoder onnx;
  private float[][] expected;
  private List<String> names;

  @BeforeAll
  void load() throws Exception {
    torch =
        ClipImageEncoder.load(
            Fixtures.imageModel(EncoderEngine.PYTORCH),
            EncoderEngine.PYTORCH,
            ImageEncoderOptions.defaults());
    onnx =
        ClipImageEncoder.load(
            Fixtures.imageModel(EncoderEngine.ONNXRUNTIME),
            EncoderEngine.ONNXRUNTIME,
            ImageEncoderOptions.defaults());
    expected = Fixtures.Npy.read("image_features.npy").floatRows();
    names = Fixtures.imageNames();
  }

  @AfterAll
  void close() {
    torch.close();
    onnx.close();
  }

  private ClipImageEncoder encoder(EncoderEngine engine) {
    return engine == EncoderEngine.PYTORCH ? torch : onnx;
  }

  @ParameterizedTest
  @EnumSource(
      value = EncoderEngine.class,
      names = {"PYTORCH", "ONNXRUNTIME"})
  void imageBytesGiveTheFeaturesOfClipsPipeline(EncoderEngine engine) throws Exception {
    ClipImageEncoder encoder = encoder(engine);
    assertEquals(Fixtures.D, encoder.dimension());
    for (int i = 0; i < names.size(); i++) {
      float[] actual = encoder.encode(Fixtures.image(names.get(i)), DEADLINE);
      double diff = Fixtures.maxAbsDiff(expected[i], actual);
      System.out.printf("IMAGE %s %s: max abs difference %.2e%n", engine, names.get(i), diff);
      assertTrue(diff <= Fixtures.FEATURE_TOLERANCE, names.get(i) + " on " + engine + ": " + diff);
    }
  }

  /**
   * The model alone: PIL's preprocessed pixels (saved by the script) in, the script's features out.
   */
  @ParameterizedTest
  @EnumSource(
      value = EncoderEngine.class,
      names = {"PYTORCH", "ONNXRUNTIME"})
  void pilPreprocessedPixelsGiveTheScriptsFeatures(EncoderEngine engine) throws Exception {
    for (int i = 0; i < names.size(); i++) {
      byte[] pixels = Fixtures.Npy.read("pixels/" + names.get(i) + ".npy").bytes();
      float[] actual = encoder(engine).encode(png224(pixels), DEADLINE);
      assertTrue(
          Fixtures.maxAbsDiff(expected[i], actual) <= Fixtures.FEATURE_TOLERANCE, names.get(i));
    }
  }

  @Test
  void aBatchGivesWhatSingleImagesGive() throws Exception {
    List<CompletableFuture<float[]>> futures = new ArrayList<>();
    for (String name : names) {
      futures.add(torch.submit(Fixtures.image(name)));
    }
    for (int i = 0; i < names.size(); i++) {
      assertArrayEquals(
          torch.encode(Fixtures.image(names.get(i)), DEADLINE),
          futures.get(i).get(),
          1e-6f,
          names.get(i));
    }
    assertEquals(0, torch.pending());
  }

  @Test
  void anUnreadableImageFailsAloneAndTheBatchGoesOn() throws Exception {
    CompletableFuture<float[]> bad = torch.submit(new byte[] {1, 2, 3});
    CompletableFuture<float[]> good = torch.submit(Fixtures.image("photo.jpg"));
    ExecutionException e = assertThrows(ExecutionException.class, bad::get);
    assertInstanceOf(UnreadableImageException.class, e.getCause());
    assertArrayEquals(expected[0], good.get(), 1e-4f);
    UnreadableImageException direct =
        assertThrows(
            UnreadableImageException.class,
            () -> torch.encode(ImageDecoderTest.pngHeaderOnly(50_000, 50_000), DEADLINE));
    assertTrue(
        direct.getMessage().contains("more than the limit of 25000000"), direct.getMessage());
  }

  @Test
  void aThinImageIsRefusedAsUnreadableAndTheWorkerGoesOn() throws Exception {
    // 1 x 25,000,000 is within the pixel limit; resized to CLIP's 224 it would be 224 x 5.6
    // billion, which no array holds
    byte[] thin = PngChunkWriter.zeroImage(1, 25_000_000, 8, PngChunkWriter.GREY, null);
    UnreadableImageException e =
        assertThrows(UnreadableImageException.class, () -> torch.encode(thin, DEADLINE));
    assertTrue(e.getMessage().contains("(encoder.max.aspect.ratio)"), e.getMessage());
    assertArrayEquals(expected[0], torch.encode(Fixtures.image("photo.jpg"), DEADLINE), 1e-4f);
    assertEquals(0, torch.pending());
  }

  @Test
  void noResultWithinTheDeadlineIsBusyAndTheEncoderRecovers() throws Exception {
    EncoderBusyException e =
        assertThrows(
            EncoderBusyException.class,
            () -> torch.encode(Fixtures.image("wide_stripes.png"), Duration.ZERO));
    assertTrue(e.getMessage().startsWith("no feature within 0 ms"), e.getMessage());
    assertArrayEquals(expected[0], torch.encode(Fixtures.image("photo.jpg"), DEADLINE), 1e-4f);
    assertEquals(0, torch.pending());
  }

  @Test
  void aFullQueueRefusesSubmitsAtOnceAndAStuckEncoderFailsFast() throws Exception {
    // one worker, one place in the queue; a large image keeps the worker decoding a while
    byte[] large = largePng(3000, 2000);
    try (ClipImageEncoder small =
        ClipImageEncoder.load(
            Fixtures.imageModel(EncoderEngine.PYTORCH),
            EncoderEngine.PYTORCH,
            ImageEncoderOptions.defaults().withQueueCapacity(1).withBatchSize(1))) {
      List<CompletableFuture<float[]>> accepted = new ArrayList<>();
      EncoderBusyException full =
          assertThrows(
              EncoderBusyException.class,
              () -> {
                for (int i = 0; i < 10; i++) {
                  accepted.add(small.submit(large));
                }
              });
      assertEquals("the image encoder's queue is full (1 images waiting)", full.getMessage());
      assertTrue(accepted.size() <= 2, "accepted " + accepted.size());
      // waited 1 ms in vain: busy; then nothing completed for longer than 1 ms: fails at once
      assertThrows(EncoderBusyException.class, () -> small.encode(large, Duration.ofMillis(1)));
      EncoderBusyException stuck =
          assertThrows(EncoderBusyException.class, () -> small.encode(large, Duration.ofMillis(1)));
      assertTrue(
          stuck.getMessage().startsWith("the image encoder has completed nothing for "),
          stuck.getMessage());
      for (CompletableFuture<float[]> f : accepted) {
        assertEquals(Fixtures.D, f.get().length);
      }
    }
  }

  /**
   * An Error (out of memory decoding a large image, say) fails its image, at once for {@code
   * encode}'s caller too, and the worker goes on. Thrown by a test hook where decoding starts: no
   * real input makes real code throw one.
   */
  @Test
  void anErrorOnAnImageFailsThatImageAndTheWorkerGoesOn() throws Exception {
    byte[] doomed = Fixtures.image("grey_tall.png");
    Error error = new OutOfMemoryError("thrown by the test");
    ClipImageEncoder.Hooks hooks =
        new ClipImageEncoder.Hooks() {
          @Override
          public void beforeImage(byte[] image) {
            if (Arrays.equals(image, doomed)) {
              throw error;
            }
          }
        };
    try (ClipImageEncoder encoder = withHooks(hooks)) {
      CompletableFuture<float[]> failed = encoder.submit(doomed);
      CompletableFuture<float[]> good = encoder.submit(Fixtures.image("photo.jpg"));
      EncoderFailedException e = failure(failed);
      assertSame(error, e.getCause());
      assertEquals(
          "the CLIP image encoder failed decoding or preprocessing an image:"
              + " java.lang.OutOfMemoryError: thrown by the test",
          e.getMessage());
      assertArrayEquals(expected[0], good.get(30, SECONDS), 1e-4f);
      EncoderFailedException direct =
          assertThrows(EncoderFailedException.class, () -> encoder.encode(doomed, DEADLINE));
      assertSame(error, direct.getCause().getCause());
      assertEquals(0, encoder.pending());
      assertArrayEquals(expected[0], encoder.encode(Fixtures.image("photo.jpg"), DEADLINE), 1e-4f);
    }
  }

  /**
   * An Error from the model (a LinkageError from an engine's native library, say) fails every image
   * of its batch, as an exception does, and the worker goes on. Thrown by a test hook just before
   * the model runs.
   */
  @Test
  void anErrorFromTheModelFailsItsBatchAndTheWorkerGoesOn() throws Exception {
    Error error = new NoSuchMethodError("thrown by the test");
    AtomicBoolean modelFails = new AtomicBoolean(true);
    List<Integer> failedBatches = new CopyOnWriteArrayList<>();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch queued = new CountDownLatch(1);
    ClipImageEncoder.Hooks hooks =
        new ClipImageEncoder.Hooks() {
          @Override
          public void beforeImage(byte[] image) {
            // the worker holds its first batch (one image) until the others wait: they make one
            // batch
            if (holding.getCount() == 1) {
              holding.countDown();
              await(queued);
            }
          }

          @Override
          public void beforeModel(int size) {
            if (modelFails.get()) {
              failedBatches.add(size);
              throw error;
            }
          }
        };
    try (ClipImageEncoder encoder = withHooks(hooks)) {
      List<CompletableFuture<float[]>> futures = new ArrayList<>();
      futures.add(encoder.submit(Fixtures.image("photo.jpg")));
      await(holding);
      for (String name : names) {
        futures.add(encoder.submit(Fixtures.image(name)));
      }
      queued.countDown();
      for (CompletableFuture<float[]> future : futures) {
        EncoderFailedException e = failure(future);
        assertSame(error, e.getCause());
        assertTrue(
            e.getMessage()
                .endsWith(" images: java.lang.NoSuchMethodError: thrown by the" + " test"),
            e.getMessage());
      }
      assertEquals(List.of(1, names.size()), failedBatches);
      assertEquals(0, encoder.pending());
      modelFails.set(false);
      assertArrayEquals(expected[0], encoder.encode(Fixtures.image("photo.jpg"), DEADLINE), 1e-4f);
    }
  }

  private static ClipImageEncoder withHooks(ClipImageEncoder.Hooks hooks) throws Exception {
    return ClipImageEncoder.load(
        Fixtures.imageModel(EncoderEngine.PYTORCH),
        EncoderEngine.PYTORCH,
        ImageEncoderOptions.defaults(),
        hooks);
  }

  /** The future's failure; a future never completed (a dead worker) fails the test in 30 s. */
  private static EncoderFailedException failure(CompletableFuture<float[]> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(30, SECONDS));
    return assertInstanceOf(EncoderFailedException.class, e.getCause());
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(30, SECONDS), "waited 30 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void aClosedEncoderRefuses() throws Exception {
    ClipImageEncoder closed =
        ClipImageEncoder.load(
            Fixtures.imageModel(EncoderEngine.PYTORCH),
            EncoderEngine.PYTORCH,
            ImageEncoderOptions.defaults());
    closed.close();
    assertEquals(
        "the image encoder is closed",
        assertThrows(
                EncoderBusyException.class,
                () -> closed.encode(Fixtures.image("photo.jpg"), DEADLINE))
            .getMessage());
  }

  /** 224 × 224 RGB pixels as a PNG: preprocessing leaves them as they are (no resize, no crop). */
  static byte[] png224(byte[] rgb) throws IOException {
    BufferedImage image = new BufferedImage(224, 224, BufferedImage.TYPE_3BYTE_BGR);
    int[] samples = new int[rgb.length];
    for (int i = 0; i < rgb.length; i++) {
      samples[i] = rgb[i] & 0xff;
    }
    image.getRaster().setPixels(0, 0, 224, 224, samples);
    return png(image);
  }

  static byte[] largePng(int width, int height) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    java.util.Random random = new java.util.Random(8);
    int[] row = new int[3 * width];
    for (int y = 0; y < height; y++) {
      for (int i = 0; i < row.length; i++) {
        row[i] = random.nextInt(256);
      }
      image.getRaster().setPixels(0, y, width, 1, row);
    }
    return png(image);
  }

  private static byte[] png(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
