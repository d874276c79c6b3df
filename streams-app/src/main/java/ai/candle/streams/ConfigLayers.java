package ai.candle.streams;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The settings of the app, layered: defaults, then a properties file, then environment
 * variables, then command-line flags; later layers win. One loader for every setting of the
 * process (ingest and scoring), so a flag, variable or file key of either is known to both
 * {@link IngestConfig#load} and {@link ScoringConfig#load}.
 *
 * <p>Every setting has one property name; its environment variable is {@code CANDLE_} + the
 * name upper-cased with {@code .} and {@code -} as {@code _}, and its flag is {@code --} + the
 * name with {@code .} as {@code -}. The file is named by {@code --config FILE} or {@code
 * CANDLE_CONFIG}. In the file (only), keys starting with {@code streams.} pass through to Kafka
 * Streams without the prefix; the repeatable flag {@code --streams-config key=value} does the
 * same and wins.
 */
final class ConfigLayers {

  static final String STREAMS_PREFIX = "streams.";
  static final String ENV_PREFIX = "CANDLE_";
  static final String CONFIG_FLAG = "--config";
  static final String CONFIG_ENV = "CANDLE_CONFIG";
  static final String STREAMS_FLAG = "--streams-config";

  private ConfigLayers() {}

  /**
   * The layered settings of every known key, plus {@code streams.*} pass-through entries.
   *
   * @throws IllegalArgumentException on an unknown flag or file key, or a flag without a value
   * @throws UncheckedIOException when the config file cannot be read
   */
  static Map<String, String> load(List<String> args, Map<String, String> env) {
    Map<String, String> flags = parseFlags(args);
    Map<String, String> settings = new HashMap<>(defaults());
    String file = flags.getOrDefault(CONFIG_FLAG, env.get(CONFIG_ENV));
    if (file != null) {
      settings.putAll(readFile(Path.of(file)));
    }
    for (String key : knownKeys()) {
      String fromEnv = env.get(envName(key));
      if (fromEnv != null) {
        settings.put(key, fromEnv);
      }
      String fromFlag = flags.get(flagName(key));
      if (fromFlag != null) {
        settings.put(key, fromFlag);
      }
    }
    settings.putAll(streamsFlagOverrides(args));
    return settings;
  }

  static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  static String flagName(String key) {
    return "--" + key.replace('.', '-');
  }

  /** The Kafka Streams pass-through entries of {@code settings}, without their prefix. */
  static Map<String, String> streamsOverrides(Map<String, String> settings) {
    Map<String, String> overrides = new java.util.LinkedHashMap<>();
    settings.forEach((key, value) -> {
      if (key.startsWith(STREAMS_PREFIX)) {
        overrides.put(key.substring(STREAMS_PREFIX.length()), value);
      }
    });
    return overrides;
  }

  static int intSetting(Map<String, String> settings, String key) {
    String value = settings.get(key).trim();
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got '" + value + "'", e);
    }
  }

  private static List<String> knownKeys() {
    return Stream.of(IngestConfig.KEYS, IngestConfig.TOPIC_KEYS, ScoringConfig.KEYS)
        .flatMap(List::stream).toList();
  }

  private static Map<String, String> defaults() {
    Map<String, String> d = new HashMap<>(IngestConfig.defaultSettings());
    d.putAll(ScoringConfig.defaultSettings());
    return d;
  }

  private static Map<String, String> parseFlags(List<String> args) {
    Map<String, String> flags = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      int eq = arg.indexOf('=');
      String name = eq > 0 ? arg.substring(0, eq) : arg;
      if (!isKnownFlag(name)) {
        throw new IllegalArgumentException("Unknown argument '" + arg + "'; known flags: "
            + CONFIG_FLAG + ", " + STREAMS_FLAG + ", "
            + knownKeys().stream().map(ConfigLayers::flagName).toList());
      }
      String value;
      if (eq > 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw new IllegalArgumentException("Flag " + name + " needs a value");
      }
      if (!name.equals(STREAMS_FLAG)) {
        flags.put(name, value);
      }
    }
    return flags;
  }

  private static Map<String, String> streamsFlagOverrides(List<String> args) {
    Map<String, String> overrides = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String value = null;
      if (args.get(i).equals(STREAMS_FLAG) && i + 1 < args.size()) {
        value = args.get(++i);
      } else if (args.get(i).startsWith(STREAMS_FLAG + "=")) {
        value = args.get(i).substring(STREAMS_FLAG.length() + 1);
      }
      if (value != null) {
        int eq = value.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(STREAMS_FLAG + " needs key=value, got: " + value);
        }
        overrides.put(STREAMS_PREFIX + value.substring(0, eq), value.substring(eq + 1));
      }
    }
    return overrides;
  }

  private static boolean isKnownFlag(String name) {
    return name.equals(CONFIG_FLAG) || name.equals(STREAMS_FLAG)
        || knownKeys().stream().anyMatch(key -> flagName(key).equals(name));
  }

  private static Map<String, String> readFile(Path file) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      props.load(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read config file " + file.toAbsolutePath()
          + " (given by " + CONFIG_FLAG + " or " + CONFIG_ENV + ")", e);
    }
    Map<String, String> settings = new HashMap<>();
    for (String key : props.stringPropertyNames()) {
      if (!key.startsWith(STREAMS_PREFIX) && !knownKeys().contains(key)) {
        throw new IllegalArgumentException("Unknown key '" + key + "' in config file " + file
            + "; known keys: " + knownKeys() + " and " + STREAMS_PREFIX + "* for Kafka Streams");
      }
      settings.put(key, props.getProperty(key));
    }
    return settings;
  }
}
