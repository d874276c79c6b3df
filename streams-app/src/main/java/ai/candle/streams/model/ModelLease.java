package ai.candle.streams.model;

import java.time.Instant;
import java.util.List;

/**
 * One scoring thread's hold on a served model version: the version's scorer stays open until every
 * lease on it is closed, even after a newer version was swapped in. Not thread-safe: one lease per
 * scoring call, closed by the thread that took it (try-with-resources).
 */
public final class ModelLease implements AutoCloseable {

  private final ModelHolder.Serving serving;
  private boolean closed;

  ModelLease(ModelHolder.Serving serving) {
    this.serving = serving;
  }

  /** The version number. */
  public long version() {
    return serving.version();
  }

  /** When the version was made (by the trainer). */
  public Instant createdAt() {
    return serving.createdAt();
  }

  /** Class names in model order (the scores' order). */
  public List<String> classNames() {
    return serving.classNames();
  }

  /** The scores of one image feature (length {@code feature.width}), one per class. */
  public float[] score(float[] feature) {
    if (closed) {
      throw new IllegalStateException("lease on model version " + version() + " is closed");
    }
    return serving.scorer().score(feature);
  }

  /** Whether the version's scorer was closed (every lease and the holder let go of it). */
  boolean scorerClosed() {
    return serving.released();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      serving.release();
    }
  }
}
