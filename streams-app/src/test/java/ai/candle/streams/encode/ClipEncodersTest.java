package ai.candle.streams.encode;

import static ai.candle.streams.ingest.IngestFixture.announcement;
import static ai.candle.streams.ingest.IngestFixture.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.clip.EncoderLoadException;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.TextFeatureSource;
import ai.candle.streams.config.EncoderConfig;
import ai.candle.streams.ingest.IngestFixture;
import ai.candle.streams.validation.RejectReason;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLIP encoders of clip-encoders wired into the ingest topology, on its fixtures (tiny
 * random-weight models of CLIP's interfaces, D = 64, and the features make_fixtures.py computed for
 * them in Python).
 */
class ClipEncodersTest {

  static final int D = 64;
  static final Path FIXTURES =
      Path.of(System.getProperty("clip.fixtures", "../clip-encoders/fixtures"));

  @TempDir Path stateDir;

  static String model(String file) {
    return FIXTURES.resolve("models").resolve(file).toString();
  }

  @Test
  void aLabelledImageGivenAsBytesGetsTheTorchScriptEncodersFeatureOfWidthD() throws Exception {
    EncoderConfig config =
        EncoderConfig.load(List.of("--encoder-image-path", model("image_encoder.pt")), Map.of());
    try (ClipEncoders clip = ClipEncoders.load(config, D);
        IngestFixture fx = new IngestFixture(stateDir, clip.encoders(), "--feature-width", "64")) {
      byte[] photo = Files.readAllBytes(FIXTURES.resolve("images").resolve("photo.jpg"));
      fx.pipe(image("img-1", "tench").setImageBytes(ByteBuffer.wrap(photo)).build());

      FeatureRecord record = fx.features.readValue();
      assertEquals("img-1", record.getImageId());
      assertEquals(D, record.getFeature().size());
      float[] expected = expectedRow("image_features.npy", 0); // photo.jpg, by CLIP's pipeline
      for (int i = 0; i < D; i++) {
        assertEquals(expected[i], record.getFeature().get(i), 1e-4, "value " + i);
      }
      assertEquals(1L, fx.counts.readValue());
    }
  }

  /**
   * Issue 21: an imageUri is fetched (http, or file: within its folder) and encoded as its bytes
   * would be.
   */
  @Test
  void aLabelledImageGivenByUriIsFetchedAndEncodedAndABadUriIsDeadLetteredWithWhy()
      throws Exception {
    byte[] photo = Files.readAllBytes(FIXTURES.resolve("images").resolve("photo.jpg"));
    Path folder = Files.createDirectories(stateDir.resolve("images"));
    Path file = Files.write(folder.resolve("photo.jpg"), photo);
    com.sun.net.httpserver.HttpServer server =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/photo.jpg",
        x -> {
          x.sendResponseHeaders(200, photo.length);
          try (java.io.OutputStream out = x.getResponseBody()) {
            out.write(photo);
          }
        });
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    EncoderConfig config =
        EncoderConfig.load(
            List.of(
                "--encoder-image-path",
                model("image_encoder.pt"),
                "--encoder-uri-schemes",
                "http,file",
                "--encoder-uri-file-root",
                folder.toString(),
                "--encoder-uri-max-bytes",
                Integer.toString(photo.length)),
            Map.of());
    try (ClipEncoders clip = ClipEncoders.load(config, D);
        IngestFixture fx =
            new IngestFixture(
                stateDir.resolve("state"), clip.encoders(), "--feature-width", "64")) {
      fx.pipe(image("by-http", "tench").setImageUri(base + "/photo.jpg").build());
      fx.pipe(image("by-file", "tench").setImageUri(file.toUri().toString()).build());
      float[] expected = expectedRow("image_features.npy", 0);
      for (String id : List.of("by-http", "by-file")) {
        FeatureRecord record = fx.features.readValue();
        assertEquals(id, record.getImageId());
        for (int i = 0; i < D; i++) {
          assertEquals(expected[i], record.getFeature().get(i), 1e-4, id + " value " + i);
        }
      }
      fx.pipe(image("missing", "tench").setImageUri(base + "/none.jpg").build());
      fx.pipe(image("ftp", "tench").setImageUri("ftp://127.0.0.1/photo.jpg").build());
      Files.write(folder.resolve("big.jpg"), java.util.Arrays.copyOf(photo, photo.length + 1));
      fx.pipe(
          image("big", "tench").setImageUri(folder.resolve("big.jpg").toUri().toString()).build());
      DeadLetter missing = fx.deadLetters.readValue();
      assertEquals(RejectReason.IMAGE_URI.tag(), missing.getCategory());
      assertEquals("imageUri " + base + "/none.jpg answered HTTP 404", missing.getReason());
      DeadLetter ftp = fx.deadLetters.readValue();
      assertEquals(RejectReason.IMAGE_URI.tag(), ftp.getCategory());
      assertTrue(ftp.getReason().contains("scheme 'ftp' is not fetched here"), ftp.getReason());
      DeadLetter big = fx.deadLetters.readValue();
      assertEquals(RejectReason.TOO_LARGE.tag(), big.getCategory());
      assertTrue(fx.features.isEmpty(), "nothing else became a feature");
      assertEquals(2.0, fx.deadLetterCount(RejectReason.IMAGE_URI));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void announcedClassesGetTheTextEncodersFeatureOrTheEnsembleOfTheTemplates() throws Exception {
    EncoderConfig config =
        EncoderConfig.load(
            List.of(
                "--encoder-text-path",
                model("text_encoder.pt"),
                "--encoder-text-templates",
                "a photo of a {}.|a bad photo of a {}.|a sculpture of a {}.|itap of a {}."),
            Map.of());
    try (ClipEncoders clip = ClipEncoders.load(config, D);
        IngestFixture fx = new IngestFixture(stateDir, clip.encoders(), "--feature-width", "64")) {
      fx.announce(announcement("great_white_shark").build());
      fx.announce(
          announcement("engine").setPrompt("itap of a 4-stroke engine, 2 cylinders.").build());

      List<ClassInfo> classes = fx.classes.readValuesToList();
      ClassInfo shark = classes.get(0);
      assertEquals(TextFeatureSource.ENCODER, shark.getTextFeatureSource());
      assertEquals("a photo of a great white shark.", shark.getPrompt());
      assertClose(expectedRow("ensemble_features.npy", 1), shark.getTextFeature());
      ClassInfo engine = classes.get(1);
      assertEquals(TextFeatureSource.ENCODER, engine.getTextFeatureSource());
      assertClose(expectedRow("text_features.npy", 3), engine.getTextFeature());
    }
  }

  @Test
  void anImageNotEncodedWithinTheDeadlineIsDeadLetteredBusyWithItsBytes() throws Exception {
    EncoderConfig config =
        EncoderConfig.load(
            List.of(
                "--encoder-image-path", model("image_encoder.pt"), "--encoder-deadline-ms", "1"),
            Map.of());
    byte[] large = randomPng(1200, 900); // about 3 MB: decoding alone takes longer than 1 ms
    try (ClipEncoders clip = ClipEncoders.load(config, D);
        IngestFixture fx =
            new IngestFixture(
                stateDir,
                clip.encoders(),
                "--feature-width",
                "64",
                "--record-max-bytes",
                Integer.toString(8 << 20),
                "--dead-letter-max-bytes",
                Integer.toString(8 << 20))) {
      byte[] sent = fx.pipe(image("img-1", "tench").setImageBytes(ByteBuffer.wrap(large)).build());

      DeadLetter letter = fx.deadLetters.readValue();
      assertEquals(RejectReason.ENCODER_BUSY.tag(), letter.getCategory());
      assertTrue(
          letter.getReason().startsWith("image encoder busy: no feature within 1 ms"),
          letter.getReason());
      assertEquals(ByteBuffer.wrap(sent), letter.getOriginalValue());
      assertEquals(ImageEncoderBusyException.class.getName(), letter.getErrorClass());
      assertEquals(1.0, fx.deadLetterCount(RejectReason.ENCODER_BUSY));
      fx.assertNoOutput();
    }
  }

  @Test
  void anEncoderOfAnotherWidthThanTheFeaturesIsAConfigurationError() {
    EncoderConfig config =
        EncoderConfig.load(List.of("--encoder-image-path", model("image_encoder.pt")), Map.of());
    EncoderLoadException e =
        assertThrows(EncoderLoadException.class, () -> ClipEncoders.load(config, 512));
    assertEquals(
        "encoder.image.path: the model gives features of width D = 64 but"
            + " feature.width = 512; set feature.width to 64 (the trainer's and the scorer's features"
            + " must be as wide) or use the CLIP model whose D is 512",
        e.getMessage());
  }

  @Test
  void noEncoderIsConfiguredByDefault() throws Exception {
    try (ClipEncoders none = ClipEncoders.load(EncoderConfig.defaults(), 512)) {
      assertTrue(none.encoders().image().isEmpty());
      assertTrue(none.encoders().text().isEmpty());
    }
  }

  private static void assertClose(float[] expected, List<Float> actual) {
    assertEquals(expected.length, actual.size());
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual.get(i), 1e-4, "value " + i);
    }
  }

  /** Row {@code row} of a float32 [N, 64] .npy file of clip-encoders/fixtures/expected. */
  static float[] expectedRow(String file, int row) {
    try {
      ByteBuffer npy =
          ByteBuffer.wrap(Files.readAllBytes(FIXTURES.resolve("expected").resolve(file)))
              .order(ByteOrder.LITTLE_ENDIAN);
      int data = 10 + Short.toUnsignedInt(npy.getShort(8)); // .npy version 1 header
      float[] out = new float[D];
      for (int i = 0; i < D; i++) {
        out[i] = npy.getFloat(data + 4 * (row * D + i));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] randomPng(int width, int height) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    Random random = new Random(8);
    int[] row = new int[3 * width];
    for (int y = 0; y < height; y++) {
      for (int i = 0; i < row.length; i++) {
        row[i] = random.nextInt(256);
      }
      image.getRaster().setPixels(0, y, width, 1, row);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
