package ai.candle.streams.config;

import ai.candle.schemas.LayeredSettings;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The settings of the app: {@link LayeredSettings} (defaults &lt; file &lt; {@code CANDLE_*}
 * environment &lt; flags) over every setting of the process, ingest, scoring and encoders, so a
 * flag, variable or file key of any is known to {@link IngestConfig#load}, {@link
 * ScoringConfig#load} and {@link EncoderConfig#load}. Keys starting with {@value
 * #STREAMS_PREFIX} in the file, and the repeatable flag {@value #STREAMS_FLAG} {@code key=value}
 * (which wins), pass through to Kafka Streams.
 *
 * <p>Public for {@link #help()} (the app's {@code --help}); the settings themselves are loaded by
 * the configs' {@code load} methods.
 */
public final class ConfigLayers {

  static final String STREAMS_PREFIX = "streams.";
  static final String STREAMS_FLAG = "--streams-config";

  private ConfigLayers() {}

  /**
   * The layered settings of every known key, plus {@code streams.*} pass-through entries.
   *
   * @throws IllegalArgumentException on an unknown flag or file key, or a flag without a value
   * @throws UncheckedIOException when the config file cannot be read
   */
  static Map<String, String> load(List<String> args, Map<String, String> env) {
    return layers().load(args, env);
  }

  /** The usage text of the app: every setting with its environment variable, flag and default. */
  public static String help() {
    return layers().help("StreamsApp", "The candle streams app: ingest (validation, class counts, class registry,"
        + " features) and scoring (predictions, prequential accuracy).");
  }

  /** The Kafka Streams pass-through entries of loaded settings, without their prefix. */
  static Map<String, String> streamsOverrides(Map<String, String> settings) {
    return layers().passThrough(settings);
  }

  /** Built per call: the default state dir follows {@code java.io.tmpdir} at the time. */
  private static LayeredSettings layers() {
    List<String> keys = Stream.of(IngestConfig.KEYS, IngestConfig.TOPIC_KEYS, ScoringConfig.KEYS,
        EncoderConfig.KEYS).flatMap(List::stream).toList();
    Map<String, String> defaults = new HashMap<>(IngestConfig.defaultSettings());
    defaults.putAll(ScoringConfig.defaultSettings());
    defaults.putAll(EncoderConfig.defaultSettings());
    return new LayeredSettings(keys, defaults, STREAMS_PREFIX, STREAMS_FLAG);
  }
}
