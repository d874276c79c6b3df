package ai.candle.streams.model;

/**
 * Why a model version was refused (the previous one keeps serving): the bounded {@code reason} tag
 * of {@code candle.model.refused}.
 */
public enum ModelRefusal {
  /** The record is not a ModelVersion of a known schema version. */
  NOT_SCHEMA("not_schema"),
  /** The version's chunks are missing, malformed or do not match its manifest. */
  CHUNKED("chunked"),
  /** Its feature width is not {@code feature.width}: fitted on another CLIP model's features. */
  WIDTH("width"),
  /** The parameters do not hash to the record's checksum. */
  CHECKSUM("checksum"),
  /** The parameters blob does not decode, or contradicts the record (class list). */
  UNDECODABLE("undecodable"),
  /** The model decodes but the scorer cannot be prepared from it (e.g. no classes). */
  UNSCORABLE("unscorable");

  private final String tag;

  ModelRefusal(String tag) {
    this.tag = tag;
  }

  /** The metric tag value. */
  public String tag() {
    return tag;
  }
}
