package ai.candle.streams.encode;

import java.util.Objects;
import java.util.Optional;

/**
 * The pluggable encoders of the ingest topology. Without an image encoder, labelled images that
 * carry an image (not a feature) are dead-lettered with "no image encoder configured"; without a
 * text encoder, classes announced without a text feature are registered with none ({@code
 * TextFeatureSource.NONE}).
 */
public record Encoders(Optional<ImageEncoder> image, Optional<TextEncoder> text) {

  public Encoders {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(text, "text");
  }

  /** No encoders: features must come precomputed. */
  public static Encoders none() {
    return new Encoders(Optional.empty(), Optional.empty());
  }

  public static Encoders of(ImageEncoder image, TextEncoder text) {
    return new Encoders(Optional.ofNullable(image), Optional.ofNullable(text));
  }
}
