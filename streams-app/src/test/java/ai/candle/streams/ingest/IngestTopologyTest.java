package ai.candle.streams.ingest;

import static ai.candle.streams.ingest.IngestFixture.T0;
import static ai.candle.streams.ingest.IngestFixture.WIDTH;
import static ai.candle.streams.ingest.IngestFixture.image;
import static ai.candle.streams.ingest.IngestFixture.utf8;
import static ai.candle.streams.ingest.IngestFixture.vector;
import static ai.candle.streams.ingest.IngestFixture.withFeature;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ClassStatus;
import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.FeatureRecord;
import ai.candle.schemas.TextFeatureSource;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.encode.ImageDecodeException;
import ai.candle.streams.encode.ImageEncoder;
import ai.candle.streams.encode.ImageFetchException;
import ai.candle.streams.validation.RejectReason;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The valid path: features, exactly-once counts, registration by first image, image encoding. */
class IngestTopologyTest {

  @TempDir Path stateDir;

  /** Decodes with ImageIO; the feature is (width, height, mean red, 1). */
  static final ImageEncoder SIZE_ENCODER =
      new ImageEncoder() {
        @Override
        public float[] encode(byte[] image) throws ImageDecodeException {
          BufferedImage decoded;
          try {
            decoded = ImageIO.read(new ByteArrayInputStream(image));
          } catch (IOException e) {
            throw new ImageDecodeException("unreadable image: " + e.getMessage(), e);
          }
          if (decoded == null) {
            throw new ImageDecodeException("not a PNG, JPEG, GIF or BMP image");
          }
          return new float[] {
            decoded.getWidth(), decoded.getHeight(), (decoded.getRGB(0, 0) >> 16) & 0xFF, 1f
          };
        }
      };

  static byte[] png(int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0x800000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Test
  void aValidFeaturePassesThroughKeyedByClassAndIsCounted() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      List<Float> f1 = vector(0.1f, -2.5f, 3e-8f, 1e30f);
      List<Float> f2 = vector(1, 2, 3, 4);
      fx.pipe(image("img-1", "golden_retriever").setFeature(f1).setSource("cam-1").build());
      fx.pipe(withFeature("img-2", "golden_retriever", f2));
      fx.pipe(withFeature("img-3", "okapi", f2));

      assertEquals(
          List.of(
              KeyValue.pair(
                  "golden_retriever",
                  new FeatureRecord("img-1", "golden_retriever", f1, T0, "cam-1")),
              KeyValue.pair(
                  "golden_retriever", new FeatureRecord("img-2", "golden_retriever", f2, T0, null)),
              KeyValue.pair("okapi", new FeatureRecord("img-3", "okapi", f2, T0, null))),
          fx.features.readKeyValuesToList());
      assertEquals(
          List.of(
              KeyValue.pair("golden_retriever", 1L),
              KeyValue.pair("golden_retriever", 2L),
              KeyValue.pair("okapi", 1L)),
          fx.counts.readKeyValuesToList());
      assertEquals(
          List.of(
              KeyValue.pair("golden_retriever", registeredByImage("golden_retriever", 0)),
              KeyValue.pair("okapi", registeredByImage("okapi", 1))),
          fx.classes.readKeyValuesToList());
      fx.assertNoOutput();
    }
  }

  private static ClassInfo registeredByImage(String name, int index) {
    return new ClassInfo(
        name,
        index,
        ClassStatus.BASE,
        TextFeatureSource.NONE,
        null,
        "a photo of a " + name.replace('_', ' ') + ".",
        List.of(),
        T0);
  }

  @Test
  void countsAreQueryableInTheNamedStore() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      fx.pipe(withFeature("img-1", "cat", vector(1, 2, 3, 4)));
      fx.pipe(withFeature("img-2", "cat", vector(1, 2, 3, 4)));
      fx.pipe(withFeature("img-3", "cat", vector(1, 2, Float.NaN, 4)));

      KeyValueStore<String, Long> counts =
          fx.driver.getKeyValueStore(IngestTopology.CLASS_COUNTS_STORE);
      assertEquals(2L, counts.get("cat"), "only valid records count");
      KeyValueStore<String, ClassInfo> classes =
          fx.driver.getKeyValueStore(IngestTopology.CLASS_REGISTRY_STORE);
      assertEquals(0, classes.get("cat").getIndex());
    }
  }

  @Test
  void anImageIsEncodedWithTheConfiguredEncoder() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.of(SIZE_ENCODER, null))) {
      fx.pipe(image("img-1", "cat").setImageBytes(ByteBuffer.wrap(png(3, 2))).build());

      assertEquals(
          List.of(
              KeyValue.pair(
                  "cat", new FeatureRecord("img-1", "cat", vector(3, 2, 128, 1), T0, null))),
          fx.features.readKeyValuesToList());
      assertEquals(List.of(KeyValue.pair("cat", 1L)), fx.counts.readKeyValuesToList());
      assertEquals(1, fx.classes.readKeyValuesToList().size());
      fx.assertNoOutput();
    }
  }

  @Test
  void anImageThatDoesNotDecodeIsDeadLettered() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.of(SIZE_ENCODER, null))) {
      byte[] bytes =
          fx.pipe(
              image("img-1", "cat").setImageBytes(ByteBuffer.wrap(utf8("not an image"))).build());

      KeyValue<byte[], DeadLetter> letter = fx.deadLetters.readKeyValue();
      assertArrayEquals(utf8("img-1"), letter.key);
      assertEquals(
          IngestFixture.deadLetter(
              "candle.images.labeled",
              0,
              utf8("img-1"),
              bytes,
              ImageDecodeException.class.getName(),
              RejectReason.IMAGE_DECODE,
              "image does not decode: not a PNG, JPEG, GIF or BMP image"),
          letter.value);
      fx.assertNoOutput();
      assertEquals(1.0, fx.deadLetterCount(RejectReason.IMAGE_DECODE));
    }
  }

  @Test
  void anImageUriIsDeadLetteredByAnEncoderThatCannotFetch() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.of(SIZE_ENCODER, null))) {
      byte[] bytes =
          fx.pipe(image("img-1", "cat").setImageUri("http://example.invalid/cat.png").build());

      assertEquals(
          IngestFixture.deadLetter(
              "candle.images.labeled",
              0,
              utf8("img-1"),
              bytes,
              ImageFetchException.class.getName(),
              RejectReason.IMAGE_URI,
              "this image encoder does not fetch image URIs"
                  + " (http://example.invalid/cat.png); send the image bytes instead"),
          fx.deadLetters.readValue());
      fx.assertNoOutput();
    }
  }

  @Test
  void processorsStoresAndInternalTopicsAreNamed() {
    TopologyDescription description =
        IngestTopology.build(
                IngestConfig.load(
                    List.of("--feature-width", Integer.toString(WIDTH)), java.util.Map.of()),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                Encoders.none(),
                Optional.empty())
            .describe();
    String text = description.toString();
    for (String name :
        List.of(
            "validate-labeled-images",
            "validate-announcements",
            "class-registry",
            "class-counts-by-class-repartition",
            "class-registry-events-repartition",
            "stores: [class-counts]",
            "dead-letter-sink")) {
      assertTrue(text.contains(name), name + " missing from\n" + text);
    }
    assertTrue(
        !text.contains("KSTREAM-") && !text.contains("KTABLE-"),
        "every processor is named:\n" + text);
  }
}
