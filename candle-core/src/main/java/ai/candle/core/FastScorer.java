package ai.candle.core;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Exact serving-time scorer: the test-phase scores of docs/method.md for every image as a batch of
 * one, without rebuilding the {@code 1 + 2C}-token attention per image.
 *
 * <h2>Why it is exact</h2>
 *
 * Scoring image {@code x} alone runs attention over {@code [I; P'; T]}. Among the {@code N = 2C}
 * class tokens everything except the one extra key/value of the image token is fixed per model, so
 * {@link #prepare} computes once, per class token {@code j} and head {@code h}: the queries, keys
 * and values, {@code M_jh = max_k s_jk}, {@code Z_jh = Σ_k exp(s_jk − M_jh)} and the attention
 * output over the class keys alone {@code N̄_jh}. With the image key {@code k_i} and value {@code
 * v_i} added, the head output of token {@code j} is exactly
 *
 * <pre>  (1 − w_jh)·N̄_jh + w_jh·v_ih,   w_jh = sigmoid(q_jh·k_ih/√dh − M_jh − log Z_jh).</pre>
 *
 * The out-projection is linear: with {@code F_jh = N̄_jh·Wo_hᵀ} ({@code Wo_h} the D×dh column block
 * of head h), {@code G_h = v_ih·Wo_hᵀ} and {@code e_jh = ratio·w_jh},
 *
 * <pre>  Z_j = c_j + Σ_h e_jh (G_h − F_jh),   c_j = Y_j + ratio·(bo + Σ_h F_jh).</pre>
 *
 * The logits need only {@code I'·Z_j} and {@code ‖Z_j‖}; both expand into Gram terms that are
 * precomputed ({@code c·c}, {@code c·F}, {@code F·F}), small per image ({@code G_h·G_h'}) or cheap
 * products with the image's value ({@code c_j·G_h = (c_j·Wo_h)·v_ih}, {@code F_jh·G_h' =
 * N̄_jh·(Wo_hᵀWo_h')·v_ih'}). The image token's own output {@code I'} is its query over the {@code
 * 1 + N} keys. Per image this costs about {@code 15·N·D + 8·D²} multiply-adds (≈17 M at C = 1000, D
 * = 512; 9·N·D of it for the {@code F·G} cross terms) instead of the ≈6.7 G of the full attention,
 * and the products run as a few large batched matrix products.
 *
 * <p>As in the authors' code and the golden vectors, the text side of a new class is its virtual
 * prototype (see {@link CandleModel#textSide}). Preparation runs in float64, scoring in float32.
 *
 * <h2>Batches, resources and threads</h2>
 *
 * {@link #score(float[][])} scores each image alone; a batch only shares the tensor operations, so
 * an image's scores do not depend on what else is in its batch (up to float32 rounding of the
 * batched products, far below 1e-4). A batch costs a fixed number of NDArray operations per chunk
 * of at most {@link #chunkSize()} images. The scorer holds its precomputed arrays in its own {@link
 * NDManager}; close it to free them. {@code score} is safe to call from several threads at once
 * (each call works in its own sub-manager; the precomputed arrays are only read); {@link #close()}
 * waits for calls in flight, and a call after close fails with {@link IllegalStateException}.
 */
public final class FastScorer implements AutoCloseable {
  /**
   * Images per chunk of tensor operations by default: bounds the per-call intermediates (about
   * 2H·chunk·2C floats for the logits, H²·chunk·{@link #CLASS_SLICE} for the cross terms); the
   * fastest of the sizes tried (BENCHMARKS.md, "Exact scoring").
   */
  public static final int DEFAULT_CHUNK = 128;

  private static final float LAYER_NORM_EPS = 1e-5f;

  /**
   * Class tokens per slice of the cross-Gram product, so that its H·H'·chunk·slice intermediate
   * stays in cache for the element-wise passes that follow it.
   */
  static final int CLASS_SLICE = 256;

  /** Class-token query rows per block of the preparation's attention (bounds its memory). */
  static final int PREPARE_ROWS = 1024;

  private final NDManager manager;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  private final int dim;
  private final int classes;
  private final int baseClasses;
  private final int heads;
  private final int headDim;
  private final float ratio;
  private final int chunk;

  /** REFERENCE: the score is the head's. ADAPTIVE: zero-shot CLIP plus the weighted corrections. */
  private final boolean adaptive;

  /**
   * Whether the head's test-phase scores take part (REFERENCE, or ADAPTIVE with η > 0); the head's
   * arrays are null otherwise.
   */
  private final boolean head;

  // Image side of the head.
  private NDArray projImage; // D×D
  private NDArray normWeight; // D
  private NDArray normBias; // D
  private NDArray inProjT; // D×3D, query columns scaled by 1/√dh
  private NDArray inBias; // 3D, query part scaled by 1/√dh
  private NDArray outProjT; // D×D (Woᵀ)
  private NDArray outBias; // D

  // Class side of the head, N = 2C; "aug" rows pair with a constant column appended to the image
  // side.
  /**
   * 2H×(dh+1)×(N+1): heads 0..H-1 [Kᵀ 0; 0 1] (image query → logits, own key last); H..2H-1 [Qᵀ 0;
   * −(M + log Z) 0].
   */
  private NDArray keysQueriesAug;

  /** H×(N+1)×dh: class values, then a zero row for the image's own value (added separately). */
  private NDArray valuesAug;

  /** D×(D+N): [ratio·Wo | cᵀ]. */
  private NDArray outAndBase;

  /** 2H×(dh+1)×N: heads 0..H-1 [−N̄ᵀ; 1], H..2H-1 [2·ratio·(c·Wo_h)ᵀ; −2·ratio·(c·F_h)]. */
  private NDArray dotLinear;

  /** H×dh×D: ratio²·(row blocks of Woᵀ·Wo). */
  private NDArray outGramBlocks;

  /**
   * H×(dh+H)×N in contiguous slices of at most {@link #CLASS_SLICE} class tokens: [−2·N̄ᵀ_h;
   * ratio²·(F_h·F_h') for h' = 0..H-1].
   */
  private NDArray[] crossGramSlices;

  private NDArray baseSq; // 1×N: c_j·c_j
  private NDArray logitWeights; // 1×N: s·SCALE for the C prototype tokens, s for the C text tokens
  // ADAPTIVE (ScoreWeights): s·cos(x, t_c) for every class, then on the base classes
  // λ·s·(x'·A_b + |x'|²·a_b + c_b) with x' = x − μ (GaussianPrior), η·(H_b − mean_b H_b) and β.
  private NDArray zeroShotText; // D×C: s·n(t_c)ᵀ
  private NDArray priorCentre; // 1×D: μ; null when λ = 0 or the term is empty
  private NDArray priorWeights; // D×Cb: λ·s·Aᵀ
  private NDArray priorSquareWeights; // 1×Cb: λ·s·a
  private NDArray priorBiases; // 1×Cb: λ·s·c
  private final float headWeight; // η
  private final float baseOffset; // β

  private FastScorer(CandleModel model, Device device, int chunk) {
    if (model.numClasses() == 0) {
      throw new IllegalArgumentException("the model has no classes to score against");
    }
    if (chunk < 1) {
      throw new IllegalArgumentException("chunk size must be >= 1, got " + chunk);
    }
    CandleParameters p = model.params();
    ScoreWeights weights = model.weights();
    this.dim = model.dim();
    this.classes = model.numClasses();
    this.baseClasses = model.baseClasses();
    this.heads = CandleHead.HEADS;
    this.headDim = dim / heads;
    this.ratio = p.ratio();
    this.chunk = chunk;
    this.adaptive = model.hyper().isAdaptive();
    this.head = !adaptive || (weights.usesHead() && baseClasses > 0);
    this.headWeight = (float) weights.headWeight();
    this.baseOffset = (float) weights.baseOffset();
    this.manager = device == null ? NDManager.newBaseManager() : NDManager.newBaseManager(device);
    boolean ok = false;
    try (NDManager pm = manager.newSubManager()) {
      if (head) {
        prepareHead(pm, model);
      }
      if (adaptive) {
        prepareAdaptive(pm, model, weights);
      }
      ok = true;
    } finally {
      if (!ok) {
        manager.close();
      }
    }
  }

  /** The head's precomputed arrays (class documentation). */
  private void prepareHead(NDManager pm, CandleModel model) {
    CandleParameters p = model.params();
    Prepared pr = new Prepared(pm, model);
    projImage = keep(pr.f32(p.projImage(), dim, dim));
    normWeight = keep(pr.f32(p.normWeight(), dim));
    normBias = keep(pr.f32(p.normBias(), dim));
    inProjT = keep(pr.inProjT);
    inBias = keep(pr.inBias);
    outProjT = keep(pr.wo.transpose());
    outBias = keep(pr.bo);
    keysQueriesAug = keep(pr.keysQueriesAug());
    valuesAug = keep(pr.values.concat(pm.zeros(new Shape(heads, 1, headDim), DataType.FLOAT64), 1));
    outAndBase = keep(pr.wo.mul(ratio).concat(pr.base.transpose(), 1));
    dotLinear = keep(pr.dotLinear());
    outGramBlocks =
        keep(
            pr.wo
                .transpose()
                .matMul(pr.wo)
                .mul((double) ratio * ratio)
                .reshape(heads, headDim, dim));
    NDArray crossGram = pr.crossGram();
    crossGramSlices = new NDArray[(2 * classes + CLASS_SLICE - 1) / CLASS_SLICE];
    for (int i = 0; i < crossGramSlices.length; i++) {
      int lo = i * CLASS_SLICE;
      int hi = Math.min(2 * classes, lo + CLASS_SLICE);
      crossGramSlices[i] = keep(crossGram.get(new NDIndex(":, :, {}:{}", lo, hi)));
    }
    baseSq = keep(pr.base.mul(pr.base).sum(new int[] {1}).expandDims(0));
    float[] w = new float[2 * classes];
    double s = model.hyper().logitScale();
    for (int j = 0; j < classes; j++) {
      w[j] = (float) (s * model.hyper().scale());
      w[classes + j] = (float) s;
    }
    logitWeights = manager.create(w, new Shape(1, 2L * classes));
  }

  /** Zero-shot CLIP's text side and the Gaussian term's linear form, scaled by s and λ. */
  private void prepareAdaptive(NDManager pm, CandleModel model, ScoreWeights weights) {
    double s = model.hyper().logitScale();
    float[] unitText = ZeroShot.normalizedRows(model.textFeatures(), classes, dim);
    zeroShotText = keep(pm.create(unitText, new Shape(classes, dim)).transpose().mul(s));
    double lambda = weights.priorWeight();
    if (lambda > 0 && baseClasses > 0) {
      GaussianPrior prior = GaussianPrior.of(model);
      if (!prior.isEmpty()) {
        priorCentre = keep(pm.create(prior.centre(), new Shape(1, dim)));
        priorWeights =
            keep(
                pm.create(prior.weights(), new Shape(baseClasses, dim))
                    .transpose()
                    .mul(lambda * s));
        priorSquareWeights =
            keep(pm.create(prior.squareWeights(), new Shape(1, baseClasses)).mul(lambda * s));
        priorBiases = keep(pm.create(prior.biases(), new Shape(1, baseClasses)).mul(lambda * s));
      }
    }
  }

  /** Prepares a scorer on the engine's default device, with {@link #DEFAULT_CHUNK}. */
  public static FastScorer prepare(CandleModel model) {
    return new FastScorer(model, null, DEFAULT_CHUNK);
  }

  /**
   * Prepares a scorer.
   *
   * @param device where the precomputed arrays live and the products run ({@code null}: default)
   * @param chunk at most this many images per chunk of tensor operations
   */
  public static FastScorer prepare(CandleModel model, Device device, int chunk) {
    return new FastScorer(model, device, chunk);
  }

  public int dim() {
    return dim;
  }

  public int numClasses() {
    return classes;
  }

  public int chunkSize() {
    return chunk;
  }

  /** Scores one raw image feature (length D) alone; returns its C scores. */
  public float[] score(float[] image) {
    return score(new float[][] {image})[0];
  }

  /**
   * Scores every image alone: B×D raw image features in, B×C scores {@code Lvt + Lvv} out.
   *
   * @throws IllegalArgumentException if a row is not D wide or holds a non-finite value
   * @throws IllegalStateException if the scorer is closed
   */
  public float[][] score(float[][] images) {
    if (images == null) {
      throw new IllegalArgumentException("images must not be null");
    }
    for (int i = 0; i < images.length; i++) {
      checkImage(images[i], i);
    }
    float[][] out = new float[images.length][];
    if (images.length == 0) {
      return out;
    }
    lock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException(
            "this FastScorer is closed; prepare a new one from the model");
      }
      for (int from = 0; from < images.length; from += chunk) {
        int to = Math.min(images.length, from + chunk);
        try (NDManager cm = manager.newSubManager()) {
          scoreChunk(cm, images, from, to, out);
        }
      }
    } finally {
      lock.readLock().unlock();
    }
    return out;
  }

  private void checkImage(float[] image, int row) {
    if (image == null || image.length != dim) {
      throw new IllegalArgumentException(
          "image "
              + row
              + " has "
              + (image == null ? "no" : image.length)
              + " values, the model expects "
              + dim);
    }
    for (float v : image) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException(
            "image " + row + " holds a non-finite value (" + v + ")");
      }
    }
  }

  /**
   * Scores images {@code from..to-1} with a fixed number of tensor operations. Every operation's
   * receiver is an array of {@code cm}, so every result belongs to {@code cm} and is freed with it.
   * The ratio is folded into the prepared arrays: {@code w} below is the image key's attention
   * weight, {@code e = ratio·w}.
   */
  private void scoreChunk(NDManager cm, float[][] images, int from, int to, float[][] out) {
    int b = to - from;
    float[] flat = new float[b * dim];
    for (int i = from; i < to; i++) {
      System.arraycopy(images[i], 0, flat, (i - from) * dim, dim);
    }
    NDArray x = cm.create(flat, new Shape(b, dim));
    NDArray summed = adaptive ? adaptiveScores(cm, x) : headScores(cm, x);
    float[] scores = summed.toFloatArray();
    for (int i = 0; i < b; i++) {
      out[from + i] = new float[classes];
      System.arraycopy(scores, i * classes, out[from + i], 0, classes);
    }
  }

  /**
   * ADAPTIVE: {@code s·cos(x, t_c)} for every class, plus on the base classes the Gaussian term,
   * the head's base-centred scores and the offset, each with its weight ({@link ScoreWeights}).
   */
  private NDArray adaptiveScores(NDManager cm, NDArray x) {
    NDArray zeroShot = x.normalize(2, 1, 1e-12).matMul(zeroShotText);
    if (baseClasses == 0) {
      return zeroShot;
    }
    long b = x.getShape().get(0);
    NDArray correction = null;
    if (priorWeights != null) {
      NDArray centred = x.sub(priorCentre);
      NDArray squares = centred.mul(centred).sum(new int[] {1}, true);
      correction =
          centred.matMul(priorWeights).add(squares.mul(priorSquareWeights)).add(priorBiases);
    }
    if (head) {
      NDArray baseHead = headScores(cm, x).get(new NDIndex(":, :{}", baseClasses));
      NDArray centredHead = baseHead.sub(baseHead.mean(new int[] {1}, true)).mul(headWeight);
      correction = correction == null ? centredHead : correction.add(centredHead);
    }
    if (correction == null) {
      if (baseOffset == 0) {
        return zeroShot;
      }
      correction = cm.zeros(new Shape(b, baseClasses));
    }
    if (baseOffset != 0) {
      correction = correction.add(baseOffset);
    }
    if (baseClasses < classes) {
      correction = correction.concat(cm.zeros(new Shape(b, classes - baseClasses)), 1);
    }
    return zeroShot.add(correction);
  }

  /** The head's test-phase scores {@code Lvt + Lvv} of the images x (b×D): b×C. */
  private NDArray headScores(NDManager cm, NDArray x) {
    int b = (int) x.getShape().get(0);
    int h = heads;
    int dh = headDim;
    int n = 2 * classes;
    NDArray y =
        LayerNorm.layerNorm(
                x.matMul(projImage), new Shape(dim), normWeight, normBias, LAYER_NORM_EPS)
            .singletonOrThrow();
    // The image token's q (pre-scaled), k, v per head: 3×H×b×dh (a view).
    NDArray qkv = y.matMul(inProjT).add(inBias).reshape(b, 3, h, dh).transpose(1, 2, 0, 3);
    NDArray v = qkv.get(2);
    NDArray ones = cm.ones(new Shape(1, h, b, 1));
    NDArray selfLogit = qkv.get(0).mul(qkv.get(1)).sum(new int[] {2}, true).expandDims(0);

    // One product gives the image query's logits over [class keys, own key] (heads 0..H-1) and
    // each class query's logit for the image key minus its log-partition (heads H..2H-1).
    NDArray logits =
        qkv.get(new NDIndex("0:2"))
            .concat(selfLogit.concat(ones, 0), 3)
            .reshape(2L * h, b, dh + 1)
            .batchMatMul(keysQueriesAug);
    NDArray attention = logits.get(new NDIndex("0:{}", h)).softmax(2);
    NDArray headOut =
        attention.batchMatMul(valuesAug).add(attention.get(new NDIndex(":, :, {}:", n)).mul(v));
    NDArray imageOut =
        headOut.transpose(1, 0, 2).reshape(b, dim).matMul(outProjT).add(outBias).mul(ratio).add(y);
    // w_jh: weight of the image key in class token j's head h: H×b×N.
    NDArray w = Activation.sigmoid(logits.get(new NDIndex("{}:, :, :{}", h, n)));

    // I'·Z_j = I'·c_j + Σ_h e_jh (I'·G_h − I'·F_jh) and the linear part of ‖Z_j‖²,
    // 2 Σ_h e_jh (c_j·G_h − c_j·F_jh), from one product: 2×b×N after the weighted sum over h.
    NDArray imageOutWoBase = imageOut.matMul(outAndBase); // b×(D+N): [ratio·I'·Wo | I'·c]
    NDArray imageWo =
        imageOutWoBase.get(new NDIndex(":, :{}", dim)).reshape(b, h, dh).transpose(1, 0, 2);
    NDArray imageG = imageWo.mul(v).sum(new int[] {2}, true).expandDims(0); // ratio·I'·G_h
    NDArray dotLin =
        imageWo
            .expandDims(0)
            .concat(v.expandDims(0), 0)
            .concat(imageG.concat(ones, 0), 3)
            .reshape(2L * h, b, dh + 1)
            .batchMatMul(dotLinear)
            .reshape(2, h, b, n)
            .mul(w)
            .sum(new int[] {1});
    NDArray dot = dotLin.get(0).add(imageOutWoBase.get(new NDIndex(":, {}:", dim)));

    // Quadratic part of ‖Z_j‖²: eᵀ(GG)e + eᵀ(FF_j − 2 FG_j)e, u[h', b, h, :] = ratio²(Wo_hᵀ Wo_h')
    // v_ih'.
    NDArray u = v.batchMatMul(outGramBlocks).reshape(h, b, h, dh);
    NDArray wb = w.transpose(1, 0, 2); // b×H×N
    NDArray quadG =
        u.mul(v.transpose(1, 0, 2).expandDims(0))
            .sum(new int[] {3})
            .transpose(1, 0, 2) // b×H'×H: ratio²·G_h·G_h' (symmetric)
            .batchMatMul(wb)
            .mul(wb)
            .sum(new int[] {1});
    NDArray left =
        u.transpose(2, 0, 1, 3) // H×H'×b×dh
            .concat(oneHot(cm, b), 3)
            .reshape(h, (long) h * b, dh + h);
    NDList quadParts = new NDList(crossGramSlices.length);
    for (int i = 0; i < crossGramSlices.length; i++) {
      int lo = i * CLASS_SLICE;
      int hi = Math.min(n, lo + CLASS_SLICE);
      NDArray ws = w.get(new NDIndex(":, :, {}:{}", lo, hi));
      quadParts.add(
          left.batchMatMul(crossGramSlices[i]) // ratio²·(F_jh·F_jh' − 2 F_jh·G_h'): H×(H'·b)×slice
              .reshape(h, h, b, hi - lo)
              .muli(ws.expandDims(0))
              .sum(new int[] {1})
              .muli(ws)
              .sum(new int[] {0}));
    }
    NDArray quadF = quadParts.size() == 1 ? quadParts.get(0) : NDArrays.concat(quadParts, 1);
    NDArray sq = dotLin.get(1).add(quadG).add(quadF).add(baseSq).maximum(1e-30f);

    NDArray imageNorm = imageOut.norm(new int[] {1}, true).maximum(1e-12f);
    NDArray cos = dot.div(sq.sqrt()).div(imageNorm);
    return cos.mul(logitWeights).reshape(b, 2, classes).sum(new int[] {1});
  }

  /**
   * H×H'×b×H, 1 where the last index equals h' (selects the F·F' row of {@link #crossGramSlices}).
   */
  private NDArray oneHot(NDManager cm, int b) {
    float[] values = new float[heads * b * heads];
    for (int hp = 0; hp < heads; hp++) {
      for (int i = 0; i < b; i++) {
        values[(hp * b + i) * heads + hp] = 1f;
      }
    }
    return cm.create(values, new Shape(1, heads, b, heads)).broadcast(heads, heads, b, heads);
  }

  /**
   * The indices of the {@code k} highest scores, best first (ties: the lower index first).
   *
   * @throws IllegalArgumentException if {@code k} is negative
   */
  public static int[] topK(float[] scores, int k) {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0, got " + k);
    }
    int m = Math.min(k, scores.length);
    int[] best = new int[m];
    int filled = 0;
    for (int j = 0; j < scores.length; j++) {
      if (filled == m && (m == 0 || !(scores[j] > scores[best[m - 1]]))) {
        continue;
      }
      int pos = filled == m ? m - 1 : filled++;
      while (pos > 0 && scores[j] > scores[best[pos - 1]]) {
        best[pos] = best[pos - 1];
        pos--;
      }
      best[pos] = j;
    }
    return best;
  }

  /** Arrays held by this scorer's manager (for leak checks in tests). */
  int managedArrays() {
    return manager.getManagedArrays().size();
  }

  /** Copies {@code a} into a contiguous float32 array owned by this scorer. */
  private NDArray keep(NDArray a) {
    float[] values = a.toType(DataType.FLOAT32, false).toFloatArray();
    return manager.create(values, a.getShape());
  }

  /** Frees the precomputed arrays; waits for calls in flight. Idempotent. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        manager.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** The per-model quantities, in float64, in a temporary manager. */
  private static final class Prepared {
    final NDManager pm;
    final int dim;
    final int heads;
    final int headDim;
    final int tokens;
    final NDArray wo; // D×D
    final NDArray bo; // D
    final NDArray inProjT; // D×3D, query part scaled
    final NDArray inBias; // 3D, query part scaled
    final NDArray queries; // H×N×dh, scaled
    final NDArray keys; // H×N×dh
    final NDArray values; // H×N×dh
    final NDArray meanValues; // H×N×dh
    final NDArray logPartition; // H×N
    final NDArray f; // H×N×D
    final NDArray base; // N×D
    final float ratio;

    Prepared(NDManager pm, CandleModel model) {
      this.pm = pm;
      CandleParameters p = model.params();
      dim = model.dim();
      heads = CandleHead.HEADS;
      headDim = dim / heads;
      int c = model.numClasses();
      tokens = 2 * c;
      double inv = 1.0 / Math.sqrt(headDim);

      NDArray protos = f64(model.prototypes(), c, dim).matMul(f64(p.projImage(), dim, dim));
      NDArray text = f64(model.textSide(), c, dim).matMul(f64(p.projText(), dim, dim));
      NDArray yc =
          LayerNorm.layerNorm(
                  protos.concat(text, 0),
                  new Shape(dim),
                  f64(p.normWeight(), dim),
                  f64(p.normBias(), dim),
                  LAYER_NORM_EPS)
              .singletonOrThrow();

      // Scale the query rows of the in-projection by 1/√dh once.
      double[] rowScale = new double[3 * dim];
      java.util.Arrays.fill(rowScale, 0, dim, inv);
      java.util.Arrays.fill(rowScale, dim, 3 * dim, 1.0);
      NDArray scaleRows = pm.create(rowScale, new Shape(3L * dim));
      NDArray w = f64(p.attnInProjWeight(), 3 * dim, dim).mul(scaleRows.expandDims(1));
      inBias = f64(p.attnInProjBias(), 3 * dim).mul(scaleRows);
      inProjT = w.transpose();
      NDArray qkv =
          yc.matMul(inProjT).add(inBias).reshape(tokens, 3, heads, headDim).transpose(1, 2, 0, 3);
      queries = qkv.get(0);
      keys = qkv.get(1);
      values = qkv.get(2);

      // Attention among the class tokens, head by head and a block of query rows at a time (the
      // logits of a block are freed before the next one).
      NDList means = new NDList();
      NDList logZ = new NDList();
      for (int h = 0; h < heads; h++) {
        NDArray keysT = keys.get(h).transpose();
        NDArray headValues = values.get(h);
        NDList meanBlocks = new NDList();
        NDList logZBlocks = new NDList();
        for (int lo = 0; lo < tokens; lo += PREPARE_ROWS) {
          try (NDManager bm = pm.newSubManager()) {
            NDArray q =
                queries.get(h).get(new NDIndex("{}:{}", lo, Math.min(tokens, lo + PREPARE_ROWS)));
            q.attach(bm);
            NDArray s = q.matMul(keysT);
            NDArray max = s.max(new int[] {1}, true);
            NDArray ex = s.sub(max).exp();
            NDArray z = ex.sum(new int[] {1}, true);
            NDArray mean = ex.matMul(headValues).div(z);
            NDArray lz = max.add(z.log()).squeeze(1);
            mean.attach(pm);
            lz.attach(pm);
            meanBlocks.add(mean);
            logZBlocks.add(lz);
          }
        }
        means.add(NDArrays.concat(meanBlocks, 0));
        logZ.add(NDArrays.concat(logZBlocks, 0));
      }
      meanValues = NDArrays.stack(means, 0);
      logPartition = NDArrays.stack(logZ, 0);

      wo = f64(p.attnOutProjWeight(), dim, dim);
      bo = f64(p.attnOutProjBias(), dim);
      // Wo_h = Wo[:, h·dh:(h+1)·dh]; F_h = N̄_h·Wo_hᵀ : H×N×D
      NDArray woHeads = wo.reshape(dim, heads, headDim).transpose(1, 2, 0); // H×dh×D = Wo_hᵀ
      f = meanValues.batchMatMul(woHeads);
      ratio = p.ratio();
      base = f.sum(new int[] {0}).add(bo).mul(ratio).add(yc);
    }

    /** See {@link FastScorer#keysQueriesAug}. */
    NDArray keysQueriesAug() {
      NDArray keysT = keys.transpose(0, 2, 1);
      NDArray top =
          keysT
              .concat(pm.zeros(new Shape(heads, headDim, 1), DataType.FLOAT64), 2)
              .concat(
                  pm.zeros(new Shape(heads, 1, tokens), DataType.FLOAT64)
                      .concat(pm.ones(new Shape(heads, 1, 1), DataType.FLOAT64), 2),
                  1);
      NDArray bottom =
          queries
              .transpose(0, 2, 1)
              .concat(logPartition.expandDims(1).neg(), 1)
              .concat(pm.zeros(new Shape(heads, headDim + 1, 1), DataType.FLOAT64), 2);
      return top.concat(bottom, 0);
    }

    /** See {@link FastScorer#dotLinear}. */
    NDArray dotLinear() {
      NDArray top =
          meanValues
              .transpose(0, 2, 1)
              .neg()
              .concat(pm.ones(new Shape(heads, 1, tokens), DataType.FLOAT64), 1);
      NDArray baseWo = base.matMul(wo).reshape(tokens, heads, headDim).transpose(1, 2, 0); // H×dh×N
      NDArray baseF = f.mul(base.expandDims(0)).sum(new int[] {2}).expandDims(1); // H×1×N
      NDArray bottom = baseWo.concat(baseF.neg(), 1).mul(2.0 * ratio);
      return top.concat(bottom, 0);
    }

    /** See {@link FastScorer#crossGramSlices}: H×(dh+H)×N. */
    NDArray crossGram() {
      // F_j·F_jᵀ for every class token j: N×H×H' → H×H'×N
      NDArray gram =
          f.transpose(1, 0, 2)
              .batchMatMul(f.transpose(1, 2, 0))
              .transpose(1, 2, 0)
              .mul((double) ratio * ratio);
      return meanValues.transpose(0, 2, 1).mul(-2.0).concat(gram, 1);
    }

    NDArray f64(float[] values, long... shape) {
      return pm.create(values, new Shape(shape)).toType(DataType.FLOAT64, false);
    }

    NDArray f32(float[] values, long... shape) {
      return pm.create(values, new Shape(shape));
    }
  }
}
