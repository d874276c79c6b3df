package ai.candle.cli.ops;

import ai.candle.cli.demo.TopicFollower;
import ai.candle.cli.internals.UserException;
import ai.candle.schemas.Prediction;
import ai.candle.schemas.TopicNames;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code candle tail predictions}: predictions as the scorers commit them. */
@Command(
    name = "predictions",
    mixinStandardHelpOptions = true,
    description = {
      "Print the predictions on the predictions topic as they are committed (read_committed, no consumer group: "
          + "nothing is committed), one line each: when it was scored, the image id, the model version and the "
          + "top-k classes with their scores, best first. By default only the predictions of unlabelled images; "
          + "--prequential adds those of labelled images, scored before they counted, with the label and whether "
          + "the best class was right.",
      "",
      "Runs until Ctrl-C, --max predictions, or --timeout.",
      ""
    })
final class TailPredictionsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--topic",
      paramLabel = "NAME",
      description = "The predictions topic. Default: ${DEFAULT-VALUE}.")
  String topic = TopicNames.defaults().predictions();

  @Option(
      names = "--from-beginning",
      description =
          "Start at the beginning of the topic (what is still retained) instead of its end.")
  boolean fromBeginning;

  @Option(
      names = "--prequential",
      description =
          "Also print the prequential predictions of labelled images (label, right or wrong).")
  boolean prequential;

  @Option(names = "--max", paramLabel = "N", description = "Stop after N predictions printed.")
  Long max;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      description =
          "Stop after this many seconds (decimals allowed), however many were printed. Default: none.")
  Double timeoutSeconds;

  @Option(names = "--json", description = "One JSON object per line (JSON lines) instead of text.")
  boolean json;

  /** A prediction as --json prints it. */
  record Line(
      String imageId,
      long modelVersion,
      boolean prequential,
      String trueLabel,
      Boolean correct,
      String eventTime,
      String scoredAt,
      List<Scored> topK,
      int partition,
      long offset) {}

  /** One of the top-k classes. */
  record Scored(String className, double score) {}

  @Override
  public Integer call() throws Exception {
    if (max != null && max < 1) {
      throw new UserException("--max must be at least 1, got " + max);
    }
    if (timeoutSeconds != null && !(timeoutSeconds > 0)) {
      throw new UserException(
          "--timeout must be a positive number of seconds, got " + timeoutSeconds);
    }
    PrintWriter err = spec.commandLine().getErr();
    BlockingQueue<ConsumerRecord<String, byte[]>> arrived = new LinkedBlockingQueue<>();
    long printed =
        KafkaErrors.explained(
            kafka,
            () -> {
              try (TopicFollower follower =
                  new TopicFollower(
                      kafka.clientConfig(),
                      List.of(topic),
                      fromBeginning,
                      "candle-tail",
                      (r, at) -> arrived.add(r))) {
                err.printf(
                    "candle tail predictions: following %s at %s from its %s%s%n",
                    topic,
                    kafka.bootstrapServers(),
                    fromBeginning ? "beginning" : "end",
                    max == null && timeoutSeconds == null ? " (Ctrl-C stops)" : "");
                err.flush();
                return follow(follower, arrived);
              }
            });
    err.printf("candle tail predictions: %d prediction%s%n", printed, printed == 1 ? "" : "s");
    err.flush();
    return 0;
  }

  private long follow(TopicFollower follower, BlockingQueue<ConsumerRecord<String, byte[]>> arrived)
      throws InterruptedException {
    long deadline =
        timeoutSeconds == null ? Long.MAX_VALUE : System.nanoTime() + (long) (timeoutSeconds * 1e9);
    long printed = 0;
    while ((max == null || printed < max) && System.nanoTime() < deadline) {
      ConsumerRecord<String, byte[]> r = arrived.poll(100, TimeUnit.MILLISECONDS);
      if (r == null) {
        if (follower.failure() != null) {
          throw follower.failure();
        }
        continue;
      }
      Line line = decode(r);
      if (line != null && (prequential || !line.prequential())) {
        print(line);
        printed++;
      }
    }
    return printed;
  }

  private Line decode(ConsumerRecord<String, byte[]> r) {
    Prediction p;
    try {
      p =
          kafka
              .topics()
              .predictions()
              .valueSerde()
              .deserializer()
              .deserialize(r.topic(), r.value());
    } catch (SerializationException e) {
      spec.commandLine()
          .getErr()
          .printf(
              "candle tail predictions: skipped %s-%d@%d: not a Prediction (%s)%n",
              r.topic(), r.partition(), r.offset(), e.getMessage());
      return null;
    }
    List<Scored> top =
        p.getTopK().stream().map(s -> new Scored(s.getClassName(), s.getScore())).toList();
    Boolean correct =
        p.getPrequential() && p.getTrueLabel() != null
            ? !top.isEmpty() && top.get(0).className().equals(p.getTrueLabel())
            : null;
    return new Line(
        p.getImageId(),
        p.getModelVersion(),
        p.getPrequential(),
        p.getTrueLabel(),
        correct,
        p.getEventTime().toString(),
        Instant.ofEpochMilli(r.timestamp()).toString(),
        top,
        r.partition(),
        r.offset());
  }

  private void print(Line line) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.line(line));
    } else {
      String top =
          line.topK().stream()
              .map(s -> String.format(Locale.ROOT, "%s %.3f", s.className(), s.score()))
              .collect(Collectors.joining(", "));
      String judged =
          line.prequential()
              ? String.format(
                  "  (prequential, label %s: %s)",
                  line.trueLabel(), Boolean.TRUE.equals(line.correct()) ? "right" : "wrong")
              : "";
      out.printf(
          Locale.ROOT,
          "%s  %s  v%d  %s%s%n",
          line.scoredAt(),
          line.imageId(),
          line.modelVersion(),
          top,
          judged);
    }
    out.flush();
  }
}
