package ai.candle.streams.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which image URIs the streams app fetches, and within what limits.
 *
 * @param schemes the URI schemes allowed, among http, https and file
 * @param fileRoot the folder that {@code file:} URIs must lie in (required when file is allowed)
 * @param maxBytes the largest image fetched, in bytes
 * @param timeout the longest one fetch may take, from connecting to the last byte
 */
public record ImageFetchOptions(
    Set<String> schemes, Optional<Path> fileRoot, long maxBytes, Duration timeout) {

  public static final Set<String> KNOWN_SCHEMES = Set.of("http", "https", "file");

  public ImageFetchOptions {
    schemes = Set.copyOf(schemes);
    Objects.requireNonNull(fileRoot, "fileRoot");
    for (String s : schemes) {
      if (!KNOWN_SCHEMES.contains(s)) {
        throw new IllegalArgumentException(
            "image URI scheme '" + s + "' is not one of http, https, file");
      }
    }
    if (schemes.contains("file") && fileRoot.isEmpty()) {
      throw new IllegalArgumentException(
          "file: image URIs need a folder they must lie in (encoder.uri.file.root)");
    }
    if (maxBytes <= 0) {
      throw new IllegalArgumentException(
          "the largest fetched image must be positive, got " + maxBytes);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the fetch timeout must be positive, got " + timeout);
    }
  }
}
