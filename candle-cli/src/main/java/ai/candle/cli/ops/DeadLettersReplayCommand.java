package ai.candle.cli.ops;

import ai.candle.schemas.TopicNames;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code candle dead-letters replay}. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Send the originals of dead letters back to the topic they came from, byte for byte with their key (the "
          + "partitioner places them by key), after the cause is fixed: e.g. no_model once a version serves, "
          + "encoder_busy once the encoder keeps up, no_encoder once one is configured. Each replayed record carries "
          + "the header "
          + DeadLettersReplayCommand.HEADER
          + " = the dead letter's topic-PARTITION@OFFSET. Prints "
          + "one line per dead letter replayed or skipped, then a summary.",
      "",
      "Dead letters stay on their topic: replaying twice sends the originals twice, so narrow the choice with "
          + "--reason, --origin-topic or --id, and check it first with --dry-run. Skipped: a dead letter that kept "
          + "only the first bytes of its original (dead.letter.max.bytes), one whose origin is unknown, one whose "
          + "original had no value.",
      ""
    })
final class DeadLettersReplayCommand implements Callable<Integer> {
  /** The header each replayed record carries: where its dead letter lies. */
  static final String HEADER = "candle.replayed-from";

  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Mixin DeadLetterFilter filter;

  @Option(
      names = "--topic",
      paramLabel = "NAME",
      description = "The dead-letter topic. Default: ${DEFAULT-VALUE}.")
  String topic = TopicNames.defaults().deadLetter();

  @Option(names = "--dry-run", description = "Print what would be replayed, and send nothing.")
  boolean dryRun;

  @Option(
      names = "--json",
      description =
          "One JSON object on stdout: {\"replayed\": [...], \"skipped\": [...], "
              + "\"dry_run\"}, each replayed one with where it went.")
  boolean json;

  /**
   * A dead letter sent back, and where its original went (null partition and offset on a dry run).
   */
  record Replayed(DeadLetterEntry deadLetter, String toTopic, Integer partition, Long offset) {}

  /** What --json prints. */
  record Outcome(
      String topic, boolean dryRun, List<Replayed> replayed, List<DeadLetterEntry> skipped) {}

  @Override
  public Integer call() throws Exception {
    filter.validate();
    List<DeadLetterEntry> skipped = new ArrayList<>();
    List<Replayed> replayed =
        KafkaErrors.explained(
            kafka,
            () -> {
              try (Resender resender =
                  dryRun ? null : new Resender(producerConfig(), kafka.timeout())) {
                List<Pending> pending = new ArrayList<>();
                DeadLetterEntry.read(
                    kafka,
                    topic,
                    kafka.timeout(),
                    f -> {
                      DeadLetterEntry e = f.entry();
                      if (!filter.accepts(e)) {
                        return;
                      }
                      if (!e.replayable()) {
                        skipped.add(e);
                      } else {
                        pending.add(
                            new Pending(
                                e,
                                f.letter().getTopic(),
                                resender == null ? null : resender.send(f, topic)));
                      }
                    },
                    u -> {});
                return outcomes(pending);
              }
            });
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.document(new Outcome(topic, dryRun, replayed, skipped)));
    } else {
      print(out, replayed, skipped);
    }
    out.flush();
    return 0;
  }

  /** A dead letter whose original was handed to the producer (no future on a dry run). */
  private record Pending(DeadLetterEntry entry, String toTopic, Future<RecordMetadata> sent) {}

  private Map<String, Object> producerConfig() {
    Map<String, Object> config =
        new HashMap<>(
            Map.of(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                2 * 1024 * 1024,
                ProducerConfig.ACKS_CONFIG,
                "all"));
    config.putAll(kafka.clientConfig());
    return config;
  }

  /** Waits for every send; an original the broker did not take fails the command. */
  private static List<Replayed> outcomes(List<Pending> pending)
      throws InterruptedException, ExecutionException {
    List<Replayed> out = new ArrayList<>();
    for (Pending p : pending) {
      if (p.sent() == null) {
        out.add(new Replayed(p.entry(), p.toTopic(), null, null));
      } else {
        RecordMetadata m = p.sent().get();
        out.add(new Replayed(p.entry(), m.topic(), m.partition(), m.offset()));
      }
    }
    return out;
  }

  /** Sends originals back as they are read, so that only their acknowledgements are held. */
  private static final class Resender implements AutoCloseable {
    private final Map<String, Object> config;
    private final Duration timeout;
    private final Set<String> topics = new HashSet<>();
    private final KafkaProducer<byte[], byte[]> producer;

    Resender(Map<String, Object> config, Duration timeout) {
      this.config = config;
      this.timeout = timeout;
      producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    Future<RecordMetadata> send(DeadLetterEntry.Found f, String deadLetterTopic) {
      if (topics.add(f.letter().getTopic())) {
        requireTopic(f.letter().getTopic());
      }
      ProducerRecord<byte[], byte[]> r =
          new ProducerRecord<>(
              f.letter().getTopic(),
              DeadLetterEntry.bytes(f.letter().getOriginalKey()),
              DeadLetterEntry.bytes(f.letter().getOriginalValue()));
      r.headers().add(HEADER, (deadLetterTopic + "-" + f.id()).getBytes(StandardCharsets.UTF_8));
      return producer.send(r);
    }

    private void requireTopic(String topic) {
      try {
        TopicSnapshot.requireTopics(config, List.of(topic), timeout);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while checking the topic " + topic, e);
      } catch (ExecutionException e) {
        throw new KafkaException("cannot list the topics", e.getCause());
      }
    }

    @Override
    public void close() {
      producer.close();
    }
  }

  private void print(PrintWriter out, List<Replayed> replayed, List<DeadLetterEntry> skipped) {
    String verb = dryRun ? "would replay" : "replayed";
    for (Replayed r : replayed) {
      DeadLetterEntry e = r.deadLetter();
      out.printf(
          Locale.ROOT,
          "%s %s (%s) from %s-%d@%d to %s%s, key %s, %s%n",
          verb,
          e.id(),
          e.reason(),
          e.originTopic(),
          e.originPartition(),
          e.originOffset(),
          r.toTopic(),
          r.partition() == null ? "" : "-" + r.partition() + "@" + r.offset(),
          e.key() == null ? "(none)" : e.key(),
          Text.bytes(e.valueBytes()));
    }
    for (DeadLetterEntry e : skipped) {
      out.printf(Locale.ROOT, "skipped %s (%s): %s%n", e.id(), e.reason(), e.notReplayable());
    }
    if (replayed.isEmpty() && skipped.isEmpty()) {
      out.println("no dead letters on " + topic + filter.describe() + ": nothing replayed");
      return;
    }
    out.printf(
        Locale.ROOT,
        "%s %d dead letter%s%s%s%n",
        verb,
        replayed.size(),
        replayed.size() == 1 ? "" : "s",
        filter.describe(),
        skipped.isEmpty() ? "" : "; skipped " + skipped.size());
  }
}
