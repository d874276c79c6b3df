package ai.candle.streams.it;

import ai.candle.schemas.AvroSerde;
import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.SchemaHistory;
import ai.candle.schemas.TopicNames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * The records of the hostile-input test, generated from a seed: for each input topic, {@code
 * malformed} records spread over every {@link Hostility} that applies to it, and valid records
 * interleaved with them (a seeded shuffle; the records of about 1 MB come in one burst, so that
 * they meet in the app's buffers).
 */
final class HostileRecords {

  /** The three input topics. */
  enum Input {
    LABELED,
    UNLABELED,
    ANNOUNCEMENT;

    String topic(TopicNames names) {
      return switch (this) {
        case LABELED -> names.labeledImages();
        case UNLABELED -> names.unlabeledImages();
        case ANNOUNCEMENT -> names.classAnnouncements();
      };
    }
  }

  /**
   * What is wrong with a malformed record; {@link #categories} are the dead-letter categories it
   * may get.
   */
  enum Hostility {
    RANDOM_BYTES,
    EMPTY_VALUE,
    TOMBSTONE,
    TRUNCATED_AVRO,
    OTHER_TYPE,
    FUTURE_SCHEMA,
    GARBLED_HEADER,
    DECLARED_HUGE_ARRAY,
    HUGE_FEATURE,
    WRONG_WIDTH,
    NON_FINITE,
    TEXT_1MB,
    TEXT_CONTROL,
    TEXT_EMPTY,
    ID_1MB,
    ID_CONTROL,
    PROMPT,
    NOT_IMAGE,
    FAKE_HEADER,
    ZIP_BOMB,
    THIN_IMAGE,
    IMAGE_URI,
    SOURCE_CHOICE,
    HUGE_KEY;

    /** Records of about 1 MB: few of them, in one burst. */
    boolean heavy() {
      return this == TEXT_1MB || this == ID_1MB || this == HUGE_KEY;
    }

    boolean appliesTo(Input input) {
      return switch (this) {
        case TEXT_1MB, TEXT_CONTROL, TEXT_EMPTY -> input != Input.UNLABELED;
        case ID_1MB,
            ID_CONTROL,
            NOT_IMAGE,
            FAKE_HEADER,
            ZIP_BOMB,
            THIN_IMAGE,
            IMAGE_URI,
            SOURCE_CHOICE ->
            input != Input.ANNOUNCEMENT;
        case PROMPT -> input == Input.ANNOUNCEMENT;
        default -> true;
      };
    }

    Set<String> categories(Input input) {
      boolean announcement = input == Input.ANNOUNCEMENT;
      return switch (this) {
        case RANDOM_BYTES,
            EMPTY_VALUE,
            TOMBSTONE,
            TRUNCATED_AVRO,
            OTHER_TYPE,
            FUTURE_SCHEMA,
            GARBLED_HEADER,
            DECLARED_HUGE_ARRAY ->
            Set.of("not_schema");
        case HUGE_FEATURE -> Set.of("width", "too_large");
        case WRONG_WIDTH -> Set.of("width");
        case NON_FINITE -> Set.of("non_finite");
        case TEXT_1MB -> Set.of(announcement ? "too_large" : "label");
        case TEXT_CONTROL, TEXT_EMPTY -> Set.of("label");
        case ID_1MB, ID_CONTROL -> Set.of("id");
        case PROMPT -> Set.of("prompt");
        case NOT_IMAGE, FAKE_HEADER, ZIP_BOMB, THIN_IMAGE -> Set.of("image_decode");
        // no image URI is fetched unless encoder.uri.schemes names its scheme (none by default)
        case IMAGE_URI -> Set.of("image_uri");
        case SOURCE_CHOICE -> Set.of("image_feature_choice");
        case HUGE_KEY -> Set.of(announcement ? "too_large" : "not_schema");
      };
    }

    /** What the dead letter's reason must name (the limit that applied), or null. */
    String reasonNames() {
      return this == THIN_IMAGE ? "(encoder.max.aspect.ratio)" : null;
    }
  }

  /**
   * One record to send; {@code hostility} is null for a valid one, whose {@code id} and {@code
   * label} are known.
   */
  record Planned(
      Input input, byte[] key, byte[] value, Hostility hostility, String id, String label) {

    boolean valid() {
      return hostility == null;
    }
  }

  static final int HEAVY_PER_KIND = 15;
  static final int HUGE_FEATURES = 60;
  static final String LONG_TEXT_UNIT = "hostile-1mb-";

  private static final List<String> CONTROL =
      List.of("\u0000", "\n", "\r", "\t", "\u001b[31m", "\u007f", "\u0085", "\u0007", "\u009b");
  private static final AvroSerde<LabeledImage> LABELED = AvroSerde.of(LabeledImage.class);
  private static final AvroSerde<ImageToScore> UNLABELED = AvroSerde.of(ImageToScore.class);
  private static final AvroSerde<ClassAnnouncement> ANNOUNCEMENTS =
      AvroSerde.of(ClassAnnouncement.class);
  private static final Schema LABELED_V1 =
      SchemaHistory.previousVersions(LabeledImage.getClassSchema()).get(0);
  private static final BinaryMessageEncoder<GenericRecord> V1_ENCODER =
      new BinaryMessageEncoder<>(GenericData.get(), LABELED_V1);
  private static final Map<Input, Schema> NEXT_VERSIONS = new EnumMap<>(Input.class);
  private static final Map<Input, BinaryMessageEncoder<GenericRecord>> FUTURE_ENCODERS =
      new EnumMap<>(Input.class);
  private static final Map<Input, Long> FINGERPRINTS = new EnumMap<>(Input.class);

  static {
    for (Input input : Input.values()) {
      NEXT_VERSIONS.put(input, nextVersion(input));
      FUTURE_ENCODERS.put(
          input, new BinaryMessageEncoder<>(GenericData.get(), NEXT_VERSIONS.get(input)));
      FINGERPRINTS.put(input, SchemaNormalization.parsingFingerprint64(schema(input)));
    }
  }

  private final Random random;
  private final int width;
  private final HostileImages images;
  private final List<String> classes;
  private final Instant now = Instant.parse("2026-01-01T00:00:00Z");

  HostileRecords(long seed, int width, HostileImages images, List<String> classes) {
    this.random = new Random(seed);
    this.width = width;
    this.images = images;
    this.classes = List.copyOf(classes);
  }

  /**
   * {@code malformed} hostile records and {@code valid} valid ones for {@code input}, interleaved.
   */
  List<Planned> generate(Input input, int malformed, int valid) {
    List<Hostility> kinds =
        Arrays.stream(Hostility.values()).filter(h -> h.appliesTo(input)).toList();
    List<Hostility> light =
        kinds.stream().filter(h -> !h.heavy() && h != Hostility.HUGE_FEATURE).toList();
    List<Planned> heavy = new ArrayList<>();
    List<Planned> rest = new ArrayList<>();
    int n = 0;
    for (Hostility h : kinds) {
      if (h.heavy()) {
        for (int i = 0; i < HEAVY_PER_KIND; i++, n++) {
          heavy.add(malformed(input, h, n));
        }
      } else if (h == Hostility.HUGE_FEATURE) {
        for (int i = 0; i < HUGE_FEATURES; i++, n++) {
          rest.add(malformed(input, h, n));
        }
      }
    }
    for (int i = 0; n < malformed; i++, n++) {
      rest.add(malformed(input, light.get(i % light.size()), n));
    }
    for (int i = 0; i < valid; i++) {
      rest.add(valid(input, i, valid));
    }
    Collections.shuffle(rest, random);
    rest.addAll(random.nextInt(rest.size() / 2) + rest.size() / 4, heavy);
    return rest;
  }

  /** Hostility counts of a generated list. */
  static Map<Hostility, Integer> counts(List<Planned> planned) {
    Map<Hostility, Integer> out = new EnumMap<>(Hostility.class);
    planned.stream()
        .filter(p -> !p.valid())
        .forEach(p -> out.merge(p.hostility(), 1, Integer::sum));
    return out;
  }

  // ---- valid records

  private Planned valid(Input input, int i, int valid) {
    String id = String.format("valid-%s-%05d", input.name().toLowerCase(), i);
    return switch (input) {
      case LABELED -> {
        String label = classes.get(longTailed());
        LabeledImage.Builder b =
            LabeledImage.newBuilder()
                .setId(id)
                .setEventTime(now.plusMillis(i))
                .setLabel(label)
                .setSource("hostile-it");
        int kind = i % 20;
        if (kind < 2 && i < valid / 4) { // a few just under the pixel limit, early on
          b.setImageBytes(ByteBuffer.wrap(images.large(random)));
        } else if (kind == 2) {
          b.setFeature(extremeFeature());
        } else if (kind < 8) {
          b.setFeature(feature());
        } else if (kind < 10) { // written with version 1 of the schema, which the app still reads
          yield new Planned(input, utf8(id), labeledV1(id, label, feature()), null, id, label);
        } else {
          b.setImageBytes(ByteBuffer.wrap(images.fixture(random)));
        }
        yield new Planned(input, utf8(id), LABELED.encode(b.build()), null, id, label);
      }
      case UNLABELED -> {
        ImageToScore.Builder b =
            ImageToScore.newBuilder().setId(id).setEventTime(now.plusMillis(i));
        int kind = i % 20;
        if (kind < 2 && i < valid / 4) {
          b.setImageBytes(ByteBuffer.wrap(images.large(random)));
        } else if (kind == 2) {
          b.setFeature(extremeFeature());
        } else if (kind < 10) {
          b.setFeature(feature());
        } else {
          b.setImageBytes(ByteBuffer.wrap(images.fixture(random)));
        }
        yield new Planned(input, utf8(id), UNLABELED.encode(b.build()), null, id, null);
      }
      case ANNOUNCEMENT -> {
        String name = String.format("hostile_announced_%03d", i);
        ClassAnnouncement.Builder b = ClassAnnouncement.newBuilder().setName(name);
        switch (i % 4) {
          case 0 -> b.setTextFeature(i % 8 == 0 ? feature() : extremeFeature());
          case 1 ->
              b.setPrompt("a photo of a " + name.replace('_', ' ') + ", seen in a fuzz test.");
          case 2 ->
              b.setPromptTemplate("a blurry photo of a {}.").setAliases(List.of(name + " alias"));
          default -> {}
        }
        yield new Planned(input, utf8(name), ANNOUNCEMENTS.encode(b.build()), null, name, name);
      }
    };
  }

  /**
   * Class i with probability about 1/(i+1) (a long tail); every class gets its first images early
   * enough.
   */
  private int longTailed() {
    double total = 0;
    for (int c = 0; c < classes.size(); c++) {
      total += 1.0 / (c + 1);
    }
    double u = random.nextDouble() * total;
    for (int c = 0; c < classes.size(); c++) {
      u -= 1.0 / (c + 1);
      if (u <= 0) {
        return c;
      }
    }
    return classes.size() - 1;
  }

  // ---- malformed records

  private Planned malformed(Input input, Hostility h, int n) {
    String id = String.format("hostile-%s-%05d", input.name().toLowerCase(), n);
    byte[] key =
        switch (n % 10) {
          case 0 -> null;
          case 1 -> HostileImages.randomBytes(random, 1 + random.nextInt(40));
          default -> utf8(id);
        };
    if (h == Hostility.HUGE_KEY) {
      boolean announcement = input == Input.ANNOUNCEMENT;
      key =
          HostileImages.randomBytes(
              random, announcement ? 40_000 : 600_000 + random.nextInt(100_000));
      byte[] value =
          HostileImages.randomBytes(
              random, announcement ? 30_000 : 200_000 + random.nextInt(100_000));
      return new Planned(input, key, value, h, id, null);
    }
    return new Planned(input, key, value(input, h, id), h, id, null);
  }

  private byte[] value(Input input, Hostility h, String id) {
    return switch (h) {
      case RANDOM_BYTES -> HostileImages.randomBytes(random, 1 + random.nextInt(3_000));
      case EMPTY_VALUE -> new byte[0];
      case TOMBSTONE -> null;
      case TRUNCATED_AVRO -> {
        byte[] whole = wellFormed(input, id);
        yield Arrays.copyOf(whole, 1 + random.nextInt(whole.length - 1));
      }
      case OTHER_TYPE -> otherType(input, id);
      case FUTURE_SCHEMA -> futureVersion(input, id);
      case GARBLED_HEADER -> garbled(wellFormed(input, id));
      case DECLARED_HUGE_ARRAY -> declaredHugeArray(input, id);
      case HUGE_FEATURE ->
          withFeature(
              input,
              id,
              input == Input.ANNOUNCEMENT
                  ? values(10_000 + random.nextInt(20_000), 1f)
                  : values(20_000 + random.nextInt(80_000), 1f));
      case WRONG_WIDTH ->
          withFeature(
              input,
              id,
              values(
                  random.nextBoolean()
                      ? random.nextInt(width)
                      : width + 1 + random.nextInt(3 * width),
                  1f));
      case NON_FINITE -> {
        List<Float> f = feature();
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        f.set(random.nextInt(width), bad[random.nextInt(bad.length)]);
        yield withFeature(input, id, f);
      }
      case TEXT_1MB ->
          withText(input, id, LONG_TEXT_UNIT.repeat(1_000_000 / LONG_TEXT_UNIT.length()));
      case TEXT_CONTROL -> withText(input, id, controlled("hostile class"));
      case TEXT_EMPTY -> withText(input, id, random.nextBoolean() ? "" : " \u3000 ");
      case ID_1MB -> withId(input, LONG_TEXT_UNIT.repeat(1_000_000 / LONG_TEXT_UNIT.length()));
      case ID_CONTROL -> withId(input, random.nextInt(5) == 0 ? "" : controlled(id));
      case PROMPT -> prompt(id);
      case NOT_IMAGE -> withImage(input, id, images.notAnImage(random));
      case FAKE_HEADER -> withImage(input, id, images.fakeHeader(random));
      case ZIP_BOMB -> withImage(input, id, images.bomb(random));
      case THIN_IMAGE -> withImage(input, id, images.thin(random));
      case IMAGE_URI ->
          input == Input.LABELED
              ? LABELED.encode(
                  labeled(id).setImageUri("http://169.254.169.254/latest/meta-data/").build())
              : UNLABELED.encode(unlabeled(id).setImageUri("file:///etc/passwd").build());
      case SOURCE_CHOICE -> sources(input, id);
      case HUGE_KEY -> throw new IllegalArgumentException("made by malformed()");
    };
  }

  /** None of image bytes, image URI and feature, or two or three of them. */
  private byte[] sources(Input input, String id) {
    int choice = random.nextInt(4);
    ByteBuffer image = choice == 1 || choice == 3 ? ByteBuffer.wrap(images.fixture(random)) : null;
    String uri = choice == 2 || choice == 3 ? "http://example.com/x.png" : null;
    List<Float> feature = choice == 0 ? null : feature();
    return input == Input.LABELED
        ? LABELED.encode(
            labeled(id).setImageBytes(image).setImageUri(uri).setFeature(feature).build())
        : UNLABELED.encode(
            unlabeled(id).setImageBytes(image).setImageUri(uri).setFeature(feature).build());
  }

  /** A text with a control character somewhere in it. */
  private String controlled(String text) {
    int at = random.nextInt(text.length() + 1);
    return text.substring(0, at) + CONTROL.get(random.nextInt(CONTROL.size())) + text.substring(at);
  }

  private LabeledImage.Builder labeled(String id) {
    return LabeledImage.newBuilder().setId(id).setEventTime(now).setLabel(classes.get(0));
  }

  private ImageToScore.Builder unlabeled(String id) {
    return ImageToScore.newBuilder().setId(id).setEventTime(now);
  }

  private ClassAnnouncement.Builder announcement(String name) {
    return ClassAnnouncement.newBuilder().setName(name);
  }

  /**
   * A well-formed, valid record of the input's type (the base of truncations and garbled headers).
   */
  private byte[] wellFormed(Input input, String id) {
    return switch (input) {
      case LABELED -> LABELED.encode(labeled(id).setFeature(feature()).build());
      case UNLABELED -> UNLABELED.encode(unlabeled(id).setFeature(feature()).build());
      case ANNOUNCEMENT ->
          ANNOUNCEMENTS.encode(
              announcement("hostile_" + id.replace('-', '_'))
                  .setPrompt("a photo of something hostile.")
                  .setAliases(List.of("a", "b"))
                  .setTextFeature(feature())
                  .build());
    };
  }

  /** A valid record of another input's type: well-formed Avro, the wrong schema. */
  private byte[] otherType(Input input, String id) {
    return switch (input) {
      case LABELED -> wellFormed(Input.UNLABELED, id);
      case UNLABELED -> wellFormed(random.nextBoolean() ? Input.LABELED : Input.ANNOUNCEMENT, id);
      case ANNOUNCEMENT -> wellFormed(Input.LABELED, id);
    };
  }

  private byte[] withFeature(Input input, String id, List<Float> feature) {
    return switch (input) {
      case LABELED -> LABELED.encode(labeled(id).setFeature(feature).build());
      case UNLABELED -> UNLABELED.encode(unlabeled(id).setFeature(feature).build());
      case ANNOUNCEMENT ->
          ANNOUNCEMENTS.encode(
              announcement("hostile_feature_" + id.replace('-', '_'))
                  .setTextFeature(feature)
                  .build());
    };
  }

  private byte[] withText(Input input, String id, String text) {
    if (input == Input.ANNOUNCEMENT) {
      ClassAnnouncement.Builder b =
          random.nextInt(3) == 0
              ? announcement("hostile_alias_" + id.replace('-', '_'))
                  .setAliases(List.of("fine", text))
              : announcement(text);
      return ANNOUNCEMENTS.encode(b.setTextFeature(feature()).build());
    }
    return LABELED.encode(labeled(id).setLabel(text).setFeature(feature()).build());
  }

  private byte[] withId(Input input, String id) {
    return input == Input.LABELED
        ? LABELED.encode(labeled(id).setFeature(feature()).build())
        : UNLABELED.encode(unlabeled(id).setFeature(feature()).build());
  }

  private byte[] withImage(Input input, String id, byte[] image) {
    return input == Input.LABELED
        ? LABELED.encode(labeled(id).setImageBytes(ByteBuffer.wrap(image)).build())
        : UNLABELED.encode(unlabeled(id).setImageBytes(ByteBuffer.wrap(image)).build());
  }

  private byte[] prompt(String id) {
    ClassAnnouncement.Builder b = announcement("hostile_prompt_" + id.replace('-', '_'));
    switch (random.nextInt(5)) {
      case 0 -> b.setPromptTemplate("a photo without a placeholder");
      case 1 -> b.setPromptTemplate(controlled("a photo of a {}."));
      case 2 -> b.setPrompt(controlled("a photo of a hostile class."));
      case 3 -> b.setPrompt("a photo of a very long prompt ".repeat(200));
      default -> b.setPrompt("   ");
    }
    return ANNOUNCEMENTS.encode(b.build());
  }

  /** Marker version bumped, the fingerprint's bits flipped, or no header at all. */
  private byte[] garbled(byte[] bytes) {
    byte[] out = bytes.clone();
    switch (random.nextInt(3)) {
      case 0 -> out[1] = (byte) (2 + random.nextInt(200));
      case 1 -> out[2 + random.nextInt(8)] ^= (byte) (1 << random.nextInt(8));
      default -> {
        return Arrays.copyOfRange(bytes, 10, bytes.length);
      }
    }
    return out;
  }

  /**
   * A record of the current schema's fingerprint whose array declares 1.5 billion items and holds
   * three.
   */
  private byte[] declaredHugeArray(Input input, String id) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0xC3, 0x01});
    out.writeBytes(
        ByteBuffer.allocate(8)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(FINGERPRINTS.get(input))
            .array());
    BinaryEncoder avro = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      switch (input) {
        case LABELED -> {
          avro.writeString(id);
          avro.writeLong(now.toEpochMilli());
          avro.writeString(classes.get(0));
          avro.writeIndex(0);
          avro.writeIndex(0);
          avro.writeIndex(1);
          hugeFloatArray(avro);
          avro.writeIndex(0);
        }
        case UNLABELED -> {
          avro.writeString(id);
          avro.writeLong(now.toEpochMilli());
          avro.writeIndex(0);
          avro.writeIndex(0);
          avro.writeIndex(1);
          hugeFloatArray(avro);
        }
        case ANNOUNCEMENT -> {
          avro.writeString("hostile_huge_aliases");
          avro.writeIndex(0);
          avro.writeIndex(0);
          avro.writeArrayStart();
          avro.setItemCount(1_500_000_000L);
          avro.startItem();
          avro.writeString("one");
          avro.writeArrayEnd();
          avro.writeIndex(0);
        }
      }
      avro.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void hugeFloatArray(BinaryEncoder avro) throws IOException {
    avro.writeArrayStart();
    avro.setItemCount(1_500_000_000L);
    for (int i = 0; i < 3; i++) {
      avro.startItem();
      avro.writeFloat(1f);
    }
    avro.writeArrayEnd();
  }

  /** The input's schema with one more field: a version this reader has never seen. */
  private static Schema nextVersion(Input input) {
    Schema current = schema(input);
    List<Schema.Field> fields = new ArrayList<>();
    current.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
    fields.add(
        new Schema.Field(
            "hostileExtra", Schema.create(Schema.Type.INT), "added by a newer producer", 0));
    return Schema.createRecord(
        current.getName(), current.getDoc(), current.getNamespace(), false, fields);
  }

  private static Schema schema(Input input) {
    return switch (input) {
      case LABELED -> LabeledImage.getClassSchema();
      case UNLABELED -> ImageToScore.getClassSchema();
      case ANNOUNCEMENT -> ClassAnnouncement.getClassSchema();
    };
  }

  /** The input's record written with an invented next version of its schema (one more field). */
  private byte[] futureVersion(Input input, String id) {
    Schema next = NEXT_VERSIONS.get(input);
    GenericRecord record = new GenericData.Record(next);
    switch (input) {
      case LABELED -> {
        record.put("id", id);
        record.put("eventTime", now.toEpochMilli());
        record.put("label", classes.get(0));
        record.put("feature", feature());
      }
      case UNLABELED -> {
        record.put("id", id);
        record.put("eventTime", now.toEpochMilli());
        record.put("feature", feature());
      }
      case ANNOUNCEMENT -> {
        record.put("name", "hostile_future_" + id.replace('-', '_'));
        record.put("aliases", List.of());
      }
    }
    record.put("hostileExtra", 7);
    return encodeGeneric(FUTURE_ENCODERS.get(input), record);
  }

  /** A labelled image written with version 1 of LabeledImage (no 'source'): still valid. */
  private byte[] labeledV1(String id, String label, List<Float> feature) {
    GenericRecord record = new GenericData.Record(LABELED_V1);
    record.put("id", id);
    record.put("eventTime", now.toEpochMilli());
    record.put("label", label);
    record.put("feature", feature);
    return encodeGeneric(V1_ENCODER, record);
  }

  private static byte[] encodeGeneric(
      BinaryMessageEncoder<GenericRecord> encoder, GenericRecord record) {
    try {
      ByteBuffer buffer = encoder.encode(record);
      return Arrays.copyOfRange(
          buffer.array(),
          buffer.arrayOffset() + buffer.position(),
          buffer.arrayOffset() + buffer.limit());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A valid but extreme feature: finite values from the float range's ends (the largest, 1e30, the
   * smallest subnormal, negative zero) among ordinary ones. Valid records must get through.
   */
  private List<Float> extremeFeature() {
    List<Float> f = feature();
    float[] extreme = {Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, -3e25f, Float.MIN_VALUE, -0.0f};
    for (int k = 0; k < 1 + random.nextInt(width); k++) {
      f.set(random.nextInt(width), extreme[random.nextInt(extreme.length)]);
    }
    return f;
  }

  /** A valid feature: {@code width} finite values. */
  private List<Float> feature() {
    return values(width, 1f);
  }

  private List<Float> values(int n, float scale) {
    List<Float> v = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      v.add((float) random.nextGaussian() * scale);
    }
    return v;
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
