package ai.candle.service;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The settings of a service: the {@link Setting}s it declares, how they are loaded in layers
 * ({@link LayeredSettings}: defaults, properties file, {@code CANDLE_*} environment, flags), and
 * the documents that come from the declarations alone: {@code --help} and a Markdown reference.
 *
 * @param service the service's name in the usage line ({@code StreamsApp})
 * @param description one or two sentences on what the service does
 * @param passPrefix prefix of settings passed through to its Kafka clients ({@code kafka.})
 * @param passFlag the repeatable flag that passes them ({@code --kafka-config})
 * @param settings every setting, in the order the documents list them
 */
public record SettingsSpec(
    String service,
    String description,
    String passPrefix,
    String passFlag,
    List<Setting<?>> settings) {

  public SettingsSpec {
    settings = List.copyOf(settings);
    Set<String> names = new HashSet<>();
    for (Setting<?> s : settings) {
      for (String name : names(s)) {
        if (!names.add(name)) {
          throw new IllegalArgumentException(
              "setting " + name + " is declared twice in " + service);
        }
      }
    }
  }

  private static List<String> names(Setting<?> s) {
    List<String> all = new ArrayList<>(s.aliases());
    all.add(0, s.name());
    return all;
  }

  /**
   * Loads and checks every setting.
   *
   * @throws IllegalArgumentException on an unknown flag or file key, a flag without a value, or a
   *     value that is not valid (the message names the setting and says what it must be)
   * @throws java.io.UncheckedIOException when the properties file cannot be read
   */
  public Settings load(List<String> args, Map<String, String> env) {
    Map<String, String> loaded = layers().load(args, env);
    Map<Setting<?>, Object> values = new LinkedHashMap<>();
    for (Setting<?> s : settings) {
      values.put(s, s.read(loaded.get(s.name())));
    }
    return new Settings(values, layers().passThrough(loaded), layers().deprecatedUsed(args, env));
  }

  /** The layering engine over these settings' names, defaults and aliases. */
  LayeredSettings layers() {
    List<String> keys = new ArrayList<>();
    Map<String, String> defaults = new LinkedHashMap<>();
    Map<String, String> aliases = new LinkedHashMap<>();
    for (Setting<?> s : settings) {
      keys.add(s.name());
      defaults.put(s.name(), s.defaultValue());
      s.aliases().forEach(a -> aliases.put(a, s.name()));
    }
    return new LayeredSettings(keys, defaults, passPrefix, passFlag, aliases);
  }

  /** The usage text: every setting with its environment variable, flag, default and meaning. */
  public String help() {
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
        .append(LayeredSettings.CONFIG_ENV)
        .append("), environment variables, flags.\n\n");
    for (Setting<?> s : settings) {
      sb.append("  ")
          .append(LayeredSettings.flagName(s.name()))
          .append(' ')
          .append(s.type())
          .append("  (")
          .append(s.name())
          .append(", ")
          .append(LayeredSettings.envName(s.name()))
          .append(")\n");
      sb.append("      ")
          .append(s.doc())
          .append(requirementSentence(s))
          .append(" Default: ")
          .append(s.defaultValue())
          .append(".\n");
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
        .append(LayeredSettings.CONFIG_ENV)
        .append("), not on the command line: other users can read a process's arguments.\n");
    return sb.toString();
  }

  /**
   * A Markdown reference: a table of every setting (property, environment, flag, default, meaning).
   */
  public String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("## ").append(service).append("\n\n").append(description).append("\n\n");
    sb.append(
        "| property | environment | flag | type | default | meaning |\n| --- | --- | --- | --- | --- | --- |\n");
    for (Setting<?> s : settings) {
      sb.append("| `")
          .append(s.name())
          .append("` | `")
          .append(LayeredSettings.envName(s.name()))
          .append("` | `")
          .append(LayeredSettings.flagName(s.name()))
          .append("` | ")
          .append(s.type().replace("|", "\\|"))
          .append(" | `")
          .append(s.defaultValue())
          .append("` | ")
          .append(s.doc())
          .append(requirementSentence(s));
      if (!s.aliases().isEmpty()) {
        sb.append(" Formerly ")
            .append(String.join(", ", s.aliases().stream().map(a -> "`" + a + "`").toList()))
            .append(" (still read, deprecated).");
      }
      sb.append(" |\n");
    }
    sb.append("\n`")
        .append(passFlag)
        .append(" key=value` (repeatable), or `")
        .append(passPrefix)
        .append("key=value` in the properties file, passes a setting to the Kafka clients.\n");
    return sb.toString();
  }

  private static String requirementSentence(Setting<?> s) {
    String r = s.requirement();
    return r.isEmpty() ? "" : " It " + r + ".";
  }
}
