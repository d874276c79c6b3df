package ai.candle.cli.ops;

import ai.candle.cli.internals.UserException;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.Topics;
import ai.candle.schemas.VersionChunks;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code candle models rollback}: an older version republished as the newest. */
@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    description = {
      "Serve an older model version again: its record is republished on the models topic (and on the models' "
          + "history, in the same transaction) under the next version "
          + "number (the newest + 1), with the same parameters, classes and checksum, createdAt now, and the "
          + "hyper-parameter "
          + ModelsRollbackCommand.FROM_KEY
          + " naming the version it repeats. The scorers serve "
          + "any version newer than theirs, so every scorer swaps to it within moments, without a restart.",
      "",
      "The trainer's next version (its next fit, or an extend when a class is announced) is numbered after the "
          + "rollback (the trainer notices other writers on the topic) and replaces it; to hold a version, pin it "
          + "in the scorers (candle models pin).",
      "",
      "The version is read from the models' history (--topic, uncompacted), so a version the log cleaner removed "
          + "from the compacted models topic can still be rolled back to; a version older than the history (published "
          + "before it existed) is looked for on the models topic too.",
      ""
    })
final class ModelsRollbackCommand implements Callable<Integer> {
  /** The hyper-parameter a republished version carries: the version it repeats. */
  static final String FROM_KEY = "rollback.from";

  /** Followed by the model's name: the transactional id of a rollback's producer. */
  static final String TRANSACTIONAL_ID_PREFIX = "candle-models-rollback-";

  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Parameters(index = "0", paramLabel = "VERSION", description = "The version to serve again.")
  long version;

  @Option(
      names = "--topic",
      paramLabel = "NAME",
      description =
          "The models' history: where the version is read, and "
              + "where the republished one is written too. Default: ${DEFAULT-VALUE}.")
  String topic = TopicNames.defaults().modelHistory();

  @Option(
      names = "--models-topic",
      paramLabel = "NAME",
      description =
          "The models topic the scorers read, where "
              + "the version is republished. Default: ${DEFAULT-VALUE}.")
  String modelsTopic = TopicNames.defaults().models();

  @Option(
      names = "--model-name",
      paramLabel = "NAME",
      description =
          "The model (the record key, the services' model.name). Default: the only model on the topic.")
  String modelName;

  @Option(
      names = "--dry-run",
      description = "Check and print what would be published; publish nothing.")
  boolean dryRun;

  @Option(
      names = "--json",
      description =
          "One JSON object on stdout: {\"model\", \"topic\", \"history\", \"from_version\", "
              + "\"new_version\", \"newest_before\", \"partition\", \"offset\", \"dry_run\"}.")
  boolean json;

  /** What was (or would be) published. */
  record Outcome(
      String model,
      String topic,
      String history,
      long fromVersion,
      long newVersion,
      long newestBefore,
      int classes,
      String origin,
      String checksum,
      Integer partition,
      Long offset,
      boolean dryRun) {}

  @Override
  public Integer call() throws Exception {
    Outcome outcome = KafkaErrors.explained(kafka, this::rollback);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.document(outcome));
    } else {
      out.printf(
          Locale.ROOT,
          "%s version %d of model %s (%s, %d classes, checksum %s) as version %d on %s%s%s; "
              + "the newest was %d%n",
          outcome.dryRun() ? "would republish" : "republished",
          outcome.fromVersion(),
          outcome.model(),
          outcome.origin(),
          outcome.classes(),
          Text.cut(outcome.checksum(), 16),
          outcome.newVersion(),
          outcome.topic(),
          outcome.partition() == null
              ? ""
              : " (partition " + outcome.partition() + ", offset " + outcome.offset() + ")",
          outcome.history().equals(outcome.topic()) ? "" : " and on " + outcome.history(),
          outcome.newestBefore());
    }
    out.flush();
    return 0;
  }

  private Outcome rollback() throws Exception {
    TreeSet<String> models = new TreeSet<>();
    Map<String, ModelVersion> chosen = new LinkedHashMap<>();
    Map<String, Long> newest = new HashMap<>();
    Map<String, TreeSet<Long>> versions = new HashMap<>();
    // the history first: the version as it was kept there; the models topic for the newest number
    // (and for a
    // version published before the history existed)
    for (String read : modelsTopic.equals(topic) ? List.of(topic) : List.of(topic, modelsTopic)) {
      ModelEntry.read(
          kafka,
          read,
          kafka.timeout(),
          f -> {
            String model = f.model();
            if (modelName != null && !modelName.equals(model)) {
              return;
            }
            models.add(model);
            long v = f.version().getVersion();
            newest.merge(model, v, Math::max);
            versions.computeIfAbsent(model, m -> new TreeSet<>()).add(v);
            if (v == version) {
              chosen.putIfAbsent(model, f.version());
            }
          },
          u -> {});
    }
    if (models.isEmpty()) {
      throw new UserException(
          "no version of "
              + (modelName == null ? "any model" : "model " + modelName)
              + " on "
              + topics()
              + " (candle models list shows what is there)");
    }
    if (models.size() > 1) {
      throw new UserException(
          "the topics "
              + topics()
              + " hold several models "
              + models
              + "; choose one with "
              + "--model-name");
    }
    String model = models.first();
    ModelVersion old = chosen.get(model);
    if (old == null) {
      throw new UserException(
          "no version "
              + version
              + " of model "
              + model
              + " on "
              + topics()
              + "; there are "
              + versions.get(model)
              + " (a history with a retention, or the compacted models topic, may have lost older "
              + "versions)");
    }
    long newestBefore = newest.get(model);
    if (version == newestBefore) {
      throw new UserException(
          "version "
              + version
              + " is the newest of model "
              + model
              + " already; nothing to "
              + "roll back");
    }
    if (!ModelEntry.checksumMatches(old)) {
      throw new UserException(
          "version "
              + version
              + "'s parameters do not match its checksum: the scorers would "
              + "refuse it, so it is not republished");
    }
    long next = newestBefore + 1;
    Map<String, String> hyper = new LinkedHashMap<>(old.getHyperParameters());
    hyper.put(FROM_KEY, Long.toString(version));
    ModelVersion copy =
        ModelVersion.newBuilder(old)
            .setVersion(next)
            .setCreatedAt(Instant.now())
            .setHyperParameters(hyper)
            .build();
    if (dryRun) {
      return outcome(model, old, next, newestBefore, null);
    }
    RecordMetadata m = publish(model, copy);
    return outcome(model, old, next, newestBefore, m);
  }

  private String topics() {
    return modelsTopic.equals(topic) ? topic : topic + " and " + modelsTopic;
  }

  /**
   * Writes the copy to the models topic and to the history in one transaction (both or neither),
   * with a transactional id of its own per model, so that two rollbacks of one model at once fence
   * each other instead of interleaving; the trainer's id ({@code candle-trainer-<model>}) is
   * another.
   *
   * @return where it lies on the models topic (a chunked copy: its manifest)
   */
  private RecordMetadata publish(String model, ModelVersion copy) throws Exception {
    TopicNames d = TopicNames.defaults();
    Topics topics =
        kafka.topics(
            KafkaOptions.names(
                n -> n.equals(d.models()) ? modelsTopic : n.equals(d.modelHistory()) ? topic : n));
    Map<String, Object> config =
        new HashMap<>(ModelVersions.producerConfig(VersionChunks.DEFAULT_CHUNK_BYTES));
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.putAll(kafka.clientConfig());
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID_PREFIX + model);
    try (KafkaProducer<String, ModelVersion> producer =
        new KafkaProducer<>(
            config, new StringSerializer(), topics.models().valueSerde().serializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      // one record, or its chunks then its manifest, as the trainer sends them
      Future<RecordMetadata> onModels = null;
      for (VersionChunks.Keyed k :
          VersionChunks.split(model, copy, VersionChunks.DEFAULT_CHUNK_BYTES)) {
        onModels = producer.send(new ProducerRecord<>(topics.models().name(), k.key(), k.value()));
        if (!topics.modelHistory().name().equals(topics.models().name())) {
          producer.send(new ProducerRecord<>(topics.modelHistory().name(), k.key(), k.value()));
        }
      }
      producer.commitTransaction();
      return onModels.get();
    }
  }

  private Outcome outcome(
      String model, ModelVersion old, long next, long newestBefore, RecordMetadata m) {
    return new Outcome(
        model,
        modelsTopic,
        topic,
        version,
        next,
        newestBefore,
        old.getClasses().size(),
        old.getOrigin(),
        old.getChecksum(),
        m == null ? null : m.partition(),
        m == null ? null : m.offset(),
        m == null);
  }
}
