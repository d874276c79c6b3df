package ai.candle.streams.config;

import ai.candle.clip.PromptTemplates;
import ai.candle.schemas.SerdeConfig;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.Topics;
import ai.candle.service.Setting;
import ai.candle.service.Settings;
import ai.candle.service.WireSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Configuration of ingest. Its settings are declared once, below ({@link #SETTINGS}); {@link
 * ConfigLayers} loads them with the scorer's and the encoders' in layers (defaults, the file named
 * by {@code --config} or {@code CANDLE_CONFIG}, {@code CANDLE_*} environment variables, flags), and
 * the app's {@code --help} and {@code docs/settings.md} list them. In the file (only), keys
 * starting with {@code streams.} pass through to Kafka Streams without the prefix; the repeatable
 * flag {@code --streams-config key=value} does the same and wins.
 */
public record IngestConfig(
    String bootstrapServers,
    String applicationId,
    String stateDir,
    TopicNames topics,
    SerdeConfig serde,
    int featureWidth,
    int maxLabelLength,
    int maxIdLength,
    int maxPromptLength,
    int maxRecordBytes,
    int maxAnnouncementBytes,
    int deadLetterMaxBytes,
    String promptTemplate,
    int maxClasses,
    Map<String, String> streamsOverrides) {

  static final Setting<String> BOOTSTRAP_SERVERS =
      Setting.text(
          "bootstrap.servers",
          "localhost:9092",
          "Kafka's bootstrap servers, host:port, comma-separated.");
  static final Setting<String> APPLICATION_ID =
      Setting.text(
          "application.id",
          "candle-ingest",
          "The ingest Kafka Streams application id (its consumer group and state).");
  static final Setting<String> STATE_DIR =
      Setting.text(
          "state.dir",
          () -> Path.of(System.getProperty("java.io.tmpdir"), "candle-streams").toString(),
          "Where Kafka Streams keeps its state (default: the system temp dir's candle-streams).");
  static final Setting<Integer> FEATURE_WIDTH =
      Setting.positiveInt(
          "feature.width",
          512,
          "D, the width of CLIP features; a feature of another width is dead-lettered.");
  static final Setting<Integer> LABEL_MAX_LENGTH =
      Setting.positiveInt(
          "label.max.length", 200, "The longest class name accepted, in characters.");
  static final Setting<Integer> ID_MAX_LENGTH =
      Setting.positiveInt("id.max.length", 512, "The longest image id accepted, in characters.");
  static final Setting<Integer> PROMPT_MAX_LENGTH =
      Setting.positiveInt(
          "prompt.max.length",
          1000,
          "The longest prompt an announcement may carry, in characters.");
  static final Setting<Integer> RECORD_MAX_BYTES =
      Setting.positiveInt(
          "record.max.bytes",
          1024 * 1024,
          "The largest labelled or unlabelled image record accepted, in bytes.");
  static final Setting<Integer> ANNOUNCEMENT_MAX_BYTES =
      Setting.positiveInt(
          "announcement.max.bytes",
          64 * 1024,
          "The largest class announcement accepted, in bytes.");
  static final Setting<Integer> DEAD_LETTER_MAX_BYTES =
      Setting.positiveInt(
          "dead.letter.max.bytes",
          512 * 1024,
          "The most bytes of an original record a dead letter keeps.");
  static final Setting<String> PROMPT_TEMPLATE =
      Setting.text(
              "prompt.template",
              PromptTemplates.DEFAULT_TEMPLATE,
              "The prompt of a class announced without one; {} stands for the class name.")
          .validate(
              t -> t.contains(PromptTemplates.PLACEHOLDER),
              "must contain '{}' where the class name goes");
  static final Setting<Integer> CLASSES_MAX =
      Setting.positiveInt(
          "classes.max",
          10_000,
          "The most classes the registry registers; a label or announcement of a new class beyond it is"
              + " dead-lettered (class_limit). A model version grows by about 4 KB per class at D = 512 (40.6 MB at"
              + " 10,000 classes): keep it under model.max.bytes (trainer and scorers).");

  /** The topic names, in {@link TopicNames} component order. */
  static final List<Setting<String>> TOPICS = topicSettings();

  /** Every ingest setting, in the order the documents list them. */
  static final List<Setting<?>> SETTINGS = settings();

  private static List<Setting<String>> topicSettings() {
    TopicNames d = TopicNames.defaults();
    List<String> names =
        List.of(
            "images.labeled",
            "images.unlabeled",
            "classes.announcements",
            "classes",
            "class-counts",
            "features",
            "models",
            "predictions",
            "dead-letter");
    List<String> values =
        List.of(
            d.labeledImages(),
            d.unlabeledImages(),
            d.classAnnouncements(),
            d.classes(),
            d.classCounts(),
            d.features(),
            d.models(),
            d.predictions(),
            d.deadLetter());
    List<Setting<String>> out = new java.util.ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      out.add(
          Setting.text(
              "topic." + names.get(i),
              values.get(i),
              "The name of the " + values.get(i) + " topic."));
    }
    return List.copyOf(out);
  }

  private static List<Setting<?>> settings() {
    List<Setting<?>> all =
        new java.util.ArrayList<>(
            List.of(
                BOOTSTRAP_SERVERS,
                APPLICATION_ID,
                STATE_DIR,
                FEATURE_WIDTH,
                LABEL_MAX_LENGTH,
                ID_MAX_LENGTH,
                PROMPT_MAX_LENGTH,
                RECORD_MAX_BYTES,
                ANNOUNCEMENT_MAX_BYTES,
                DEAD_LETTER_MAX_BYTES,
                PROMPT_TEMPLATE,
                CLASSES_MAX));
    all.addAll(TOPICS);
    all.add(WireSettings.SERDE);
    all.add(WireSettings.REGISTRY_URL);
    return List.copyOf(all);
  }

  public IngestConfig {
    java.util.Objects.requireNonNull(topics, "topics");
    java.util.Objects.requireNonNull(serde, "serde");
    streamsOverrides = Map.copyOf(streamsOverrides);
  }

  /** All defaults. */
  public static IngestConfig defaults() {
    return load(List.of(), Map.of());
  }

  /**
   * Loads the configuration: defaults, then the properties file ({@code --config} or {@code
   * CANDLE_CONFIG}), then environment variables, then flags; later layers win.
   *
   * @param args command-line flags, {@code --name value} or {@code --name=value}
   * @param env environment variables (pass {@code System.getenv()})
   * @throws IllegalArgumentException on an unknown flag, a missing value or an invalid setting
   */
  public static IngestConfig load(List<String> args, Map<String, String> env) {
    return from(ConfigLayers.load(args, env));
  }

  /**
   * The pass-through settings that every plain Kafka client of the app (the models feed, the
   * class-counts view) needs as much as Kafka Streams does: the connection's security ({@code
   * security.*}, {@code ssl.*}, {@code sasl.*}), given as {@code streams.*} in the file or with
   * {@code --streams-config}.
   */
  public Map<String, Object> clientOverrides() {
    Map<String, Object> out = new java.util.HashMap<>();
    streamsOverrides.forEach(
        (key, value) -> {
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
    props.put(
        StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG),
        Integer.toString(256 * 1024));
    props.putAll(streamsOverrides);
    return props;
  }

  /** The topics, their values in the configured wire format. */
  public Topics topicSerdes() {
    return Topics.of(topics, serde);
  }

  /** The ingest config of loaded settings. */
  static IngestConfig from(Settings s) {
    List<String> t = TOPICS.stream().map(s::get).toList();
    return new IngestConfig(
        s.get(BOOTSTRAP_SERVERS),
        s.get(APPLICATION_ID),
        s.get(STATE_DIR),
        new TopicNames(
            t.get(0), t.get(1), t.get(2), t.get(3), t.get(4), t.get(5), t.get(6), t.get(7),
            t.get(8)),
        SerdeConfig.of(s.get(WireSettings.SERDE), s.get(WireSettings.REGISTRY_URL)),
        s.get(FEATURE_WIDTH),
        s.get(LABEL_MAX_LENGTH),
        s.get(ID_MAX_LENGTH),
        s.get(PROMPT_MAX_LENGTH),
        s.get(RECORD_MAX_BYTES),
        s.get(ANNOUNCEMENT_MAX_BYTES),
        s.get(DEAD_LETTER_MAX_BYTES),
        s.get(PROMPT_TEMPLATE),
        s.get(CLASSES_MAX),
        s.passThrough());
  }
}
