package ai.candle.service;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Settings of a service, loaded in layers: defaults, then a properties file, then environment
 * variables, then command-line flags; later layers win. Every setting has one property name; its
 * environment variable is {@code CANDLE_} + the name upper-cased with {@code .} and {@code -} as
 * {@code _}, and its flag is {@code --} + the name with {@code .} as {@code -}. The file is named
 * by {@code --config FILE} or {@code CANDLE_CONFIG}.
 *
 * <p>A service may also pass settings through to its Kafka clients: keys starting with the
 * pass-through prefix (e.g. {@code kafka.} for the trainer's consumer and producer, {@code
 * streams.} for the streams app's Kafka Streams clients) in the file, or the repeatable flag (e.g.
 * {@code --kafka-config key=value}), which wins. They are returned with the prefix.
 *
 * <p>A renamed setting's former name (an alias) is still read in every layer (file key, environment
 * variable, flag) and stands for the new one; the new name wins when both are given.
 *
 * @param keys the known property names
 * @param defaults a default for every key
 * @param passPrefix prefix of pass-through keys, e.g. {@code "kafka."}
 * @param passFlag the pass-through flag, e.g. {@code "--kafka-config"}
 * @param aliases former property names, each with the name that replaced it
 */
public record LayeredSettings(
    List<String> keys,
    Map<String, String> defaults,
    String passPrefix,
    String passFlag,
    Map<String, String> aliases) {

  public static final String CONFIG_FLAG = "--config";
  public static final String CONFIG_ENV = "CANDLE_CONFIG";
  static final String ENV_PREFIX = "CANDLE_";

  public LayeredSettings(
      List<String> keys, Map<String, String> defaults, String passPrefix, String passFlag) {
    this(keys, defaults, passPrefix, passFlag, Map.of());
  }

  public LayeredSettings {
    keys = List.copyOf(keys);
    defaults = Map.copyOf(defaults);
    aliases = Map.copyOf(aliases);
    for (Map.Entry<String, String> a : aliases.entrySet()) {
      if (!keys.contains(a.getValue()) || keys.contains(a.getKey())) {
        throw new IllegalArgumentException(
            "alias " + a.getKey() + " must name a former name of a setting: " + a);
      }
    }
    for (String key : keys) {
      if (!defaults.containsKey(key)) {
        throw new IllegalArgumentException("no default for setting " + key);
      }
    }
  }

  /**
   * The settings: every key, plus pass-through keys (with their prefix).
   *
   * @throws IllegalArgumentException on an unknown flag or file key, or a flag without a value
   * @throws UncheckedIOException when the file cannot be read
   */
  public Map<String, String> load(List<String> args, Map<String, String> env) {
    Map<String, String> flags = new HashMap<>();
    Map<String, String> passed = new LinkedHashMap<>();
    parseFlags(args, flags, passed);
    Map<String, String> settings = new LinkedHashMap<>(defaults);
    String file = flags.getOrDefault(CONFIG_FLAG, env.get(CONFIG_ENV));
    if (file != null) {
      Map<String, String> fromFile = readFile(Path.of(file));
      aliases.forEach(
          (former, key) -> {
            if (fromFile.containsKey(former) && !fromFile.containsKey(key)) {
              fromFile.put(key, fromFile.get(former));
            }
            fromFile.remove(former);
          });
      settings.putAll(fromFile);
    }
    for (String key : keys) {
      String fromEnv = firstOf(env, envName(key), formerNames(key), LayeredSettings::envName);
      if (fromEnv != null) {
        settings.put(key, fromEnv);
      }
      String fromFlag = firstOf(flags, flagName(key), formerNames(key), LayeredSettings::flagName);
      if (fromFlag != null) {
        settings.put(key, fromFlag);
      }
    }
    settings.putAll(passed);
    return settings;
  }

  /** The value under a setting's name, else under the first of its former names that has one. */
  private static String firstOf(
      Map<String, String> values,
      String name,
      List<String> former,
      java.util.function.Function<String, String> spelled) {
    String v = values.get(name);
    for (int i = 0; v == null && i < former.size(); i++) {
      v = values.get(spelled.apply(former.get(i)));
    }
    return v;
  }

  private List<String> formerNames(String key) {
    return aliases.entrySet().stream()
        .filter(a -> a.getValue().equals(key))
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  /**
   * The former names used in the flags or the environment, each as "former → name" (for a warning).
   * File keys are not listed: the file is read when the settings are loaded.
   */
  public List<String> deprecatedUsed(List<String> args, Map<String, String> env) {
    List<String> used = new java.util.ArrayList<>();
    aliases.forEach(
        (former, key) -> {
          boolean inArgs =
              args.stream()
                  .anyMatch(
                      a -> a.equals(flagName(former)) || a.startsWith(flagName(former) + "="));
          if (inArgs || env.containsKey(envName(former))) {
            used.add(former + " → " + key);
          }
        });
    return used;
  }

  /** The pass-through settings of a loaded map, without their prefix. */
  public Map<String, String> passThrough(Map<String, String> settings) {
    Map<String, String> out = new LinkedHashMap<>();
    settings.forEach(
        (key, value) -> {
          if (key.startsWith(passPrefix)) {
            out.put(key.substring(passPrefix.length()), value);
          }
        });
    return out;
  }

  /** True when the arguments ask for help ({@code --help} or {@code -h}). */
  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help") || args.contains("-h");
  }

  /**
   * The usage text of a service: every setting with its environment variable, flag and default, and
   * how to pass settings to the Kafka clients. Prints defaults only, never a loaded value, so no
   * secret can appear in it.
   */
  public String help(String service, String description) {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: ")
        .append(service)
        .append(" [--config FILE] [--NAME VALUE]... [")
        .append(passFlag)
        .append(" key=value]...\n")
        .append(description)
        .append("\n\n");
    sb.append(
            "Settings, in increasing precedence: defaults, the properties file (--config FILE or ")
        .append(CONFIG_ENV)
        .append("), environment variables, flags.\n\n");
    int width = keys.stream().mapToInt(String::length).max().orElse(10) + 2;
    int envWidth = keys.stream().mapToInt(k -> envName(k).length()).max().orElse(10) + 2;
    int flagWidth = keys.stream().mapToInt(k -> flagName(k).length()).max().orElse(10) + 2;
    sb.append(
        String.format(
            "  %-" + width + "s%-" + envWidth + "s%-" + flagWidth + "s%s%n",
            "property",
            "environment",
            "flag",
            "default"));
    for (String key : keys) {
      sb.append(
          String.format(
              "  %-" + width + "s%-" + envWidth + "s%-" + flagWidth + "s%s%n",
              key,
              envName(key),
              flagName(key),
              defaults.get(key)));
    }
    sb.append("\n")
        .append(passFlag)
        .append(" key=value (repeatable), or ")
        .append(passPrefix)
        .append(
            "key=value in the file, passes a setting to the Kafka clients, e.g. security.protocol,\n")
        .append(
            "ssl.truststore.location, sasl.mechanism, sasl.jaas.config. Keep passwords and JAAS settings in the\n")
        .append("file or in the environment (")
        .append(CONFIG_ENV)
        .append("), not on the command line: other users can read a process's arguments.\n");
    return sb.toString();
  }

  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  public static String flagName(String key) {
    return "--" + key.replace('.', '-');
  }

  /** Refuses an empty setting, naming its key. */
  public static void requireText(String value, String key) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(key + " must not be empty");
    }
  }

  /** Refuses a setting that is not positive, naming its key. */
  public static void requirePositive(int value, String key) {
    if (value <= 0) {
      throw new IllegalArgumentException(key + " must be positive, got " + value);
    }
  }

  /** An integer setting, with a message naming the key on a bad value. */
  public static int intOf(Map<String, String> settings, String key) {
    String value = settings.get(key).trim();
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got '" + value + "'", e);
    }
  }

  /** A long setting, with a message naming the key on a bad value. */
  public static long longOf(Map<String, String> settings, String key) {
    String value = settings.get(key).trim();
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got '" + value + "'", e);
    }
  }

  /** A decimal setting, finite, with a message naming the key on a bad value. */
  public static double doubleOf(Map<String, String> settings, String key) {
    String value = settings.get(key).trim();
    try {
      double d = Double.parseDouble(value);
      if (!Double.isFinite(d)) {
        throw new NumberFormatException("not finite");
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, got '" + value + "'", e);
    }
  }

  private void parseFlags(
      List<String> args, Map<String, String> flags, Map<String, String> passed) {
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      int eq = arg.indexOf('=');
      String name = eq > 0 ? arg.substring(0, eq) : arg;
      if (!isKnownFlag(name)) {
        throw new IllegalArgumentException(
            "Unknown argument '"
                + arg
                + "'; known flags: "
                + CONFIG_FLAG
                + ", "
                + passFlag
                + ", "
                + keys.stream().map(LayeredSettings::flagName).toList());
      }
      String value;
      if (eq > 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw new IllegalArgumentException("Flag " + name + " needs a value");
      }
      if (name.equals(passFlag)) {
        int kv = value.indexOf('=');
        if (kv <= 0) {
          throw new IllegalArgumentException(passFlag + " needs key=value, got: " + value);
        }
        passed.put(passPrefix + value.substring(0, kv), value.substring(kv + 1));
      } else {
        flags.put(name, value);
      }
    }
  }

  private boolean isKnownFlag(String name) {
    return name.equals(CONFIG_FLAG)
        || name.equals(passFlag)
        || keys.stream().anyMatch(key -> flagName(key).equals(name))
        || aliases.keySet().stream().anyMatch(former -> flagName(former).equals(name));
  }

  private Map<String, String> readFile(Path file) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      props.load(reader);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot read config file "
              + file.toAbsolutePath()
              + " (given by "
              + CONFIG_FLAG
              + " or "
              + CONFIG_ENV
              + ")",
          e);
    }
    Map<String, String> settings = new HashMap<>();
    for (String key : props.stringPropertyNames()) {
      if (!key.startsWith(passPrefix) && !keys.contains(key) && !aliases.containsKey(key)) {
        throw new IllegalArgumentException(
            "Unknown key '"
                + key
                + "' in config file "
                + file
                + "; known keys: "
                + keys
                + " and "
                + passPrefix
                + "* (passed through, like "
                + passFlag
                + " key=value)");
      }
      settings.put(key, props.getProperty(key));
    }
    return settings;
  }
}
