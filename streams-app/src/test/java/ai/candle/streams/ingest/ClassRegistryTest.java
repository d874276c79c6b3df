package ai.candle.streams.ingest;

import static ai.candle.streams.ingest.IngestFixture.T0;
import static ai.candle.streams.ingest.IngestFixture.announcement;
import static ai.candle.streams.ingest.IngestFixture.deadLetter;
import static ai.candle.streams.ingest.IngestFixture.utf8;
import static ai.candle.streams.ingest.IngestFixture.vector;
import static ai.candle.streams.ingest.IngestFixture.withFeature;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.ClassInfo;
import ai.candle.schemas.ClassStatus;
import ai.candle.schemas.DeadLetter;
import ai.candle.schemas.TextFeatureSource;
import ai.candle.streams.encode.Encoders;
import ai.candle.streams.encode.TextEncoder;
import ai.candle.streams.validation.RejectReason;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registration, stable indexes, NEW to BASE, text features, idempotence and conflicts. */
class ClassRegistryTest {

  private static final String ANNOUNCEMENTS = "candle.classes.announcements";
  private static final List<Float> TEXT = vector(0.5f, 0.5f, -0.5f, 0.5f);
  private static final List<Float> OTHER_TEXT = vector(1, 0, 0, 0);

  /** A fake text encoder: (prompt length, 1, 2, 3). */
  private static final TextEncoder LENGTH_ENCODER =
      prompt -> new float[] {prompt.length(), 1, 2, 3};

  @TempDir Path stateDir;

  private static ClassInfo info(
      String name,
      int index,
      ClassStatus status,
      TextFeatureSource source,
      List<Float> feature,
      String prompt,
      List<String> aliases) {
    return new ClassInfo(name, index, status, source, feature, prompt, aliases, T0);
  }

  @Test
  void anAnnouncementRegistersANewClassAndItsFirstImageMakesItBase() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      fx.announce(
          announcement("okapi")
              .setPromptTemplate("a photo of a {}, a kind of animal.")
              .setAliases(List.of("forest giraffe"))
              .setTextFeature(TEXT)
              .build());
      fx.pipe(withFeature("img-1", "okapi", vector(1, 2, 3, 4)));
      fx.pipe(withFeature("img-2", "okapi", vector(1, 2, 3, 4)));

      ClassInfo announced =
          info(
              "okapi",
              0,
              ClassStatus.NEW,
              TextFeatureSource.ANNOUNCEMENT,
              TEXT,
              "a photo of a okapi, a kind of animal.",
              List.of("forest giraffe"));
      assertEquals(
          List.of(
              KeyValue.pair("okapi", announced),
              KeyValue.pair(
                  "okapi", ClassInfo.newBuilder(announced).setStatus(ClassStatus.BASE).build())),
          fx.classes.readKeyValuesToList());
      assertEquals(
          List.of(KeyValue.pair("okapi", 1L), KeyValue.pair("okapi", 2L)),
          fx.counts.readKeyValuesToList());
      assertEquals(2, fx.features.readValuesToList().size());
      fx.assertNoOutput();
    }
  }

  @Test
  void withoutFeatureOrEncoderTheClassHasNoTextFeatureYet() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      fx.announce(announcement("snow_leopard").build());

      assertEquals(
          List.of(
              KeyValue.pair(
                  "snow_leopard",
                  info(
                      "snow_leopard",
                      0,
                      ClassStatus.NEW,
                      TextFeatureSource.NONE,
                      null,
                      "a photo of a snow leopard.",
                      List.of()))),
          fx.classes.readKeyValuesToList());
      fx.assertNoOutput();
    }
  }

  @Test
  void theTextEncoderEncodesTheAnnouncementsFullPrompt() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.of(null, LENGTH_ENCODER))) {
      fx.announce(
          announcement("okapi").setPrompt("an okapi").setPromptTemplate("ignored {}").build());
      fx.pipe(withFeature("img-1", "red_panda", vector(1, 2, 3, 4)));

      assertEquals(
          List.of(
              KeyValue.pair(
                  "okapi",
                  info(
                      "okapi",
                      0,
                      ClassStatus.NEW,
                      TextFeatureSource.ENCODER,
                      vector(8, 1, 2, 3),
                      "an okapi",
                      List.of())),
              KeyValue.pair(
                  "red_panda",
                  info(
                      "red_panda",
                      1,
                      ClassStatus.BASE,
                      TextFeatureSource.ENCODER,
                      vector("a photo of a red panda.".length(), 1, 2, 3),
                      "a photo of a red panda.",
                      List.of()))),
          fx.classes.readKeyValuesToList());
      fx.features.readValuesToList();
      fx.counts.readValuesToList();
      fx.assertNoOutput();
    }
  }

  @Test
  void aDuplicateAnnouncementEmitsNothing() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      ClassAnnouncement okapi = announcement("okapi").setTextFeature(TEXT).build();
      fx.announce(okapi);
      assertEquals(1, fx.classes.readValuesToList().size());

      fx.announce(okapi);
      fx.announce(announcement("okapi").build());
      fx.assertNoOutput();
    }
  }

  @Test
  void newAliasesAreMergedIntoARegisteredClass() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      fx.announce(announcement("okapi").setAliases(List.of("okapia")).setTextFeature(TEXT).build());
      fx.announce(announcement("okapi").setAliases(List.of("forest giraffe", "okapia")).build());

      List<ClassInfo> infos = fx.classes.readValuesToList();
      assertEquals(
          List.of(List.of("okapia"), List.of("okapia", "forest giraffe")),
          infos.stream().map(ClassInfo::getAliases).toList());
      assertEquals(TEXT, infos.get(1).getTextFeature());
      fx.assertNoOutput();
    }
  }

  @Test
  void aConflictingFeatureIsDeadLetteredAndTheRegistryKeepsTheFirst() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      fx.announce(announcement("okapi").setTextFeature(TEXT).build());
      ClassInfo registered = fx.classes.readValue();
      byte[] conflicting = fx.announce(announcement("okapi").setTextFeature(OTHER_TEXT).build());

      KeyValue<byte[], DeadLetter> letter = fx.deadLetters.readKeyValue();
      assertArrayEquals(utf8("okapi"), letter.key);
      assertEquals(
          deadLetter(
              ANNOUNCEMENTS,
              1,
              utf8("okapi"),
              conflicting,
              "validation",
              RejectReason.CONFLICT,
              "class 'okapi' is already registered (index 0) with a different"
                  + " text feature (from ANNOUNCEMENT); a registered text feature is never replaced"),
          letter.value);
      fx.assertNoOutput();
      assertEquals(1.0, fx.deadLetterCount(RejectReason.CONFLICT));
      assertEquals(
          registered,
          fx.driver
              .<String, ClassInfo>getKeyValueStore(IngestTopology.CLASS_REGISTRY_STORE)
              .get("okapi"));
    }
  }

  @Test
  void aDifferentPromptForAClassWithATextFeatureIsAConflict() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.of(null, LENGTH_ENCODER))) {
      fx.announce(announcement("okapi").build());
      fx.classes.readValue();
      byte[] conflicting = fx.announce(announcement("okapi").setPrompt("a striped okapi").build());

      assertEquals(
          deadLetter(
              ANNOUNCEMENTS,
              1,
              utf8("okapi"),
              conflicting,
              "validation",
              RejectReason.CONFLICT,
              "class 'okapi' is already registered with prompt 'a photo of a"
                  + " okapi.' and its text feature; the announcement's prompt 'a striped okapi' would"
                  + " change it"),
          fx.deadLetters.readValue());
      fx.assertNoOutput();
    }
  }

  @Test
  void anAnnouncementAddsTheFeatureOfAClassFirstSeenThroughAnImage() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none())) {
      fx.pipe(withFeature("img-1", "okapi", vector(1, 2, 3, 4)));
      ClassInfo byImage = fx.classes.readValue();
      fx.announce(
          announcement("okapi")
              .setPrompt("an okapi")
              .setAliases(List.of("okapia"))
              .setTextFeature(TEXT)
              .build());

      assertEquals(
          info(
              "okapi",
              0,
              ClassStatus.BASE,
              TextFeatureSource.NONE,
              null,
              "a photo of a okapi.",
              List.of()),
          byImage);
      assertEquals(
          List.of(
              KeyValue.pair(
                  "okapi",
                  info(
                      "okapi",
                      0,
                      ClassStatus.BASE,
                      TextFeatureSource.ANNOUNCEMENT,
                      TEXT,
                      "an okapi",
                      List.of("okapia")))),
          fx.classes.readKeyValuesToList());
      fx.features.readValuesToList();
      fx.counts.readValuesToList();
      fx.assertNoOutput();
    }
  }

  /** The same inputs, on two fresh topologies, give the same registry output. */
  @Test
  void indexesAreSequentialNeverReusedAndDeterministicUnderReplay() {
    Consumer<IngestFixture> inputs =
        fx -> {
          fx.announce(announcement("a").build());
          fx.pipe(withFeature("img-1", "b", vector(1, 2, 3, 4)));
          fx.announce(announcement("a").build());
          fx.pipe(withFeature("img-2", "a", vector(1, 2, 3, 4)));
          fx.announce(announcement("c").build());
          fx.pipe(withFeature("img-3", "b", vector(1, 2, 3, 4)));
        };
    List<KeyValue<String, ClassInfo>> first;
    try (IngestFixture fx = new IngestFixture(stateDir.resolve("first"), Encoders.none())) {
      inputs.accept(fx);
      first = fx.classes.readKeyValuesToList();
    }
    List<KeyValue<String, ClassInfo>> replay;
    try (IngestFixture fx = new IngestFixture(stateDir.resolve("replay"), Encoders.none())) {
      inputs.accept(fx);
      replay = fx.classes.readKeyValuesToList();
    }

    assertEquals(
        List.of("a:0:NEW", "b:1:BASE", "a:0:BASE", "c:2:NEW"),
        first.stream()
            .map(kv -> kv.key + ":" + kv.value.getIndex() + ":" + kv.value.getStatus())
            .toList());
    assertEquals(first, replay);
  }

  @Test
  void beyondClassesMaxANewClassIsDeadLetteredAsClassLimitAndKnownOnesGoOn() {
    try (IngestFixture fx = new IngestFixture(stateDir, Encoders.none(), "--classes-max", "2")) {
      fx.announce(announcement("okapi").setTextFeature(TEXT).build());
      fx.pipe(withFeature("img-1", "red_panda", vector(1, 2, 3, 4)));
      byte[] third = fx.announce(announcement("quokka").setTextFeature(TEXT).build());
      fx.pipe(withFeature("img-2", "aye_aye", vector(1, 2, 3, 4)));
      fx.pipe(withFeature("img-3", "okapi", vector(1, 2, 3, 4)));

      assertEquals(
          List.of("okapi", "red_panda", "okapi"),
          fx.classes.readKeyValuesToList().stream().map(kv -> kv.key).toList(),
          "registrations, then okapi turning BASE");
      List<DeadLetter> letters = fx.deadLetters.readValuesToList();
      assertEquals(
          List.of("class_limit", "class_limit"),
          letters.stream().map(DeadLetter::getCategory).toList());
      assertEquals(
          deadLetter(
              ANNOUNCEMENTS,
              1,
              utf8("quokka"),
              third,
              "validation",
              RejectReason.CLASS_LIMIT,
              "class 'quokka' is not registered: 2 classes are, classes.max is 2"
                  + " (an announcement)"),
          letters.get(0));
      assertEquals(
          "class 'aye_aye' is not registered: 2 classes are, classes.max is 2 (labelled"
              + " images)",
          letters.get(1).getReason());
      assertEquals(2.0, fx.deadLetterCount(RejectReason.CLASS_LIMIT));
      // the images of a class beyond the cap are still features and counted; the trainer fits
      // registered classes only
      assertEquals(3, fx.features.readValuesToList().size());
      assertEquals(
          null,
          fx.driver
              .<String, ClassInfo>getKeyValueStore(IngestTopology.CLASS_REGISTRY_STORE)
              .get("aye_aye"));
    }
  }
}
