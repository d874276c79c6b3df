package ai.candle.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import java.util.HashMap;
import java.util.Map;

/**
 * SGD with momentum and L2 weight decay, with PyTorch's semantics: {@code g = ∇ + wd·p}; the
 * momentum buffer starts as {@code g} and then is {@code m·buf + g}; {@code p -= lr·buf}.
 *
 * <p>Buffers are allocated as zeros beside each parameter on first use (so {@code m·0 + g = g}
 * gives PyTorch's first step) and live as long as the parameters' manager. Temporaries of a step
 * are closed before it returns; gradients are zeroed for the next step.
 */
final class SgdMomentum {
  private final double momentum;
  private final double weightDecay;
  private final Map<String, NDArray> buffers = new HashMap<>();

  SgdMomentum(double momentum, double weightDecay) {
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  /**
   * One step over every parameter, with autograd off. PyTorch's grad mode is per thread and ON in a
   * fresh thread, and DJL's GradientCollector restores the mode it found when it closes: on a
   * thread that never fitted before, in-place updates of the leaf parameters would otherwise fail
   * ("a leaf Variable that requires grad is being used in an in-place operation").
   */
  void step(Map<String, NDArray> params, double learningRate) {
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      update(params, learningRate);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  private void update(Map<String, NDArray> params, double learningRate) {
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      NDArray buf =
          buffers.computeIfAbsent(
              e.getKey(),
              k -> {
                NDArray zeros = p.zerosLike();
                NDScope.unregister(zeros); // lives with the parameters, not the step's scope
                return zeros;
              });
      try (NDArray grad = p.getGradient()) {
        buf.muli(momentum).addi(grad);
        if (weightDecay != 0) {
          try (NDArray decay = p.mul(weightDecay)) {
            buf.addi(decay);
          }
        }
        try (NDArray delta = buf.mul(learningRate)) {
          p.subi(delta);
        }
        grad.subi(grad);
      }
    }
  }
}
