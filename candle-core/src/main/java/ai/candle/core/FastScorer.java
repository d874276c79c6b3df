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
 * Exact serving-time scorer: the test-phase scores of CANDLE.md for every image as a batch of
 * one, without rebuilding the {@code 1 + 2C}-token attention per image.
 *
 * <h2>Why it is exact</h2>
 *
 * Scoring image {@code x} alone runs attention over {@code [I; P'; T]}. Among the {@code N = 2C}
 * class tokens everything except the one extra key/value of the image token is fixed per model,
 * so {@link #prepare} computes once, per class token {@code j} and head {@code h}: the queries,
 * keys and values, {@code M_jh = max_k s_jk}, {@code Z_jh = Σ_k exp(s_jk − M_jh)} and the
 * attention output over the class keys alone {@code N̄_jh}. With the image key {@code k_i} and
 * value {@code v_i} added, the head output of token {@code j} is exactly
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
 * N̄_jh·(Wo_hᵀWo_h')·v_ih'}). The image token's own output {@code I'} is its query over the
 * {@code 1 + N} keys. Per image this costs about {@code N·(8·D + 7·D)} multiply-adds (≈15 M at C =
 * 1000, D = 512) instead of the ≈6 G of the full attention.
 *
 * <p>As in the authors' code and the golden vectors, the text side of a new class is its virtual
 * prototype (see {@link NaiveScorer#textSide}). Preparation runs in float64, scoring in float32.
 *
 * <h2>Batches, resources and threads</h2>
 *
 * {@link #score(float[][])} scores each image alone; a batch only shares the tensor operations, so
 * an image's scores do not depend on what else is in its batch (up to float32 rounding of the
 * batched products, far below 1e-4). A batch costs a fixed number of NDArray operations per chunk
 * of at most {@link #chunkSize()} images. The scorer holds its precomputed arrays in its own
 * {@link NDManager}; close it to free them. {@code score} is safe to call from several threads at
 * once (each call works in its own sub-manager; the precomputed arrays are only read); {@link
 * #close()} waits for calls in flight, and a call after close fails with {@link
 * IllegalStateException}.
 */
public final class FastScorer implements AutoCloseable {
  /** Images per chunk of tensor operations by default; bounds the H²·chunk·2C intermediate. */
  public static final int DEFAULT_CHUNK = 64;

  private static final float LAYER_NORM_EPS = 1e-5f;

  private final NDManager manager;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  private final int dim;
  private final int classes;
  private final int heads;
  private final int headDim;
  private final float ratio;
  private final int chunk;

  // Image side.
  private final NDArray projImage; // D×D
  private final NDArray normWeight; // D
  private final NDArray normBias; // D
  private final NDArray inProjT; // D×3D, query columns scaled by 1/√dh
  private final NDArray inBias; // 3D, query part scaled by 1/√dh
  private final NDArray outProjT; // D×D (Woᵀ)
  private final NDArray outBias; // D
  private final NDArray outProj; // D×D (Wo)
  // Class tokens, N = 2C.
  private final NDArray classKeysT; // H×dh×N
  private final NDArray classValues; // H×N×dh
  private final NDArray classQueriesT; // H×dh×N, scaled by 1/√dh
  private final NDArray logPartition; // H×1×N: M + log Z
  private final NDArray meanValuesT; // H×dh×N: N̄ᵀ
  private final NDArray meanValuesTm2; // H×dh×N: −2·N̄ᵀ
  private final NDArray baseT; // D×N: cᵀ
  private final NDArray baseOutT; // H×dh×N: (c_j·Wo_h)ᵀ
  private final NDArray baseDotF; // H×1×N: c_j·F_jh
  private final NDArray baseSq; // 1×N: c_j·c_j
  private final NDArray gramF; // H×H×1×N: F_jh·F_jh'
  private final NDArray outGramBlocks; // H×dh×D: row blocks of Woᵀ·Wo
  private final NDArray logitWeights; // 1×N: s·SCALE for the C prototype tokens, s for the C text tokens

  private FastScorer(CandleModel model, Device device, int chunk) {
    if (model.numClasses() == 0) {
      throw new IllegalArgumentException("the model has no classes to score against");
    }
    if (chunk < 1) {
      throw new IllegalArgumentException("chunk size must be >= 1, got " + chunk);
    }
    CandleParameters p = model.params();
    this.dim = model.dim();
    this.classes = model.numClasses();
    this.heads = CandleHead.HEADS;
    this.headDim = dim / heads;
    this.ratio = p.ratio();
    this.chunk = chunk;
    this.manager = device == null ? NDManager.newBaseManager() : NDManager.newBaseManager(device);
    boolean ok = false;
    try (NDManager pm = manager.newSubManager()) {
      Prepared pr = new Prepared(pm, model);
      projImage = keep(pr.f32(p.projImage(), dim, dim));
      normWeight = keep(pr.f32(p.normWeight(), dim));
      normBias = keep(pr.f32(p.normBias(), dim));
      inProjT = keep(pr.inProjT);
      inBias = keep(pr.inBias);
      outProjT = keep(pr.wo.transpose());
      outBias = keep(pr.bo);
      outProj = keep(pr.wo);
      classKeysT = keep(pr.keys.transpose(0, 2, 1));
      classValues = keep(pr.values);
      classQueriesT = keep(pr.queries.transpose(0, 2, 1));
      logPartition = keep(pr.logPartition.expandDims(1));
      meanValuesT = keep(pr.meanValues.transpose(0, 2, 1));
      meanValuesTm2 = keep(pr.meanValues.transpose(0, 2, 1).mul(-2));
      baseT = keep(pr.base.transpose());
      baseOutT = keep(pr.base.matMul(pr.wo).reshape(2L * classes, heads, headDim).transpose(1, 2, 0));
      baseDotF = keep(pr.f.mul(pr.base.expandDims(0)).sum(new int[] {2}).expandDims(1));
      baseSq = keep(pr.base.mul(pr.base).sum(new int[] {1}).expandDims(0));
      gramF = keep(pr.gramF());
      outGramBlocks = keep(pr.wo.transpose().matMul(pr.wo).reshape(heads, headDim, dim));
      float[] w = new float[2 * classes];
      double s = model.hyper().logitScale();
      for (int j = 0; j < classes; j++) {
        w[j] = (float) (s * model.hyper().scale());
        w[classes + j] = (float) s;
      }
      logitWeights = manager.create(w, new Shape(1, 2L * classes));
      ok = true;
    } finally {
      if (!ok) {
        manager.close();
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
        throw new IllegalStateException("this FastScorer is closed; prepare a new one from the model");
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
          "image " + row + " has " + (image == null ? "no" : image.length) + " values, the model expects " + dim);
    }
    for (float v : image) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("image " + row + " holds a non-finite value (" + v + ")");
      }
    }
  }

  /**
   * Scores images {@code from..to-1} with a fixed number of tensor operations. Every operation's
   * receiver is an array of {@code cm}, so every result belongs to {@code cm} and is freed with it.
   */
  private void scoreChunk(NDManager cm, float[][] images, int from, int to, float[][] out) {
    int b = to - from;
    int h = heads;
    int dh = headDim;
    int n = 2 * classes;
    float[] flat = new float[b * dim];
    for (int i = from; i < to; i++) {
      System.arraycopy(images[i], 0, flat, (i - from) * dim, dim);
    }
    NDArray x = cm.create(flat, new Shape(b, dim));
    NDArray y =
        LayerNorm.layerNorm(x.matMul(projImage), new Shape(dim), normWeight, normBias, LAYER_NORM_EPS)
            .singletonOrThrow();
    // Image token's q (pre-scaled), k, v per head: H×b×dh each.
    NDArray qkv = y.matMul(inProjT).add(inBias).reshape(b, 3, h, dh).transpose(1, 2, 0, 3);
    NDArray q = qkv.get(0);
    NDArray k = qkv.get(1);
    NDArray v = qkv.get(2);

    // I': the image query over its own key and the N class keys.
    NDArray logits = q.batchMatMul(classKeysT).concat(q.mul(k).sum(new int[] {2}, true), 2).softmax(2);
    NDArray headOut = logits.get(new NDIndex(":, :, :{}", n))
        .batchMatMul(classValues)
        .add(logits.get(new NDIndex(":, :, {}:", n)).mul(v));
    NDArray imageOut = headOut.transpose(1, 0, 2).reshape(b, dim).matMul(outProjT).add(outBias).mul(ratio).add(y);

    // e_jh = ratio · weight of the image key in class token j's head-h attention: H×b×N.
    NDArray e = Activation.sigmoid(k.batchMatMul(classQueriesT).sub(logPartition)).mul(ratio);

    // I'·Z_j = I'·c_j + Σ_h e_jh (I'·G_h − I'·F_jh).
    NDArray imageOutWo = imageOut.matMul(outProj).reshape(b, h, dh).transpose(1, 0, 2);
    NDArray dotF = imageOutWo.batchMatMul(meanValuesT);
    NDArray dotG = imageOutWo.mul(v).sum(new int[] {2}, true);
    NDArray dot = dotG.sub(dotF).mul(e).sum(new int[] {0}).add(imageOut.matMul(baseT));

    // ‖Z_j‖² = c·c + 2 Σ_h e_h (c·G_h − c·F_h) + eᵀ(GG)e + eᵀ(FF_j)e − 2 eᵀ(FG_j)e.
    NDArray linear = v.batchMatMul(baseOutT).sub(baseDotF).mul(e).sum(new int[] {0});
    // u[h', b, h, :] = (Wo_hᵀ Wo_h') v_ih'
    NDArray u = v.batchMatMul(outGramBlocks).reshape(h, b, h, dh);
    NDArray eb = e.transpose(1, 0, 2); // b×H×N
    NDArray gramG = u.mul(v.transpose(1, 0, 2).expandDims(0)).sum(new int[] {3}).transpose(1, 0, 2); // b×H'×H
    NDArray quadG = gramG.batchMatMul(eb).mul(eb).sum(new int[] {1});
    NDArray quadF = u.transpose(2, 0, 1, 3)
        .reshape(h, (long) h * b, dh)
        .batchMatMul(meanValuesTm2) // −2 F_jh·G_h' : H×(H'·b)×N
        .reshape(h, h, b, n)
        .addi(gramF)
        .muli(e.expandDims(0))
        .sum(new int[] {1})
        .mul(e)
        .sum(new int[] {0});
    NDArray sq = linear.mul(2).add(quadG).add(quadF).add(baseSq).maximum(1e-30f);

    NDArray imageNorm = imageOut.norm(new int[] {1}, true).maximum(1e-12f);
    NDArray cos = dot.div(sq.sqrt()).div(imageNorm);
    float[] scores = cos.mul(logitWeights).reshape(b, 2, classes).sum(new int[] {1}).toFloatArray();
    for (int i = 0; i < b; i++) {
      out[from + i] = new float[classes];
      System.arraycopy(scores, i * classes, out[from + i], 0, classes);
    }
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
      NDArray text = f64(NaiveScorer.textSide(model), c, dim).matMul(f64(p.projText(), dim, dim));
      NDArray yc = LayerNorm.layerNorm(
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
      NDArray qkv = yc.matMul(inProjT).add(inBias).reshape(tokens, 3, heads, headDim).transpose(1, 2, 0, 3);
      queries = qkv.get(0);
      keys = qkv.get(1);
      values = qkv.get(2);

      // Attention among the class tokens, head by head (an N×N block at a time).
      NDList means = new NDList();
      NDList logZ = new NDList();
      for (int h = 0; h < heads; h++) {
        NDArray s = queries.get(h).matMul(keys.get(h).transpose());
        NDArray max = s.max(new int[] {1}, true);
        NDArray ex = s.sub(max).exp();
        NDArray z = ex.sum(new int[] {1}, true);
        means.add(ex.matMul(values.get(h)).div(z));
        logZ.add(max.add(z.log()).squeeze(1));
      }
      meanValues = NDArrays.stack(means, 0);
      logPartition = NDArrays.stack(logZ, 0);

      wo = f64(p.attnOutProjWeight(), dim, dim);
      bo = f64(p.attnOutProjBias(), dim);
      // Wo_h = Wo[:, h·dh:(h+1)·dh]; F_h = N̄_h·Wo_hᵀ : H×N×D
      NDArray woHeads = wo.reshape(dim, heads, headDim).transpose(1, 2, 0); // H×dh×D = Wo_hᵀ
      f = meanValues.batchMatMul(woHeads);
      base = f.sum(new int[] {0}).add(bo).mul(p.ratio()).add(yc);
    }

    /** F_jh·F_jh' : H×H'×1×N. */
    NDArray gramF() {
      NDList rows = new NDList();
      for (int h = 0; h < heads; h++) {
        rows.add(f.mul(f.get(h).expandDims(0)).sum(new int[] {2}));
      }
      return NDArrays.stack(rows, 0).expandDims(2);
    }

    NDArray f64(float[] values, long... shape) {
      return pm.create(values, new Shape(shape)).toType(DataType.FLOAT64, false);
    }

    NDArray f32(float[] values, long... shape) {
      return pm.create(values, new Shape(shape));
    }
  }
}
