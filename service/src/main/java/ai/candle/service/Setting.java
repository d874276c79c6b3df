package ai.candle.service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * One setting of a service, declared once: its property name, how its text is read, its default,
 * what a valid value is, and what it means. The key lists, defaults, validation, {@code --help} and
 * the generated Markdown reference of a service all come from its {@link SettingsSpec}, a list of
 * these. In the spirit of Kafka's {@code ConfigDef}.
 *
 * <p>Every setting has one property name ({@code feature.width}); its environment variable and flag
 * follow from it ({@code CANDLE_FEATURE_WIDTH}, {@code --feature-width}, see {@link
 * LayeredSettings}). A renamed setting keeps its old names as deprecated aliases: they are still
 * read, with a warning that names the new one.
 *
 * @param <T> the type of the value
 */
public final class Setting<T> {
  private final String name;
  private final String type;
  private final Function<String, T> parse;
  private final Supplier<String> defaultValue;

  /** Conditions a value must meet, each with what it requires in words, checked in order. */
  private final List<Check<T>> checks;

  private record Check<T>(Predicate<T> condition, String requirement) {}

  private final String doc;
  private final List<String> aliases;

  private Setting(
      String name,
      String type,
      Function<String, T> parse,
      Supplier<String> defaultValue,
      List<Check<T>> checks,
      String doc,
      List<String> aliases) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = type;
    this.parse = parse;
    this.defaultValue = defaultValue;
    this.checks = List.copyOf(checks);
    this.doc = doc;
    this.aliases = List.copyOf(aliases);
  }

  /** A text setting that must not be blank. */
  public static Setting<String> text(String name, String defaultValue, String doc) {
    return text(name, () -> defaultValue, doc);
  }

  /**
   * A text setting whose default is computed when the settings are loaded (e.g. from a system
   * property).
   */
  public static Setting<String> text(String name, Supplier<String> defaultValue, String doc) {
    return new Setting<String>(name, "text", String::trim, defaultValue, List.of(), doc, List.of())
        .validate(v -> !v.isBlank(), "must not be empty");
  }

  /** A text setting that may be empty (its default is empty: nothing configured). */
  public static Setting<String> optionalText(String name, String doc) {
    return new Setting<>(name, "text", String::trim, () -> "", List.of(), doc, List.of());
  }

  /** An integer setting that must be at least 1. */
  public static Setting<Integer> positiveInt(String name, int defaultValue, String doc) {
    return integer(name, defaultValue, doc).validate(v -> v > 0, "must be positive");
  }

  /** An integer setting. */
  public static Setting<Integer> integer(String name, int defaultValue, String doc) {
    return new Setting<>(
        name,
        "integer",
        Setting::parseInt,
        () -> Integer.toString(defaultValue),
        List.of(),
        doc,
        List.of());
  }

  /** A long integer setting that must be at least 1. */
  public static Setting<Long> positiveLong(String name, long defaultValue, String doc) {
    return longInt(name, defaultValue, doc).validate(v -> v > 0, "must be positive");
  }

  /** A long integer setting. */
  public static Setting<Long> longInt(String name, long defaultValue, String doc) {
    return new Setting<>(
        name,
        "integer",
        Setting::parseLong,
        () -> Long.toString(defaultValue),
        List.of(),
        doc,
        List.of());
  }

  /** A finite decimal setting. */
  public static Setting<Double> decimal(String name, double defaultValue, String doc) {
    return new Setting<>(
        name,
        "number",
        Setting::parseDouble,
        () -> Double.toString(defaultValue),
        List.of(),
        doc,
        List.of());
  }

  /** A duration in whole seconds, at least 1. */
  public static Setting<Duration> seconds(String name, long defaultSeconds, String doc) {
    return new Setting<Duration>(
            name,
            "seconds",
            s -> Duration.ofSeconds(parseLong(s)),
            () -> Long.toString(defaultSeconds),
            List.of(),
            doc,
            List.of())
        .validate(d -> d.toSeconds() > 0, "must be at least 1 second");
  }

  /** A setting that takes one of a few words (case-insensitive; the value is lower-cased). */
  public static Setting<String> choice(
      String name, String defaultValue, String doc, String... values) {
    List<String> allowed = List.of(values);
    return new Setting<String>(
            name,
            String.join("|", allowed),
            s -> s.trim().toLowerCase(Locale.ROOT),
            () -> defaultValue,
            List.of(),
            doc,
            List.of())
        .validate(allowed::contains, "must be one of " + allowed);
  }

  /** A true/false setting. */
  public static Setting<Boolean> bool(String name, boolean defaultValue, String doc) {
    return new Setting<>(
        name,
        "true|false",
        Setting::parseBoolean,
        () -> Boolean.toString(defaultValue),
        List.of(),
        doc,
        List.of());
  }

  /**
   * The same setting with one more condition on its value, {@code requirement} saying what it is.
   */
  public Setting<T> validate(Predicate<T> condition, String requirement) {
    List<Check<T>> more = new ArrayList<>(checks);
    more.add(new Check<>(condition, requirement));
    return new Setting<>(name, type, parse, defaultValue, more, doc, aliases);
  }

  /** The same setting, also read under a former name (deprecated: a warning names this one). */
  public Setting<T> alias(String formerName) {
    List<String> more = new ArrayList<>(aliases);
    more.add(formerName);
    return new Setting<>(name, type, parse, defaultValue, checks, doc, more);
  }

  public String name() {
    return name;
  }

  /** What kind of value it takes, for the reference: text, integer, number, seconds, a|b|c. */
  public String type() {
    return type;
  }

  public String defaultValue() {
    return defaultValue.get();
  }

  public String doc() {
    return doc;
  }

  /** What a valid value is, in words ({@code ""} when any value of the type is). */
  public String requirement() {
    return String.join(
        "; ", checks.stream().map(Check::requirement).filter(r -> !r.isEmpty()).toList());
  }

  /** Former names, still read. */
  public List<String> aliases() {
    return aliases;
  }

  /**
   * The value of a text.
   *
   * @throws IllegalArgumentException naming the setting when the text is not of its type or the
   *     value is not valid
   */
  public T read(String text) {
    T value;
    try {
      value = parse.apply(text == null ? "" : text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          name + " must be " + article(type) + ", got '" + text + "'", e);
    }
    for (Check<T> check : checks) {
      if (!check.condition().test(value)) {
        String got = text == null || text.isBlank() ? "" : ", got " + text.trim();
        throw new IllegalArgumentException(name + " " + check.requirement() + got);
      }
    }
    return value;
  }

  private static String article(String type) {
    return type.contains("|") ? "one of " + type : (type.startsWith("i") ? "an " : "a ") + type;
  }

  private static int parseInt(String s) {
    return Integer.parseInt(s.trim());
  }

  private static long parseLong(String s) {
    return Long.parseLong(s.trim());
  }

  private static double parseDouble(String s) {
    double d = Double.parseDouble(s.trim());
    if (!Double.isFinite(d)) {
      throw new NumberFormatException("not finite");
    }
    return d;
  }

  private static boolean parseBoolean(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("not true or false");
    };
  }

  @Override
  public String toString() {
    return name;
  }
}
