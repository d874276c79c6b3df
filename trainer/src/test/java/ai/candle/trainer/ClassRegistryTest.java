package ai.candle.trainer;

import static ai.candle.trainer.TrainingSnapshotTest.registered;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClassRegistryTest {

  @Test
  void aRecordReplacesItsClassAndATombstoneRemovesIt() {
    ClassRegistry registry = new ClassRegistry(3);
    registry.apply("okapi", registered("okapi", 0, 0));
    assertEquals(Set.of(), registry.namesWithText(), "announced, no text feature yet");
    registry.apply("okapi", registered("okapi", 0, 3));
    assertEquals(Set.of("okapi"), registry.namesWithText());
    assertEquals(1, registry.size());
    registry.apply("okapi", null);
    assertEquals(0, registry.size());
    assertNull(registry.get("okapi"));
  }

  @Test
  void theMissingClassesAreThoseWithTextNotPresentByIndex() {
    ClassRegistry registry = new ClassRegistry(3);
    for (String name : List.of("d", "a", "c", "b", "e")) {
      int index = name.charAt(0) - 'a';
      registry.apply(name, registered(name, index, name.equals("e") ? 2 : 3));
    }
    assertEquals(List.of("b", "c", "d"), ClassRegistry.names(registry.withTextExcept(Set.of("a"))));
    assertEquals(
        Set.of("a", "b", "c", "d"), registry.namesWithText(), "e's text has another width");
  }

  @Test
  void textFeaturesAreLaidOutRowByRow() {
    float[] text = ClassRegistry.textOf(List.of(registered("x", 2, 3), registered("y", 5, 3)), 3);
    assertArrayEquals(new float[] {2, 2, 2, 5, 5, 5}, text);
  }
}
