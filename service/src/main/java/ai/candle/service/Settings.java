package ai.candle.service;

import java.util.List;
import java.util.Map;

/**
 * The loaded, checked values of a {@link SettingsSpec}.
 *
 * @param values every declared setting's value
 * @param passThrough the settings passed to the Kafka clients, without their prefix
 * @param deprecated former setting names that were used, each with the name that replaces it
 */
public record Settings(
    Map<Setting<?>, Object> values, Map<String, String> passThrough, List<String> deprecated) {

  public Settings {
    values = Map.copyOf(values);
    passThrough = Map.copyOf(passThrough);
    deprecated = List.copyOf(deprecated);
  }

  /**
   * A setting's value.
   *
   * @throws IllegalArgumentException if the setting is not one these settings were loaded for
   */
  @SuppressWarnings("unchecked")
  public <T> T get(Setting<T> setting) {
    Object v = values.get(setting);
    if (v == null) {
      throw new IllegalArgumentException("setting " + setting.name() + " is not declared here");
    }
    return (T) v;
  }
}
