package ai.candle.clip;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CLIP image encoder (image bytes to a D-wide feature) run by DJL, batched, off its callers'
 * threads, with back-pressure.
 *
 * <p>Callers hand images to a bounded queue; worker threads (each with its own DJL {@link
 * Predictor}) take what is queued, up to a batch, decode each image ({@link ImageDecoder}, with the
 * pixel and aspect-ratio limits) and preprocess it as CLIP does ({@link ClipPreprocessing}) before
 * decoding the next, so that a worker holds at most one decoded image (heap: about {@code
 * maxPixels} × 4 to 12 bytes per worker, by pixel format), then run the batch of [3, 224, 224]
 * tensors through the model at once ({@link ClipImageTranslator}). Batches form from whatever waits
 * while the previous batch runs: no image waits for others to arrive.
 *
 * <ul>
 *   <li>{@link #submit} never blocks: it fails at once when the queue is full.
 *   <li>{@link #encode(byte[], Duration)} blocks for at most the deadline given, waiting for room
 *       in the queue and then for the result. When the encoder has completed nothing for longer
 *       than that deadline while images wait (it is stuck, not merely busy), it fails at once, so a
 *       caller with a poll interval to keep (a Kafka Streams thread) loses at most one deadline per
 *       stall.
 * </ul>
 *
 * <p>A failure fails only what it concerns, and the worker goes on: an image that does not decode
 * fails alone ({@link UnreadableImageException}), as does one whose decoding or preprocessing
 * throws an {@link Error} (out of memory, say: {@link EncoderFailedException}); a model that fails,
 * with an exception or an {@code Error}, fails its batch ({@link EncoderFailedException}).
 *
 * <p>Thread-safe. {@link #close} fails what is still queued and releases the model.
 */
public final class ClipImageEncoder implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClipImageEncoder.class);
  private static final long POLL_MS = 50;
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

  private final ZooModel<float[][], float[][]> model;
  private final Path path;
  private final EncoderEngine engine;
  private final ImageEncoderOptions options;
  private final int dimension;
  private final Hooks hooks;
  private final BlockingQueue<Request> queue;
  private final List<Thread> workers = new ArrayList<>();

  /** Images accepted and not yet completed (queued or in a batch). */
  private final AtomicInteger pending = new AtomicInteger();

  private volatile long lastProgressNanos = System.nanoTime();
  private volatile boolean closed;

  private record Request(byte[] image, CompletableFuture<float[]> result) {}

  /**
   * Tests only: called by a worker where real code can throw an {@link Error} (decoding an image,
   * running the model), so that a test can throw one there. The service's encoder has {@link
   * #NONE}.
   */
  interface Hooks {
    Hooks NONE = new Hooks() {};

    /** Before an image of a batch is decoded and preprocessed. */
    default void beforeImage(byte[] image) {}

    /** Before a batch of {@code size} preprocessed images goes to the model. */
    default void beforeModel(int size) {}
  }

  private ClipImageEncoder(
      ZooModel<float[][], float[][]> model,
      Path path,
      EncoderEngine engine,
      ImageEncoderOptions options,
      int dimension,
      Hooks hooks) {
    this.model = model;
    this.path = path;
    this.engine = engine;
    this.options = options;
    this.dimension = dimension;
    this.hooks = hooks;
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    for (int i = 0; i < options.workers(); i++) {
      Thread worker = new Thread(this::work, "clip-image-encoder-" + i);
      worker.setDaemon(true);
      workers.add(worker);
      worker.start();
    }
  }

  /**
   * Loads the model on the engine and checks that it behaves as a CLIP image encoder (a batch of
   * blank images in, [N, D] out).
   *
   * @throws EncoderLoadException the file is missing or not a model of that engine, the engine is
   *     not available, or the model does not take [N, 3, 224, 224]
   */
  public static ClipImageEncoder load(Path path, EncoderEngine engine, ImageEncoderOptions options)
      throws EncoderLoadException {
    return load(path, engine, options, Hooks.NONE);
  }

  /** {@link #load(Path, EncoderEngine, ImageEncoderOptions)} with a test's {@link Hooks}. */
  static ClipImageEncoder load(
      Path path, EncoderEngine engine, ImageEncoderOptions options, Hooks hooks)
      throws EncoderLoadException {
    ZooModel<float[][], float[][]> model =
        ModelLoader.load(
            "CLIP image encoder",
            path,
            engine,
            float[][].class,
            float[][].class,
            new ClipImageTranslator());
    try {
      int dimension = probe(model, path, Math.min(2, options.batchSize()));
      LOG.info(
          "CLIP image encoder {} on {} ({}): D = {}, batches of up to {}, {} worker(s)",
          path,
          engine.djlName(),
          model.getNDManager().getDevice(),
          dimension,
          options.batchSize(),
          options.workers());
      return new ClipImageEncoder(model, path, engine, options, dimension, hooks);
    } catch (EncoderLoadException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static int probe(ZooModel<float[][], float[][]> model, Path path, int batch)
      throws EncoderLoadException {
    float[][] blank = new float[batch][];
    Arrays.fill(
        blank,
        ClipPreprocessing.tensor(
            new BufferedImage(
                ClipPreprocessing.SIZE, ClipPreprocessing.SIZE, BufferedImage.TYPE_3BYTE_BGR)));
    try (Predictor<float[][], float[][]> predictor = model.newPredictor()) {
      return predictor.predict(blank)[0].length;
    } catch (TranslateException | RuntimeException e) {
      throw new EncoderLoadException(
          path
              + " loaded, but it does not behave as a CLIP image"
              + " encoder: a batch of "
              + batch
              + " blank images failed. It must take float32"
              + " [N, 3, 224, 224] for any N (export it with a dynamic batch axis, or use a batch"
              + " size of 1) and return [N, D]. The engine said: "
              + e.getMessage(),
          e);
    }
  }

  /** D, the width of the features. */
  public int dimension() {
    return dimension;
  }

  public EncoderEngine engine() {
    return engine;
  }

  public ImageEncoderOptions options() {
    return options;
  }

  /** Images accepted and not yet encoded. */
  public int pending() {
    return pending.get();
  }

  /**
   * Queues an image without blocking. The future completes with its feature, or exceptionally with
   * {@link UnreadableImageException} (the image's fault), {@link EncoderFailedException} (the
   * encoder's: the model failed, or an {@link Error} was thrown for the image or its batch) or
   * {@link EncoderBusyException} (closed before it ran). Cancelling it skips the image if no batch
   * has taken it yet.
   *
   * @throws EncoderBusyException the queue is full, or the encoder is closed
   */
  public CompletableFuture<float[]> submit(byte[] image) throws EncoderBusyException {
    Request request = new Request(image.clone(), new CompletableFuture<>());
    boolean queued;
    try {
      queued = enqueue(request, 0);
    } catch (InterruptedException e) { // not thrown by a zero timeout; kept as a busy refusal
      Thread.currentThread().interrupt();
      throw new EncoderBusyException("interrupted while queueing for the image encoder", e);
    }
    if (!queued) {
      throw new EncoderBusyException(
          "the image encoder's queue is full (" + options.queueCapacity() + " images waiting)");
    }
    return request.result();
  }

  /**
   * Encodes one image, waiting at most {@code deadline} for room in the queue and the result.
   *
   * @throws UnreadableImageException the bytes are not an image, or one over the pixel limit
   * @throws EncoderBusyException no result within the deadline, the encoder has been stuck for
   *     longer than the deadline, or it is closed
   * @throws EncoderFailedException the model failed, or an {@link Error} was thrown for the image
   *     or its batch
   */
  public float[] encode(byte[] image, Duration deadline)
      throws UnreadableImageException, EncoderBusyException {
    long start = System.nanoTime();
    long budget = deadline.toNanos();
    failIfStuck(start, budget);
    // a copy: after a timeout this call returns while a worker may still read the bytes
    Request request = new Request(image.clone(), new CompletableFuture<>());
    try {
      if (!enqueue(request, budget)) {
        throw new EncoderBusyException(
            "the image encoder's queue stayed full ("
                + options.queueCapacity()
                + " images) for "
                + deadline.toMillis()
                + " ms");
      }
      return request
          .result()
          .get(Math.max(0, budget - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      request.result().cancel(false);
      throw new EncoderBusyException(
          "no feature within "
              + deadline.toMillis()
              + " ms ("
              + pending.get()
              + " images waiting for the image encoder)",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      request.result().cancel(false);
      throw new EncoderBusyException("interrupted while waiting for the image encoder", e);
    } catch (ExecutionException e) {
      throw rethrown(e.getCause());
    }
  }

  private void failIfStuck(long now, long budget) throws EncoderBusyException {
    long idle = now - lastProgressNanos;
    if (pending.get() > 0 && idle > budget) {
      throw new EncoderBusyException(
          "the image encoder has completed nothing for "
              + TimeUnit.NANOSECONDS.toMillis(idle)
              + " ms with "
              + pending.get()
              + " images waiting; not waiting for it");
    }
  }

  private boolean enqueue(Request request, long timeoutNanos)
      throws EncoderBusyException, InterruptedException {
    if (closed) {
      throw closedException();
    }
    if (pending.getAndIncrement() == 0) {
      lastProgressNanos = System.nanoTime(); // an idle encoder is not a stuck one
    }
    boolean queued =
        timeoutNanos == 0
            ? queue.offer(request)
            : queue.offer(request, timeoutNanos, TimeUnit.NANOSECONDS);
    if (!queued) {
      pending.decrementAndGet();
    } else if (closed && queue.remove(request)) {
      pending.decrementAndGet();
      throw closedException();
    }
    return queued;
  }

  private static EncoderFailedException rethrown(Throwable cause)
      throws UnreadableImageException, EncoderBusyException {
    // new exceptions, so that the caller's stack shows too; the worker's is the cause
    if (cause instanceof UnreadableImageException e) {
      throw new UnreadableImageException(e.getMessage(), e);
    }
    if (cause instanceof EncoderBusyException e) {
      throw new EncoderBusyException(e.getMessage(), e);
    }
    return new EncoderFailedException(cause.getMessage(), cause);
  }

  private void work() {
    try (Predictor<float[][], float[][]> predictor = model.newPredictor()) {
      List<Request> batch = new ArrayList<>(options.batchSize());
      while (!closed) {
        Request first = queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, options.batchSize() - 1);
        run(predictor, batch);
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("CLIP image encoder worker {} stopped", Thread.currentThread().getName(), e);
    }
  }

  /**
   * Decodes and preprocesses the batch one image at a time, so that at most one decoded image (up
   * to {@code maxPixels}) is alive at once: the batch holds only [3, 224, 224] tensors.
   */
  private void run(Predictor<float[][], float[][]> predictor, List<Request> batch) {
    List<Request> live = new ArrayList<>(batch.size());
    List<float[]> tensors = new ArrayList<>(batch.size());
    boolean errorLogged = false; // once a batch: an Error may come again on every image
    for (Request request : batch) {
      if (request.result().isDone()) {
        done(); // cancelled: its caller's deadline passed
        continue;
      }
      try {
        hooks.beforeImage(request.image());
        tensors.add(
            ClipPreprocessing.tensor(
                ImageDecoder.decode(
                    request.image(), options.maxPixels(), options.maxAspectRatio())));
        live.add(request);
      } catch (UnreadableImageException e) {
        done();
        request.result().completeExceptionally(e);
      } catch (RuntimeException e) {
        done();
        request
            .result()
            .completeExceptionally(
                new EncoderFailedException(
                    "the CLIP image"
                        + " encoder could not preprocess a decoded image: "
                        + e.getMessage(),
                    e));
      } catch (Error e) {
        // out of memory decoding, say: fail this image and go on, rather than end the worker
        // with this batch's futures never completed and the count of pending images never down
        if (!errorLogged) {
          errorLogged = true;
          LOG.error(
              "CLIP image encoder {}: an image of a batch of {} failed; the worker goes on",
              path,
              batch.size(),
              e);
        }
        done();
        request
            .result()
            .completeExceptionally(
                new EncoderFailedException(
                    "the CLIP image" + " encoder failed decoding or preprocessing an image: " + e,
                    e));
      }
    }
    if (live.isEmpty()) {
      return;
    }
    float[][] features;
    try {
      hooks.beforeModel(tensors.size());
      features = predictor.predict(tensors.toArray(float[][]::new));
    } catch (TranslateException | RuntimeException | Error e) {
      // an Error too (out of memory, an engine's library that does not link): as for the others,
      // the batch fails and the worker goes on to the next. An Error's message alone may not say
      // what failed (it may be null, or a method's name), so its class is named
      EncoderFailedException failure =
          new EncoderFailedException(
              "the CLIP image encoder "
                  + path
                  + " ("
                  + engine.djlName()
                  + ") failed on a batch of "
                  + tensors.size()
                  + " images: "
                  + (e instanceof Error ? e : e.getMessage()),
              e);
      if (e instanceof Error && !errorLogged) {
        LOG.error("{}; the worker goes on", failure.getMessage(), e);
      }
      for (Request request : live) {
        done();
        request.result().completeExceptionally(failure);
      }
      return;
    }
    for (int i = 0; i < live.size(); i++) {
      done();
      live.get(i).result().complete(features[i]);
    }
  }

  /** Counts a request as finished: before its future completes, so its caller sees the count. */
  private void done() {
    pending.decrementAndGet();
    lastProgressNanos = System.nanoTime();
  }

  private static EncoderBusyException closedException() {
    return new EncoderBusyException("the image encoder is closed");
  }

  /** Stops the workers after their current batch, fails what is queued, closes the model. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    boolean stopped = true;
    for (Thread worker : workers) {
      try {
        worker.join(CLOSE_WAIT.toMillis());
        stopped &= !worker.isAlive();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopped = false;
      }
    }
    for (Request request = queue.poll(); request != null; request = queue.poll()) {
      pending.decrementAndGet();
      request.result().completeExceptionally(closedException());
    }
    if (stopped) {
      model.close();
    } else {
      // a batch still runs in native code: closing the model under it could crash the JVM
      LOG.warn(
          "CLIP image encoder {}: a worker did not stop within {} s; the model is left" + " open",
          path,
          CLOSE_WAIT.toSeconds());
    }
  }
}
