package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CandleFitTest {
  static final int D = 32;

  /** 6 classes, the first 4 base with 3..12 images each, small random features. */
  static CandleFit.TrainingSet smallSet() {
    Random rnd = new Random(5);
    int[] perClass = {12, 6, 4, 3};
    int n = Arrays.stream(perClass).sum();
    float[] f = new float[n * D];
    int[] y = new int[n];
    int k = 0;
    for (int c = 0; c < perClass.length; c++) {
      for (int i = 0; i < perClass[c]; i++, k++) {
        y[k] = c;
        for (int j = 0; j < D; j++) {
          f[k * D + j] = (float) (rnd.nextGaussian() + (j % 6 == c ? 3 : 0));
        }
      }
    }
    float[] text = new float[6 * D];
    for (int i = 0; i < text.length; i++) {
      text[i] = (float) (rnd.nextGaussian() + ((i % D) % 6 == i / D ? 2 : 0));
    }
    List<String> names = new ArrayList<>(List.of("a", "b", "c", "d", "e", "f"));
    return new CandleFit.TrainingSet(f, y, D, names, 4, text, new float[] {120, 60, 4, 3, 0, 0});
  }

  static HyperParameters hp() {
    return HyperParameters.defaults().withEpochs(4).withBatchSize(8).withLearningRate(1e-2);
  }

  @Test
  void sameSeedGivesTheSameFitEvenUnderGarbageCollection() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    Thread gc =
        new Thread(
            () -> {
              while (!stop.get()) {
                System.gc();
              }
            });
    gc.setDaemon(true);
    gc.start();
    try {
      CandleModel a =
          CandleFit.fit(smallSet(), hp(), CandleFit.Options.defaults().withDevice(Device.cpu()));
      CandleModel b =
          CandleFit.fit(smallSet(), hp(), CandleFit.Options.defaults().withDevice(Device.cpu()));
      // dropout 0.1 is on: the seed fixes its masks too
      assertEquals(a.params(), b.params(), "two fits with seed 1 differ");
      assertEquals(a.stats().epochLoss(), b.stats().epochLoss());
      CandleModel c =
          CandleFit.fit(
              smallSet(), hp().withSeed(2), CandleFit.Options.defaults().withDevice(Device.cpu()));
      assertFalse(a.params().equals(c.params()), "seed 2 gave the same fit as seed 1");
    } finally {
      stop.set(true);
      gc.join();
    }
  }

  @Test
  void reportsLossTimingAndDevicePerEpoch() {
    List<Integer> seen = new ArrayList<>();
    CandleModel m =
        CandleFit.fit(
            smallSet(),
            hp(),
            CandleFit.Options.defaults()
                .withDevice(Device.cpu())
                .withProgress((e, total, loss, s) -> seen.add(e)));
    assertEquals(List.of(1, 2, 3, 4), seen);
    assertEquals(4, m.stats().epochLoss().size());
    assertEquals(4, m.stats().epochSeconds().size());
    assertTrue(
        m.stats().epochLoss().stream().allMatch(l -> l >= 0 && Double.isFinite(l)),
        () -> "losses " + m.stats().epochLoss());
    assertEquals("cpu()", m.stats().device());
    assertEquals(25, m.stats().samples());
    assertEquals(List.of("a", "b", "c", "d", "e", "f"), m.classNames());
    assertEquals(2, m.newClasses());
  }

  @Test
  void capKeepsAtMostNPerClassButPriorsComeFromTheCounts() {
    CandleModel m =
        CandleFit.fit(
            smallSet(),
            hp().withMaxPerClass(5),
            CandleFit.Options.defaults().withDevice(Device.cpu()));
    assertEquals(5 + 5 + 4 + 3, m.stats().samples());
    assertArrayEquals(new float[] {120, 60, 4, 3, 0, 0}, m.classCounts());
  }

  @Test
  void initialisationIsTheReferences() {
    CandleParameters p = CandleFit.initialParameters(smallSet(), 0.1, 1);
    assertEquals(1f, p.projImage()[0]);
    assertEquals(0f, p.projImage()[1]);
    float[] text = smallSet().textFeatures();
    assertArrayEquals(Arrays.copyOfRange(text, 4 * D, 6 * D), p.virtualPrototypes());
    double bound = Math.sqrt(6.0 / (4 * D));
    for (float w : p.attnInProjWeight()) {
      assertTrue(Math.abs(w) <= bound);
    }
    assertEquals(0.1f, p.ratio(), 1e-7);
  }

  @Test
  void rejectsLabelsOfNewClassesAndBaseClassesWithoutImages() {
    CandleFit.TrainingSet ok = smallSet();
    int[] bad = ok.labels().clone();
    bad[0] = 5;
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new CandleFit.TrainingSet(
                    ok.features(),
                    bad,
                    D,
                    ok.classNames(),
                    4,
                    ok.textFeatures(),
                    ok.classCounts()));
    assertTrue(e.getMessage().contains("not a base class"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new CandleFit.TrainingSet(
                    ok.features(),
                    ok.labels(),
                    D,
                    ok.classNames(),
                    5,
                    ok.textFeatures(),
                    ok.classCounts()));
    assertTrue(e.getMessage().contains("has no training image"), e.getMessage());
  }

  @Test
  void devicesParse() {
    assertEquals(Device.cpu(), Devices.parse("cpu"));
    assertThrows(IllegalArgumentException.class, () -> Devices.parse("tpu"));
    if (ai.djl.engine.Engine.getInstance().getGpuCount() == 0) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Devices.parse("gpu"));
      assertTrue(e.getMessage().contains("mvn -Pcuda"), e.getMessage());
      assertEquals(Device.cpu(), Devices.parse("auto"));
    }
  }

  @Test
  void fitsRunOnFreshThreadsOneAfterAnother() throws Exception {
    for (int i = 0; i < 2; i++) {
      java.util.concurrent.atomic.AtomicReference<Throwable> failure =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread t =
          new Thread(
              () -> {
                try {
                  CandleFit.fit(
                      smallSet(),
                      hp().withEpochs(2),
                      CandleFit.Options.defaults().withDevice(ai.djl.Device.cpu()));
                } catch (Throwable e) {
                  failure.set(e);
                }
              });
      t.start();
      t.join();
      org.junit.jupiter.api.Assertions.assertNull(
          failure.get(), () -> "fit on a fresh thread failed: " + failure.get());
    }
  }
}
