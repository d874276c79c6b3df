package ai.candle.streams.encode;

import ai.candle.streams.config.ImageFetchOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fetches the image an {@code imageUri} names: {@code http:} and {@code https:} through the JDK's
 * HTTP client, {@code file:} from within one folder. Every fetch is bounded before anything is
 * buffered: by {@link ImageFetchOptions#maxBytes} (a declared length over it is refused at once; a
 * body that runs past it is cut off) and by a deadline over the whole fetch, the body included, so
 * a slow server cannot hold a stream thread. Thread-safe.
 */
public final class ImageFetcher {

  private final ImageFetchOptions options;
  private final Path fileRoot;
  private final HttpClient http;

  public ImageFetcher(ImageFetchOptions options) {
    this.options = options;
    this.fileRoot = options.fileRoot().map(ImageFetcher::realFolder).orElse(null);
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(options.timeout())
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
  }

  private static Path realFolder(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "encoder.uri.file.root " + p + " is not a folder that exists: " + e, e);
    }
  }

  /**
   * @param timeout at most this long (the smaller of it and the configured timeout applies)
   * @return the image's bytes
   * @throws ImageFetchException when it was not fetched, with why
   */
  public byte[] fetch(String uriText, Duration timeout) throws ImageFetchException {
    URI uri;
    try {
      uri = new URI(uriText);
    } catch (URISyntaxException e) {
      throw new ImageFetchException("imageUri is not a URI: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!options.schemes().contains(scheme)) {
      throw new ImageFetchException(
          "imageUri scheme '"
              + scheme
              + "' is not fetched here (encoder.uri.schemes: "
              + (options.schemes().isEmpty()
                  ? "none"
                  : String.join(",", options.schemes().stream().sorted().toList()))
              + ")");
    }
    Duration limit = timeout.compareTo(options.timeout()) < 0 ? timeout : options.timeout();
    return scheme.equals("file") ? file(uri) : http(uri, limit);
  }

  private byte[] file(URI uri) throws ImageFetchException {
    Path path;
    try {
      path = Path.of(uri).toRealPath();
    } catch (NoSuchFileException e) {
      throw new ImageFetchException("imageUri " + uri + ": no such file");
    } catch (IOException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw new ImageFetchException(
          "imageUri " + uri + " is not a readable file: " + e.getMessage());
    }
    if (!path.startsWith(fileRoot)) {
      throw new ImageFetchException("imageUri " + uri + " is outside encoder.uri.file.root");
    }
    try {
      long size = Files.size(path);
      if (size > options.maxBytes()) {
        throw new ImageFetchException(tooLarge(uri, size), true, null);
      }
      try (InputStream in = Files.newInputStream(path)) {
        byte[] bytes = in.readNBytes((int) options.maxBytes() + 1);
        if (bytes.length > options.maxBytes()) { // grew since it was measured
          throw new ImageFetchException(tooLarge(uri, bytes.length), true, null);
        }
        return bytes;
      }
    } catch (IOException e) {
      throw new ImageFetchException(
          "imageUri " + uri + " could not be read: " + e.getMessage(), false, e);
    }
  }

  private byte[] http(URI uri, Duration limit) throws ImageFetchException {
    HttpRequest request;
    try {
      request = HttpRequest.newBuilder(uri).timeout(limit).GET().build();
    } catch (IllegalArgumentException e) {
      throw new ImageFetchException("imageUri " + uri + " cannot be fetched: " + e.getMessage());
    }
    CompletableFuture<HttpResponse<byte[]>> response = http.sendAsync(request, this::cappedBody);
    try {
      HttpResponse<byte[]> r = response.get(limit.toNanos(), TimeUnit.NANOSECONDS);
      if (r.statusCode() / 100 != 2) {
        throw new ImageFetchException("imageUri " + uri + " answered HTTP " + r.statusCode());
      }
      return r.body();
    } catch (TimeoutException e) {
      response.cancel(true);
      throw new ImageFetchException(
          "imageUri " + uri + " was not fetched within " + limit.toMillis() + " ms");
    } catch (InterruptedException e) {
      response.cancel(true);
      Thread.currentThread().interrupt();
      throw new ImageFetchException("interrupted while fetching imageUri " + uri);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ImageFetchException f) {
        throw new ImageFetchException(f.getMessage(), f.tooLarge(), f);
      }
      if (cause instanceof HttpTimeoutException) {
        throw new ImageFetchException(
            "imageUri " + uri + " was not fetched within " + limit.toMillis() + " ms");
      }
      throw new ImageFetchException(
          "imageUri " + uri + " could not be fetched: " + cause, false, cause);
    }
  }

  /** The body, refused by its declared length or cut off once it passes the limit. */
  private HttpResponse.BodySubscriber<byte[]> cappedBody(HttpResponse.ResponseInfo info) {
    long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (info.statusCode() / 100 == 2 && declared > options.maxBytes()) {
      return new Refused(
          new ImageFetchException(
              "imageUri declares "
                  + declared
                  + " bytes, over"
                  + " encoder.uri.max.bytes ("
                  + options.maxBytes()
                  + ")",
              true,
              null));
    }
    return new Capped(options.maxBytes());
  }

  private String tooLarge(URI uri, long size) {
    return "imageUri "
        + uri
        + " is "
        + size
        + " bytes, over encoder.uri.max.bytes ("
        + options.maxBytes()
        + ")";
  }

  /** Collects up to {@code max} bytes; more fails the fetch and cancels the download. */
  private static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
    private final long max;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    private Flow.Subscription subscription;

    Capped(long max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : buffers) {
        if (out.size() + (long) b.remaining() > max) {
          subscription.cancel();
          result.completeExceptionally(
              new ImageFetchException(
                  "imageUri's body runs past encoder.uri.max.bytes (" + max + ")", true, null));
          return;
        }
        byte[] chunk = new byte[b.remaining()];
        b.get(chunk);
        out.writeBytes(chunk);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(out.toByteArray());
    }
  }

  /** Takes nothing: the declared length was already too large. */
  private static final class Refused implements HttpResponse.BodySubscriber<byte[]> {
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();

    Refused(ImageFetchException why) {
      result.completeExceptionally(why);
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      s.cancel();
    }

    @Override
    public void onNext(List<ByteBuffer> item) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onComplete() {}
  }
}
