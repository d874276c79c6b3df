package ai.candle.streams.config;

import ai.candle.service.Setting;
import ai.candle.service.Settings;
import ai.candle.service.SettingsSpec;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The settings of the app: every setting of ingest, scoring and the encoders in one {@link
 * SettingsSpec}, loaded in layers (defaults &lt; file &lt; {@code CANDLE_*} environment &lt;
 * flags), so a flag, variable or file key of any is known to {@link IngestConfig#load}, {@link
 * ScoringConfig#load} and {@link EncoderConfig#load}. Keys starting with {@value #STREAMS_PREFIX}
 * in the file, and the repeatable flag {@value #STREAMS_FLAG} {@code key=value} (which wins), pass
 * through to Kafka Streams.
 */
public final class ConfigLayers {

  static final String STREAMS_PREFIX = "streams.";
  static final String STREAMS_FLAG = "--streams-config";

  private ConfigLayers() {}

  /**
   * Every setting of the app, loaded and checked.
   *
   * @throws IllegalArgumentException on an unknown flag or file key, a flag without a value, or an
   *     invalid value (naming the setting)
   * @throws UncheckedIOException when the config file cannot be read
   */
  static Settings load(List<String> args, Map<String, String> env) {
    return spec().load(args, env);
  }

  /**
   * The usage text of the app: every setting with its environment variable, flag, default and
   * meaning.
   */
  public static String help() {
    return spec().help();
  }

  /** Built per call: the default state dir follows {@code java.io.tmpdir} at the time. */
  public static SettingsSpec spec() {
    List<Setting<?>> all =
        Stream.of(IngestConfig.SETTINGS, ScoringConfig.SETTINGS, EncoderConfig.SETTINGS)
            .flatMap(List::stream)
            .toList();
    return new SettingsSpec(
        "StreamsApp",
        "The candle streams app: ingest (validation, class counts, class registry,"
            + " features) and scoring (predictions, prequential accuracy).",
        STREAMS_PREFIX,
        STREAMS_FLAG,
        all);
  }
}
