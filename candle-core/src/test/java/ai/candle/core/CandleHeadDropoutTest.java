package ai.candle.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The attention's dropout in training: its mask, its rescaling, and eval mode without it. */
class CandleHeadDropoutTest {
  private static CandleHead head(NDManager m) {
    return new CandleHead(m, RandomModels.randomModel(12, 32, 1.0, 3).params());
  }

  @Test
  void maskKeepsEachWeightWithProbabilityOneMinusP() {
    try (NDManager m = NDManager.newBaseManager()) {
      CandleHead head = head(m);
      for (double p : new double[] {0.1, 0.5}) {
        // 1,001² entries: not a whole number of chunks or of packed longs
        NDArray mask = head.dropoutMask(m, 1001, p, new SplittableRandom(7));
        assertEquals(DataType.FLOAT32, mask.getDataType());
        assertEquals(new Shape(1001, 1001), mask.getShape());
        float[] v = mask.toFloatArray();
        double kept = 0;
        for (float x : v) {
          assertTrue(x == 0f || x == 1f, "mask entry " + x);
          kept += x;
        }
        // about 1e6 draws: the kept share's standard deviation is at most 5e-4
        assertEquals(1 - p, kept / v.length, 0.003, "share kept at p = " + p);
        // the last row is not a copy of the first (every chunk has its own generator)
        assertFalse(
            Arrays.equals(
                Arrays.copyOfRange(v, 0, 1001), Arrays.copyOfRange(v, v.length - 1001, v.length)));
      }
      float[] a = head.dropoutMask(m, 300, 0.1, new SplittableRandom(5)).toFloatArray();
      float[] b = head.dropoutMask(m, 300, 0.1, new SplittableRandom(5)).toFloatArray();
      float[] c = head.dropoutMask(m, 300, 0.1, new SplittableRandom(6)).toFloatArray();
      assertArrayEquals(a, b, "the same generator state gives the same mask");
      assertFalse(Arrays.equals(a, c), "another seed gives another mask");
    }
  }

  @Test
  void trainingDropoutIsUnbiasedAndSeededAndEvalHasNone() {
    try (NDManager m = NDManager.newBaseManager()) {
      CandleHead head = head(m);
      NDArray y = m.randomNormal(new Shape(150, 32));
      float[] plain = head.attention(y, false, 0).toFloatArray();
      assertArrayEquals(plain, head.attention(y, false, 0.1).toFloatArray(), "eval has no dropout");
      assertArrayEquals(plain, head.attention(y, true, 0).toFloatArray(), "p = 0 has no dropout");

      Engine.getInstance().setRandomSeed(11);
      float[] first = head.attention(y, true, 0.1).toFloatArray();
      Engine.getInstance().setRandomSeed(11);
      assertArrayEquals(first, head.attention(y, true, 0.1).toFloatArray(), "seeded masks");
      assertFalse(Arrays.equals(first, plain), "training with p = 0.1 drops weights");

      // the mean over draws is the output without dropout: the kept weights are rescaled by
      // 1/(1 - p); without the rescaling the projection below would be about 1 - p = 0.9
      int draws = 60;
      double[] mean = new double[plain.length];
      for (int d = 0; d < draws; d++) {
        float[] out = head.attention(y, true, 0.1).toFloatArray();
        for (int i = 0; i < out.length; i++) {
          mean[i] += out[i] / draws;
        }
      }
      float[] bias = head.parameter("attn_out_proj_bias").toFloatArray();
      double dot = 0;
      double norm = 0;
      for (int i = 0; i < plain.length; i++) {
        double b = bias[i % bias.length];
        dot += (mean[i] - b) * (plain[i] - b);
        norm += (plain[i] - b) * (plain[i] - b);
      }
      assertEquals(1.0, dot / norm, 0.02, "mean output over draws against the output without");
    }
  }
}
