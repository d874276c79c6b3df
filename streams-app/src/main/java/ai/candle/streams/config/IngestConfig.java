package ai.candle.streams.config;

import ai.candle.clip.PromptTemplates;
import ai.candle.schemas.LayeredSettings;
import ai.candle.schemas.TopicNames;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Configuration of the ingest app.
 *
 * <p>Loaded in layers by {@link #load(List, Map)}: defaults, then a properties file, then
 * environment variables, then command-line flags. Every setting has one property name; its
 * environment variable is {@code CANDLE_} + the name upper-cased with {@code .} and {@code -}
 * as {@code _}, and its flag is {@code --} + the name with {@code .} as {@code -}:
 *
 * <pre>
 * property              env                          flag
 * bootstrap.servers     CANDLE_BOOTSTRAP_SERVERS     --bootstrap-servers   localhost:9092
 * application.id        CANDLE_APPLICATION_ID        --application-id      candle-ingest
 * state.dir             CANDLE_STATE_DIR             --state-dir           ${java.io.tmpdir}/candle-streams
 * feature.width         CANDLE_FEATURE_WIDTH         --feature-width       512
 * label.max.length      CANDLE_LABEL_MAX_LENGTH      --label-max-length    200
 * id.max.length         CANDLE_ID_MAX_LENGTH         --id-max-length       512
 * prompt.max.length     CANDLE_PROMPT_MAX_LENGTH     --prompt-max-length   1000
 * record.max.bytes      CANDLE_RECORD_MAX_BYTES      --record-max-bytes    1048576
 * announcement.max.bytes CANDLE_ANNOUNCEMENT_MAX_BYTES --announcement-max-bytes 65536
 * dead.letter.max.bytes CANDLE_DEAD_LETTER_MAX_BYTES --dead-letter-max-bytes 524288
 * prompt.template       CANDLE_PROMPT_TEMPLATE       --prompt-template     "a photo of a {}."
 * topic.images.labeled  CANDLE_TOPIC_IMAGES_LABELED  --topic-images-labeled  (and so on, see TOPIC_KEYS)
 * </pre>
 *
 * <p>The file is named by {@code --config FILE} or {@code CANDLE_CONFIG}. In the file (only),
 * keys starting with {@code streams.} pass through to Kafka Streams without the prefix; the
 * repeatable flag {@code --streams-config key=value} does the same and wins. The layering is
 * {@link ConfigLayers}, shared with {@link ScoringConfig}: the settings of the scorer are known
 * here too (and ignored), so one command line configures the whole process.
 */
public record IngestConfig(
    String bootstrapServers,
    String applicationId,
    String stateDir,
    TopicNames topics,
    int featureWidth,
    int maxLabelLength,
    int maxIdLength,
    int maxPromptLength,
    int maxRecordBytes,
    int maxAnnouncementBytes,
    int deadLetterMaxBytes,
    String promptTemplate,
    Map<String, String> streamsOverrides) {

  /** Property names of the topic names, in {@link TopicNames} component order. */
  static final List<String> TOPIC_KEYS = List.of(
      "topic.images.labeled", "topic.images.unlabeled", "topic.classes.announcements",
      "topic.classes", "topic.class-counts", "topic.features", "topic.models",
      "topic.predictions", "topic.dead-letter");

  static final List<String> KEYS = List.of(
      "bootstrap.servers", "application.id", "state.dir", "feature.width", "label.max.length",
      "id.max.length", "prompt.max.length", "record.max.bytes", "announcement.max.bytes",
      "dead.letter.max.bytes", "prompt.template");

  public IngestConfig {
    LayeredSettings.requireText(bootstrapServers, "bootstrap.servers");
    LayeredSettings.requireText(applicationId, "application.id");
    LayeredSettings.requireText(stateDir, "state.dir");
    Objects.requireNonNull(topics, "topics");
    LayeredSettings.requirePositive(featureWidth, "feature.width");
    LayeredSettings.requirePositive(maxLabelLength, "label.max.length");
    LayeredSettings.requirePositive(maxIdLength, "id.max.length");
    LayeredSettings.requirePositive(maxPromptLength, "prompt.max.length");
    LayeredSettings.requirePositive(maxRecordBytes, "record.max.bytes");
    LayeredSettings.requirePositive(maxAnnouncementBytes, "announcement.max.bytes");
    LayeredSettings.requirePositive(deadLetterMaxBytes, "dead.letter.max.bytes");
    LayeredSettings.requireText(promptTemplate, "prompt.template");
    if (!promptTemplate.contains(PromptTemplates.PLACEHOLDER)) {
      throw new IllegalArgumentException(
          "prompt.template must contain '{}' where the class name goes, got: " + promptTemplate);
    }
    streamsOverrides = Map.copyOf(streamsOverrides);
  }

  /** All defaults. */
  public static IngestConfig defaults() {
    return load(List.of(), Map.of());
  }

  /**
   * Loads the configuration: defaults, then the properties file ({@code --config} or
   * {@code CANDLE_CONFIG}), then environment variables, then flags; later layers win.
   *
   * @param args command-line flags, {@code --name value} or {@code --name=value}
   * @param env environment variables (pass {@code System.getenv()})
   * @throws IllegalArgumentException on an unknown flag, a missing value or an invalid setting
   */
  public static IngestConfig load(List<String> args, Map<String, String> env) {
    return fromSettings(ConfigLayers.load(args, env));
  }

  /**
   * The pass-through settings that every plain Kafka client of the app (the models feed, the
   * class-counts view) needs as much as Kafka Streams does: the connection's security ({@code
   * security.*}, {@code ssl.*}, {@code sasl.*}), given as {@code streams.*} in the file or with
   * {@code --streams-config}.
   */
  public Map<String, Object> clientOverrides() {
    Map<String, Object> out = new java.util.HashMap<>();
    streamsOverrides.forEach((key, value) -> {
      if (key.startsWith("security.") || key.startsWith("ssl.") || key.startsWith("sasl.")) {
        out.put(key, value);
      }
    });
    return out;
  }

  /** Kafka Streams properties of this app: exactly-once v2, then the pass-through overrides. */
  public Properties streamsProperties() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    // Throughput defaults for ingest (BENCHMARKS.md "Ingest"): with exactly-once every commit
    // flushes the producers and ends a transaction, so Kafka's 100 ms default for exactly-once
    // spends most of the stream thread's time waiting on the broker. Counts and features reach the
    // trainer at most about a second later; all of these can be overridden.
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2");
    props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), Integer.toString(256 * 1024));
    props.putAll(streamsOverrides);
    return props;
  }

  static String envName(String key) {
    return LayeredSettings.envName(key);
  }

  static String flagName(String key) {
    return LayeredSettings.flagName(key);
  }

  /** The defaults of the ingest settings. */
  static Map<String, String> defaultSettings() {
    Map<String, String> d = new HashMap<>();
    d.put("bootstrap.servers", "localhost:9092");
    d.put("application.id", "candle-ingest");
    d.put("state.dir", Path.of(System.getProperty("java.io.tmpdir"), "candle-streams").toString());
    d.put("feature.width", "512");
    d.put("label.max.length", "200");
    d.put("id.max.length", "512");
    d.put("prompt.max.length", "1000");
    d.put("record.max.bytes", Integer.toString(1024 * 1024));
    d.put("announcement.max.bytes", Integer.toString(64 * 1024));
    d.put("dead.letter.max.bytes", Integer.toString(512 * 1024));
    d.put("prompt.template", PromptTemplates.DEFAULT_TEMPLATE);
    TopicNames names = TopicNames.defaults();
    List<String> values = List.of(names.labeledImages(), names.unlabeledImages(),
        names.classAnnouncements(), names.classes(), names.classCounts(), names.features(),
        names.models(), names.predictions(), names.deadLetter());
    for (int i = 0; i < TOPIC_KEYS.size(); i++) {
      d.put(TOPIC_KEYS.get(i), values.get(i));
    }
    return d;
  }

  /** The ingest config of layered settings ({@link ConfigLayers#load}). */
  static IngestConfig fromSettings(Map<String, String> s) {
    List<String> t = TOPIC_KEYS.stream().map(s::get).toList();
    Map<String, String> overrides = ConfigLayers.streamsOverrides(s);
    return new IngestConfig(
        s.get("bootstrap.servers"), s.get("application.id"), s.get("state.dir"),
        new TopicNames(t.get(0), t.get(1), t.get(2), t.get(3), t.get(4), t.get(5), t.get(6),
            t.get(7), t.get(8)),
        intSetting(s, "feature.width"), intSetting(s, "label.max.length"),
        intSetting(s, "id.max.length"), intSetting(s, "prompt.max.length"), intSetting(s, "record.max.bytes"),
        intSetting(s, "announcement.max.bytes"), intSetting(s, "dead.letter.max.bytes"),
        s.get("prompt.template"), overrides);
  }

  private static int intSetting(Map<String, String> settings, String key) {
    return LayeredSettings.intOf(settings, key);
  }

}
