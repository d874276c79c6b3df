package ai.candle.schemas;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * What a service writes and what it can read: the wire format of the values it produces, and the
 * schema registry (its Confluent-compatible REST API) it reads registry-framed values with.
 *
 * @param writes the wire format of every value this service produces
 * @param registryUrl the registry's base URL; required to write {@link WireFormat#REGISTRY}, and
 *     without one a registry-framed value is refused with a reason that says so
 */
public record SerdeConfig(WireFormat writes, Optional<URI> registryUrl) {

  public SerdeConfig {
    Objects.requireNonNull(writes, "writes");
    Objects.requireNonNull(registryUrl, "registryUrl");
    if (writes == WireFormat.REGISTRY && registryUrl.isEmpty()) {
      throw new IllegalArgumentException(
          "serde=registry needs registry.url (the schema registry's base URL,"
              + " e.g. http://registry:8080/apis/ccompat/v7)");
    }
  }

  /** Single-object encoding, no registry: the embedded default. */
  public static SerdeConfig singleObject() {
    return new SerdeConfig(WireFormat.SINGLE_OBJECT, Optional.empty());
  }

  /** The registry wire format with the registry at {@code url}. */
  public static SerdeConfig registry(String url) {
    return new SerdeConfig(WireFormat.REGISTRY, Optional.of(URI.create(url)));
  }

  /**
   * From the two settings: {@code serde} ({@code single-object|registry}) and {@code registry.url}
   * (blank for none).
   */
  public static SerdeConfig of(String serde, String registryUrl) {
    Optional<URI> url =
        registryUrl == null || registryUrl.isBlank()
            ? Optional.empty()
            : Optional.of(URI.create(registryUrl.trim()));
    return new SerdeConfig(WireFormat.fromSetting(serde), url);
  }
}
