package ai.candle.streams.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.streams.config.ImageFetchOptions;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, imageUri: fetched from http(s) and one folder, within size and time limits, on a real
 * HTTP server.
 */
class ImageFetcherTest {
  static final int MAX = 1_000;
  static final byte[] IMAGE = new byte[600];

  HttpServer server;
  String base;

  @TempDir Path dir;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/image.png",
        x -> {
          x.sendResponseHeaders(200, IMAGE.length);
          try (OutputStream out = x.getResponseBody()) {
            out.write(IMAGE);
          }
        });
    server.createContext(
        "/declared-large",
        x -> {
          x.sendResponseHeaders(200, 50_000);
          try (OutputStream out = x.getResponseBody()) {
            out.write(new byte[50_000]);
          } catch (IOException closedByTheClient) {
            // the fetcher stops reading: expected
          }
        });
    server.createContext(
        "/chunked-large",
        x -> {
          x.sendResponseHeaders(200, 0); // no length: the body must be cut off while it streams
          try (OutputStream out = x.getResponseBody()) {
            for (int i = 0; i < 100; i++) {
              out.write(new byte[500]);
              out.flush();
            }
          } catch (IOException closedByTheClient) {
            // expected
          }
        });
    server.createContext(
        "/slow",
        x -> {
          x.sendResponseHeaders(200, IMAGE.length);
          try (OutputStream out = x.getResponseBody()) {
            out.write(IMAGE, 0, 10);
            out.flush();
            Thread.sleep(5_000); // the rest of the body comes too late
            out.write(IMAGE, 10, IMAGE.length - 10);
          } catch (IOException | InterruptedException gone) {
            // expected
          }
        });
    server.createContext(
        "/missing",
        x -> {
          x.sendResponseHeaders(404, -1);
          x.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
    for (int i = 0; i < IMAGE.length; i++) {
      IMAGE[i] = (byte) i;
    }
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  ImageFetcher fetcher(Set<String> schemes, Optional<Path> root) {
    return new ImageFetcher(new ImageFetchOptions(schemes, root, MAX, Duration.ofSeconds(10)));
  }

  ImageFetchException refused(ImageFetcher f, String uri, Duration timeout) {
    return assertThrows(ImageFetchException.class, () -> f.fetch(uri, timeout));
  }

  @Test
  void anHttpImageIsFetchedWhole() throws Exception {
    assertArrayEquals(
        IMAGE,
        fetcher(Set.of("http"), Optional.empty())
            .fetch(base + "/image.png", Duration.ofSeconds(5)));
  }

  @Test
  void whatIsNotTheImageIsRefusedWithWhy() {
    ImageFetcher f = fetcher(Set.of("http"), Optional.empty());
    ImageFetchException missing = refused(f, base + "/missing", Duration.ofSeconds(5));
    assertTrue(missing.getMessage().endsWith("answered HTTP 404"), missing.getMessage());
    assertFalse(missing.tooLarge());
    assertTrue(
        refused(f, "ftp://example.org/a.png", Duration.ofSeconds(5))
            .getMessage()
            .contains("scheme 'ftp' is not fetched here (encoder.uri.schemes: http)"));
    assertTrue(
        refused(f, "https://example.org/a.png", Duration.ofSeconds(5))
            .getMessage()
            .contains("scheme 'https' is not fetched here"));
    assertTrue(
        refused(f, "a.png", Duration.ofSeconds(5))
            .getMessage()
            .contains("scheme '' is not fetched here"));
    assertTrue(
        refused(f, "http://exa mple/a.png", Duration.ofSeconds(5))
            .getMessage()
            .startsWith("imageUri is not a URI"));
    ImageFetchException closed = refused(f, "http://127.0.0.1:1/a.png", Duration.ofSeconds(5));
    assertTrue(closed.getMessage().contains("could not be fetched"), closed.getMessage());
  }

  @Test
  void anImageOverTheLimitIsRefusedByItsDeclaredLengthOrCutOffWhileItStreams() {
    ImageFetcher f = fetcher(Set.of("http"), Optional.empty());
    ImageFetchException declared = refused(f, base + "/declared-large", Duration.ofSeconds(5));
    assertTrue(declared.tooLarge());
    assertTrue(
        declared.getMessage().contains("declares 50000 bytes, over encoder.uri.max.bytes (1000)"),
        declared.getMessage());
    ImageFetchException streamed = refused(f, base + "/chunked-large", Duration.ofSeconds(5));
    assertTrue(streamed.tooLarge());
    assertTrue(
        streamed.getMessage().contains("runs past encoder.uri.max.bytes (1000)"),
        streamed.getMessage());
  }

  @Test
  void aSlowBodyIsGivenUpAtTheDeadline() {
    long start = System.nanoTime();
    ImageFetchException slow =
        refused(fetcher(Set.of("http"), Optional.empty()), base + "/slow", Duration.ofMillis(300));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals("imageUri " + base + "/slow was not fetched within 300 ms", slow.getMessage());
    assertFalse(slow.tooLarge());
    System.out.println(
        "a body that stalls for 5 s was given up after " + tookMs + " ms (deadline 300 ms)");
  }

  @Test
  void fileUrisAreReadOnlyFromWithinTheirFolder() throws Exception {
    Path root = Files.createDirectories(dir.resolve("images"));
    Path inside = Files.write(root.resolve("a.png"), IMAGE);
    Path outside = Files.write(dir.resolve("secret.png"), IMAGE);
    Files.createSymbolicLink(root.resolve("link.png"), outside);
    Files.write(root.resolve("big.png"), new byte[MAX + 1]);
    ImageFetcher f = fetcher(Set.of("file"), Optional.of(root));
    assertArrayEquals(IMAGE, f.fetch(inside.toUri().toString(), Duration.ofSeconds(5)));
    assertTrue(
        refused(f, outside.toUri().toString(), Duration.ofSeconds(5))
            .getMessage()
            .endsWith("is outside encoder.uri.file.root"));
    assertTrue(
        refused(f, root.toUri() + "../secret.png", Duration.ofSeconds(5))
            .getMessage()
            .endsWith("is outside encoder.uri.file.root"));
    assertTrue(
        refused(f, root.resolve("link.png").toUri().toString(), Duration.ofSeconds(5))
            .getMessage()
            .endsWith("is outside encoder.uri.file.root"),
        "a link out of the folder is outside it");
    assertTrue(
        refused(f, root.resolve("none.png").toUri().toString(), Duration.ofSeconds(5))
            .getMessage()
            .endsWith("no such file"));
    assertTrue(
        refused(f, root.resolve("big.png").toUri().toString(), Duration.ofSeconds(5)).tooLarge());
    assertTrue(
        refused(
                fetcher(Set.of("http", "https"), Optional.empty()),
                inside.toUri().toString(),
                Duration.ofSeconds(5))
            .getMessage()
            .contains("scheme 'file' is not fetched here"));
  }

  @Test
  void fileUrisNeedAFolder() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new ImageFetchOptions(Set.of("file"), Optional.empty(), MAX, Duration.ofSeconds(1)));
  }
}
