package ai.candle.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The Candle head on DJL: prototypes, the two projections and the cross-modal attention layer, with
 * the forward pass of both phases and the compensating logit-adjusted loss exactly as
 * docs/method.md specifies them.
 *
 * <p>The head owns its learnable parameters as NDArrays in the manager it is given; the fixed
 * inputs (text features, visual prototypes) are passed to each forward call. It is the one place
 * the method's mathematics lives for training; serving uses {@link FastScorer}, which is tested
 * against this head's test phase and the golden vectors.
 */
public final class CandleHead {
  /** Attention heads of the cross-modal attention layer. */
  public static final int HEADS = 8;

  static final float LAYER_NORM_EPS = 1e-5f;

  private final NDManager manager;
  private final int dim;
  private final int newClasses;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private final boolean virtualTextSide;
  // the dropout mask's staging memory, reused by every head of every forward pass
  private ByteBuffer maskBuffer;

  /** The reference head: copies {@code initial} into NDArrays of {@code manager} (its device). */
  public CandleHead(NDManager manager, CandleParameters initial) {
    this(manager, initial, HyperParameters.Mode.REFERENCE);
  }

  /**
   * A head of the given mode. In {@link HyperParameters.Mode#REFERENCE} the new classes' text side
   * is fed the virtual prototypes (as the authors' code does); in ADAPTIVE it keeps the raw text
   * features, since the virtual prototypes live in the image modality there.
   */
  public CandleHead(NDManager manager, CandleParameters initial, HyperParameters.Mode mode) {
    this.virtualTextSide = mode != HyperParameters.Mode.ADAPTIVE;
    this.manager = manager;
    this.dim = initial.dim();
    this.newClasses = initial.newClasses();
    for (Map.Entry<String, float[]> e : initial.asMap().entrySet()) {
      NDArray a = aligned(manager, e.getValue(), new Shape(initial.shapeOf(e.getKey())));
      a.setName(e.getKey());
      params.put(e.getKey(), a);
    }
  }

  /**
   * An array in memory that PyTorch allocated itself (64-byte aligned). Arrays made straight from
   * Java memory sit wherever the JVM put the direct buffer; vectorised kernels then round
   * differently depending on that address, and a fit (chaotic at high learning rates) stops being
   * reproducible from one process to the next.
   */
  static NDArray aligned(NDManager manager, float[] values, Shape shape) {
    try (NDArray fromJava = manager.create(values, shape)) {
      return fromJava.duplicate();
    }
  }

  /**
   * A float32 scalar that PyTorch owns. Never multiply a tensor that records gradients by a Java
   * number ({@code mul(double)}): DJL wraps the number in a tensor over Java memory and closes it
   * at once, but autograd keeps that tensor for the backward pass, which then reads memory the
   * garbage collector may already have freed (seen as a fit that went wrong in one run in six).
   */
  static NDArray constant(NDManager manager, double value) {
    return aligned(manager, new float[] {(float) value}, new Shape());
  }

  /** The learnable parameters by name (live arrays; an optimiser updates them in place). */
  public Map<String, NDArray> parameters() {
    return params;
  }

  public NDArray parameter(String name) {
    return params.get(name);
  }

  /** Marks every parameter as requiring gradients (before a {@code GradientCollector}). */
  public void requireGradients() {
    params.values().forEach(p -> p.setRequiresGradient(true));
  }

  /** Reads the current parameter values back into plain arrays. */
  public CandleParameters snapshot() {
    Map<String, float[]> named = new LinkedHashMap<>();
    params.forEach((k, v) -> named.put(k, v.toFloatArray()));
    return CandleParameters.fromMap(dim, newClasses, named);
  }

  /** Outputs of a forward pass. In training, rows are B images then the C prototypes. */
  public record Outputs(NDArray logits, NDArray logitsVt, NDArray logitsVv) {
    /** Test-phase prediction scores {@code Lvt + Lvv}. */
    public NDArray scores() {
      return logitsVt.add(logitsVv);
    }
  }

  /**
   * The forward pass.
   *
   * @param images B×D raw image features
   * @param text C×D raw text features
   * @param visualPrototypes Cb×D per-class means of raw image features
   * @param training training phase: the prototypes become rows too, and dropout applies
   * @param dropout dropout on the attention weights (training only)
   * @param scale SCALE, weight of the visual-prototype logits
   * @param logitScale s
   * @return pre-fusion logits L0 ((B+C)×C, training only, else null), Lvt and Lvv
   */
  public Outputs forward(
      NDArray images,
      NDArray text,
      NDArray visualPrototypes,
      boolean training,
      double dropout,
      double scale,
      double logitScale) {
    long c = text.getShape().get(0);
    return fuse(
        images,
        prototypes(visualPrototypes),
        textSide(text, c),
        training,
        dropout,
        scale,
        logitScale);
  }

  /**
   * The training-phase forward pass over a subset S of the classes (a sampled-class step, {@link
   * CandleFit#sampledStep}): the attention sequence is {@code [I; Pp_S; T_S]} of {@code B + 2|S|}
   * tokens and the logits have the |S| columns of S, in the order of {@code classes}. The
   * prototypes of S are gathered from {@code [visual; virtual]}, so the virtual prototypes of the
   * new classes in S get their gradients and the others none.
   *
   * @param classes |S| class indices (int64), distinct
   * @return L0, Lvt and Lvv, each (B + |S|)×|S|: rows the B images, then S's prototypes
   */
  public Outputs forwardSampled(
      NDArray images,
      NDArray text,
      NDArray visualPrototypes,
      NDArray classes,
      double dropout,
      double scale,
      double logitScale) {
    long c = text.getShape().get(0);
    return fuse(
        images,
        prototypes(visualPrototypes).get(classes),
        textSide(text, c).get(classes),
        true,
        dropout,
        scale,
        logitScale);
  }

  /** {@code [visual; virtual]}, C×D: the virtual prototypes with their gradients. */
  private NDArray prototypes(NDArray visualPrototypes) {
    return newClasses == 0
        ? visualPrototypes
        : NDArrays.concat(new NDList(visualPrototypes, params.get("virtual_prototypes")), 0);
  }

  /**
   * Steps 1–5 of the forward pass on given class rows: {@code prototypes} and {@code textSide}
   * (unprojected), one row per class in scope.
   */
  private Outputs fuse(
      NDArray images,
      NDArray prototypes,
      NDArray textSide,
      boolean training,
      double dropout,
      double scale,
      double logitScale) {
    long b = images.getShape().get(0);
    long c = textSide.getShape().get(0);
    NDArray projImage = params.get("proj_image");
    NDArray i = images.matMul(projImage);
    NDArray pp = prototypes.matMul(projImage);
    NDArray t = textSide.matMul(params.get("proj_text"));

    NDArray s = constant(images.getManager(), logitScale);
    NDArray logits = cosine(training ? NDArrays.concat(new NDList(i, pp), 0) : i, t).mul(s);

    NDArray x = NDArrays.concat(new NDList(i, pp, t), 0);
    NDArray y =
        LayerNorm.layerNorm(
                x,
                new Shape(dim),
                params.get("norm_weight"),
                params.get("norm_bias"),
                LAYER_NORM_EPS)
            .singletonOrThrow();
    NDArray attended = attention(y, training, dropout);
    NDArray z = attended.mul(params.get("ratio")).add(y);

    NDArray iOut = z.get(new NDIndex("0:{}", b));
    NDArray pOut = z.get(new NDIndex("{}:{}", b, b + c));
    NDArray tOut = z.get(new NDIndex("{}:", b + c));
    NDArray rows = training ? NDArrays.concat(new NDList(iOut, pOut), 0) : iOut;
    NDArray rowsN = normalizeRows(rows);
    NDArray logitsVt = rowsN.matMul(normalizeRows(tOut).transpose()).mul(s);
    NDArray logitsVv =
        rowsN
            .matMul(normalizeRows(pOut).transpose())
            .mul(constant(images.getManager(), logitScale * scale));
    return new Outputs(logits, logitsVt, logitsVv);
  }

  /**
   * The text-side class features: the base classes' text features, then the virtual prototypes. The
   * authors' code feeds the (learnable) virtual prototypes to the text projection for the new
   * classes as well: the golden vectors, whose virtual prototypes differ slightly from the new
   * classes' text features, agree only with this reading.
   */
  private NDArray textSide(NDArray text, long c) {
    if (newClasses == 0 || !virtualTextSide) {
      return text;
    }
    NDArray baseText = text.get(new NDIndex("0:{}", c - newClasses));
    return NDArrays.concat(
        new NDList(baseText, params.get("virtual_prototypes").stopGradient()), 0);
  }

  /**
   * PyTorch {@code nn.MultiheadAttention(Y, Y, Y)} with {@link #HEADS} heads and no mask, with
   * dropout {@code p} on the attention weights in training.
   *
   * <p>Computed one head at a time: every L×L array (scores, weights, the dropout mask, their
   * gradients) is one head's, and the step's handles on them are closed as soon as the next
   * operation has them, so each is freed when autograd no longer needs it. The arrays of all heads
   * at once are so large that every one is fresh memory from the operating system, and its first
   * touch page by page dominated the step. The dropout multiplies the weights by a 0/1 mask ({@link
   * #dropoutMask}, drawn once; the backward pass reuses it) and applies the {@code 1/(1 - p)}
   * rescaling to the heads' L×D output instead of the L×L weights: the same product, one pass over
   * L×L fewer.
   */
  NDArray attention(NDArray y, boolean training, double dropout) {
    long len = y.getShape().get(0);
    long dh = dim / HEADS;
    NDManager m = y.getManager();
    NDArray qkv =
        Linear.linear(y, params.get("attn_in_proj_weight"), params.get("attn_in_proj_bias"))
            .singletonOrThrow();
    NDList parts = qkv.split(3, 1);
    // each (L, D) -> HEADS views (L, dh); split's backward is one concatenation
    NDList q = parts.get(0).mul(constant(m, 1.0 / Math.sqrt(dh))).split(HEADS, 1);
    NDList k = parts.get(1).split(HEADS, 1);
    NDList v = parts.get(2).split(HEADS, 1);
    boolean drop = training && dropout > 0;
    SplittableRandom maskRandom = drop ? new SplittableRandom(torchSeed(m)) : null;
    NDList heads = new NDList(HEADS);
    for (int h = 0; h < HEADS; h++) {
      NDArray weights;
      try (NDArray scores = q.get(h).matMul(k.get(h).transpose())) {
        weights = scores.softmax(1);
      }
      if (drop) {
        try (NDArray keep = dropoutMask(m, len, dropout, maskRandom);
            NDArray kept = weights) {
          weights = kept.mul(keep);
        }
      }
      try (NDArray w = weights) {
        heads.add(w.matMul(v.get(h)));
      }
    }
    NDArray joined = NDArrays.concat(heads, 1);
    heads.close();
    if (drop) {
      joined = joined.mul(constant(m, 1.0 / (1.0 - dropout)));
    }
    return Linear.linear(
            joined, params.get("attn_out_proj_weight"), params.get("attn_out_proj_bias"))
        .singletonOrThrow();
  }

  /**
   * A seed for the dropout masks of one forward pass, drawn from PyTorch's generator, so that
   * {@code Engine.setRandomSeed} fixes the masks as it fixed PyTorch's own dropout.
   */
  private static long torchSeed(NDManager m) {
    try (NDArray seed = m.randomInteger(0, Long.MAX_VALUE, new Shape(), DataType.INT64)) {
      return seed.getLong();
    }
  }

  /** Mask entries one generator fills (a multiple of 8: whole packed longs). */
  private static final int MASK_CHUNK = 1 << 20;

  /**
   * An L×L float mask of ones and zeros that keeps each weight with probability {@code 1 - p},
   * independently: a weight is dropped when a uniform 32-bit draw is below {@code p·2³²} (so p =
   * 0.1 is dropped with probability 0.1 within 1e-10).
   *
   * <p>Drawn in Java, two weights from each 64-bit draw of a {@link SplittableRandom}, in chunks of
   * {@link #MASK_CHUNK} that each have their own generator split from {@code random} in order (so
   * the mask does not depend on which thread fills which chunk) and are filled in parallel.
   * PyTorch's CPU {@code bernoulli_} draws one number at a time on one thread (its parallel MKL
   * generator is used on Intel CPUs only). The mask crosses as one byte a weight and becomes floats
   * in PyTorch.
   */
  NDArray dropoutMask(NDManager m, long len, double p, SplittableRandom random) {
    int n = Math.toIntExact(len * len);
    if (maskBuffer == null || maskBuffer.capacity() != n) {
      maskBuffer = ByteBuffer.allocateDirect(n).order(ByteOrder.LITTLE_ENDIAN);
    }
    ByteBuffer buffer = maskBuffer;
    long threshold = Math.round(p * 0x1p32);
    int chunks = (n + MASK_CHUNK - 1) / MASK_CHUNK;
    SplittableRandom[] generators = new SplittableRandom[chunks];
    for (int c = 0; c < chunks; c++) {
      generators[c] = random.split();
    }
    IntStream.range(0, chunks)
        .parallel()
        .forEach(
            c ->
                fillMask(
                    buffer,
                    c * MASK_CHUNK,
                    Math.min(n, (c + 1) * MASK_CHUNK),
                    threshold,
                    generators[c]));
    // the boolean array made from the buffer reads Java memory; its float copy is PyTorch's own, so
    // it outlives the buffer's reuse by the next mask (autograd keeps it for the backward pass)
    try (NDArray fromJava = m.create(buffer, new Shape(len, len), DataType.BOOLEAN)) {
      return fromJava.toType(DataType.FLOAT32, false);
    }
  }

  /** Mask bytes {@code [from, to)}: 1 (keep) unless a 32-bit draw is below the threshold. */
  private static void fillMask(
      ByteBuffer buffer, int from, int to, long threshold, SplittableRandom random) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long packed = 0; // eight bytes, little-endian
      for (int j = 0; j < 8; j += 2) {
        long draw = random.nextLong();
        packed |= keep(draw & 0xFFFFFFFFL, threshold) << (8 * j);
        packed |= keep(draw >>> 32, threshold) << (8 * j + 8);
      }
      buffer.putLong(i, packed);
    }
    for (; i < to; i++) {
      buffer.put(i, (byte) keep(random.nextLong() & 0xFFFFFFFFL, threshold));
    }
  }

  /** 1 when the 32-bit draw {@code u} is at least {@code threshold}, else 0 (branch-free). */
  private static long keep(long u, long threshold) {
    return ((u - threshold) >>> 63) ^ 1;
  }

  static NDArray normalizeRows(NDArray a) {
    return a.normalize(2, 1, 1e-12);
  }

  static NDArray cosine(NDArray rows, NDArray columns) {
    return normalizeRows(rows).matMul(normalizeRows(columns).transpose());
  }

  /**
   * log π with π_j = (n_j + 1) / Σ_k (n_k + 1): each class's prototype counts as one sample, so new
   * classes (n_j = 0) get a finite prior.
   */
  public static float[] logPrior(float[] classCounts) {
    double total = 0;
    for (float n : classCounts) {
      total += n + 1.0;
    }
    float[] out = new float[classCounts.length];
    for (int j = 0; j < out.length; j++) {
      out[j] = (float) Math.log((classCounts[j] + 1.0) / total);
    }
    return out;
  }

  /**
   * Adjusted logits (other than the label's) more than this far below their row's maximum are
   * raised to that floor before the softmax. Their probabilities (below e^-60 ≈ 1e-26 of the row's
   * largest) change the loss by less than float32 can show, but left alone, at CLIP's logit scale
   * of 100, they reach the subnormal range in the backward pass, where x86 arithmetic is about a
   * hundred times slower.
   */
  static final double SOFTMAX_FLOOR = 60;

  /** CLA(L, y) = CrossEntropy(L + τ·log π, y), the mean over the rows. */
  public static NDArray claLoss(
      NDArray logits, NDArray oneHotLabels, NDArray logPrior, double tau) {
    NDArray adjusted = logits.add(logPrior.mul(tau));
    // the label's own logit is never raised (its loss may well exceed the floor)
    NDArray floor =
        adjusted
            .max(new int[] {1}, true)
            .stopGradient()
            .sub(SOFTMAX_FLOOR)
            .sub(oneHotLabels.mul(1e30f));
    return adjusted.maximum(floor).logSoftmax(1).mul(oneHotLabels).sum(new int[] {1}).mean().neg();
  }

  /**
   * The loss of a sampled-class step: {@code Σ_i w_i · CE_i(L + A)} summed over the three logit
   * matrices, where row i's cross-entropy is over the adjusted logits {@code L + A} ({@code A}
   * constant, one row per loss row: the logit adjustment and the sampling correction, {@link
   * CandleFit#sampledStep}) and {@code w} weights the rows (their sum is not 1: see there). The
   * same softmax floor as {@link #claLoss}.
   *
   * @param adjust (B + |S|)×|S| added to each logit matrix
   * @param rowWeights B + |S| weights, a column ((B + |S|)×1)
   * @return the weighted total and its three terms
   */
  static NDList sampledLoss(Outputs out, NDArray oneHotLabels, NDArray adjust, NDArray rowWeights) {
    NDArray l0 = weightedCrossEntropy(out.logits(), oneHotLabels, adjust, rowWeights);
    NDArray lvt = weightedCrossEntropy(out.logitsVt(), oneHotLabels, adjust, rowWeights);
    NDArray lvv = weightedCrossEntropy(out.logitsVv(), oneHotLabels, adjust, rowWeights);
    return new NDList(l0.add(lvt).add(lvv), l0, lvt, lvv);
  }

  private static NDArray weightedCrossEntropy(
      NDArray logits, NDArray oneHotLabels, NDArray adjust, NDArray rowWeights) {
    NDArray adjusted = logits.add(adjust);
    NDArray floor =
        adjusted
            .max(new int[] {1}, true)
            .stopGradient()
            .sub(SOFTMAX_FLOOR)
            .sub(oneHotLabels.mul(1e30f));
    return adjusted.maximum(floor).logSoftmax(1).mul(oneHotLabels).mul(rowWeights).sum().neg();
  }

  /** The training loss {@code CLA(L0) + CLA(Lvt) + CLA(Lvv)} and its three terms. */
  public static NDList loss(Outputs out, NDArray oneHotLabels, NDArray logPrior, double tau) {
    NDArray l0 = claLoss(out.logits(), oneHotLabels, logPrior, tau);
    NDArray lvt = claLoss(out.logitsVt(), oneHotLabels, logPrior, tau);
    NDArray lvv = claLoss(out.logitsVv(), oneHotLabels, logPrior, tau);
    return new NDList(l0.add(lvt).add(lvv), l0, lvt, lvv);
  }

  NDManager manager() {
    return manager;
  }
}
