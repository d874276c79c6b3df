package ai.candle.core;

import ai.djl.ndarray.NDArray;
import java.util.HashMap;
import java.util.Map;

/**
 * SGD with momentum and L2 weight decay, with PyTorch's semantics: {@code g = ∇ + wd·p}; the
 * momentum buffer starts as {@code g} and then is {@code m·buf + g}; {@code p -= lr·buf}.
 * Buffers live in the parameters' manager; updates run in place, outside gradient recording.
 */
final class SgdMomentum {
  private final double momentum;
  private final double weightDecay;
  private final Map<String, NDArray> buffers = new HashMap<>();

  SgdMomentum(double momentum, double weightDecay) {
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  /** One step over every parameter that has a gradient. */
  void step(Map<String, NDArray> params, double learningRate) {
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      NDArray grad = p.getGradient();
      NDArray g = weightDecay == 0 ? grad.duplicate() : grad.add(p.mul(weightDecay));
      NDArray buf = buffers.get(e.getKey());
      if (buf == null) {
        buf = g;
        buffers.put(e.getKey(), buf);
      } else {
        buf.muli(momentum).addi(g);
        g.close();
      }
      NDArray delta = buf.mul(learningRate);
      p.subi(delta);
      delta.close();
      grad.subi(grad); // zero the gradient for the next step
    }
  }
}
