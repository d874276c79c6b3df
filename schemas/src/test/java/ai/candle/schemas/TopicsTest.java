package ai.candle.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void defaultNamesAreThoseOfTheDesign() {
    Topics topics = Topics.defaults();
    assertEquals("candle.images.labeled", topics.labeledImages().name());
    assertEquals("candle.images.unlabeled", topics.unlabeledImages().name());
    assertEquals("candle.classes.announcements", topics.classAnnouncements().name());
    assertEquals("candle.classes", topics.classes().name());
    assertEquals("candle.class-counts", topics.classCounts().name());
    assertEquals("candle.features", topics.features().name());
    assertEquals("candle.models", topics.models().name());
    assertEquals("candle.predictions", topics.predictions().name());
    assertEquals("candle.dead-letter", topics.deadLetter().name());
    assertEquals("candle.training-store", topics.trainingStore().name());
    assertEquals("candle.models.history", topics.modelHistory().name());
  }

  @Test
  void namesAreConfigurable() {
    TopicNames d = TopicNames.defaults();
    TopicNames names =
        new TopicNames(
            "t.labeled",
            d.unlabeledImages(),
            d.classAnnouncements(),
            d.classes(),
            d.classCounts(),
            "t.features",
            d.models(),
            d.predictions(),
            d.deadLetter());
    Topics topics = Topics.of(names);
    assertEquals("t.labeled", topics.labeledImages().name());
    assertEquals("t.features", topics.features().name());
    assertEquals(
        "candle.training-store", topics.trainingStore().name(), "the default unless named");
    TopicNames own =
        new TopicNames(
            d.labeledImages(),
            d.unlabeledImages(),
            d.classAnnouncements(),
            d.classes(),
            d.classCounts(),
            d.features(),
            d.models(),
            d.predictions(),
            d.deadLetter(),
            "t.store");
    assertEquals("t.store", Topics.of(own).trainingStore().name());
    assertEquals(
        "candle.models.history", Topics.of(own).modelHistory().name(), "the default unless named");
    TopicNames history =
        new TopicNames(
            d.labeledImages(),
            d.unlabeledImages(),
            d.classAnnouncements(),
            d.classes(),
            d.classCounts(),
            d.features(),
            d.models(),
            d.predictions(),
            d.deadLetter(),
            "t.store",
            "t.history");
    assertEquals("t.history", Topics.of(history).modelHistory().name());
  }

  @Test
  void blankNamesAreRejected() {
    TopicNames d = TopicNames.defaults();
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new TopicNames(
                " ",
                d.unlabeledImages(),
                d.classAnnouncements(),
                d.classes(),
                d.classCounts(),
                d.features(),
                d.models(),
                d.predictions(),
                d.deadLetter()));
  }

  @Test
  void theDescriptorsSerdesRoundTrip() {
    Topic<String, FeatureRecord> features = Topics.defaults().features();
    FeatureRecord record =
        new FeatureRecord("img", "cat", List.of(0.25f), Instant.ofEpochMilli(9), null);
    byte[] bytes = features.valueSerde().serializer().serialize(features.name(), record);
    assertEquals(record, features.valueSerde().deserializer().deserialize(features.name(), bytes));
    Topic<String, Long> counts = Topics.defaults().classCounts();
    byte[] count = counts.valueSerde().serializer().serialize(counts.name(), 42L);
    assertEquals(42L, counts.valueSerde().deserializer().deserialize(counts.name(), count));
  }
}
