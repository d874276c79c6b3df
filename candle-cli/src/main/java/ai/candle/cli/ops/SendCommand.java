package ai.candle.cli.ops;

import ai.candle.cli.demo.EventSender;
import ai.candle.cli.internals.UserException;
import ai.candle.core.io.FeaturesDataset;
import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.TopicNames;
import ai.candle.schemas.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code candle send}: labelled images, unlabelled images or class announcements, from files or
 * stdin.
 */
@Command(
    name = "send",
    mixinStandardHelpOptions = true,
    description = {
      "Send labelled images, unlabelled images or class announcements to the service's input topics, as a "
          + "producer of the service would (Avro values in the wire format of --serde, keyed by image id or class name). Images are "
          + "image files (their bytes, for the streams app's image encoder), URIs, or precomputed CLIP features (float "
          + "lists); classes carry a prompt, a template, aliases and optionally their text feature.",
      "",
      "The whole input is read and checked first, with the streams app's default limits (ids up to 512 characters, "
          + "names up to 200, prompts up to 1000, no control characters, finite features of one width, images up to "
          + "1 MiB that start like a PNG, JPEG, GIF, BMP or WebP): a mistake is one line on stderr with where it is, "
          + "exit code 2, and nothing is sent.",
      "",
      "Inputs (candle-cli/README.md has examples):",
      "  --dir DIR      labeled: DIR/<class>/<image files>, id <class>/<file>; unlabeled: image files anywhere "
          + "under DIR, id = their path under DIR; classes: one announcement per folder of DIR.",
      "  --csv FILE     a header line naming the columns, then one row per line ('-': stdin). labeled: id, label, "
          + "image | uri | feature, source; unlabeled: id, image | uri | feature; classes: name, prompt, template, "
          + "aliases, feature. A feature is numbers separated by spaces; aliases by |; image paths are relative to "
          + "the file's folder. An image's id defaults to its path (or URI).",
      "  --jsonl FILE   one JSON object per line with the same keys ('-': stdin); feature a JSON array of numbers, "
          + "aliases an array of texts.",
      "  --dataset DIR  a features dataset (docs/design.md): classes with their text features, its training "
          + "images as labeled (train-<i>), its test images as unlabeled (test-<i>).",
      "",
      "An image's event time is the time it is sent.",
      ""
    })
public final class SendCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "KIND",
      completionCandidates = Kinds.class,
      description = "What to send: ${COMPLETION-CANDIDATES}.")
  String kindWord;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--topic",
      paramLabel = "NAME",
      description =
          "The topic to send to. Default: candle.images.labeled, candle.images.unlabeled or "
              + "candle.classes.announcements, by KIND.")
  String topic;

  @Option(
      names = "--feature-width",
      paramLabel = "D",
      description =
          "The width every feature must have (the streams app's feature.width, 512 by default). "
              + "Default: the width of the input's first feature.")
  Integer featureWidth;

  @Option(
      names = "--max-record-bytes",
      paramLabel = "N",
      defaultValue = "1048576",
      description =
          "The largest image record the streams app takes (its record.max.bytes). Default: ${DEFAULT-VALUE}.")
  int maxRecordBytes;

  @Option(
      names = "--source",
      paramLabel = "NAME",
      defaultValue = "candle-cli",
      description =
          "The labelled images' source field, unless a row names its own. Default: ${DEFAULT-VALUE}.")
  String sourceName;

  @Option(
      names = "--dry-run",
      description = "Read and check the input, print what would be sent, send nothing.")
  boolean dryRun;

  @Option(
      names = "--json",
      description =
          "One JSON object on stdout: {\"kind\", \"topic\", \"sent\", \"features\", "
              + "\"image_files\", \"uris\", \"announcements\", \"dry_run\"}.")
  boolean json;

  /** Where the records come from: exactly one. */
  static final class Source {
    @Option(
        names = "--dir",
        paramLabel = "DIR",
        description = "A directory of image files (or class folders).")
    Path dir;

    @Option(
        names = "--csv",
        paramLabel = "FILE",
        description = "A CSV file with a header line; '-' reads stdin.")
    String csv;

    @Option(
        names = "--jsonl",
        paramLabel = "FILE",
        description = "A JSON-lines file; '-' reads stdin.")
    String jsonl;

    @Option(
        names = "--dataset",
        paramLabel = "DIR",
        description = "A features dataset (features.npz, classes.txt).")
    Path dataset;
  }

  /** The KIND words, for --help and completion. */
  static final class Kinds extends ArrayList<String> {
    Kinds() {
      for (SendKind k : SendKind.values()) {
        add(k.word());
      }
    }
  }

  /**
   * What was (or would be) sent.
   *
   * @param features images sent with their feature
   * @param imageFiles images sent as the bytes of a file
   * @param uris images sent as a URI
   */
  record Summary(
      String kind,
      String topic,
      String bootstrapServers,
      int sent,
      int features,
      int imageFiles,
      int uris,
      int announcements,
      long imageBytes,
      boolean dryRun) {}

  @Override
  public Integer call() throws Exception {
    SendKind kind = SendKind.of(kindWord);
    if (kind == null) {
      throw new UserException("KIND must be one of " + new Kinds() + ", not '" + kindWord + "'");
    }
    if (featureWidth != null && featureWidth < 1) {
      throw new UserException("--feature-width must be positive, got " + featureWidth);
    }
    List<SendEvent> events = read(kind);
    Topics topics = kafka.topics(names(kind));
    String target =
        kind == SendKind.LABELED
            ? topics.labeledImages().name()
            : kind == SendKind.UNLABELED
                ? topics.unlabeledImages().name()
                : topics.classAnnouncements().name();
    if (!dryRun) {
      KafkaErrors.explained(kafka, () -> send(events, topics, target));
    }
    print(summary(kind, target, events));
    return 0;
  }

  /** Reads and checks the whole input; fails with its first problem. */
  List<SendEvent> read(SendKind kind) throws IOException {
    SendInputs inputs =
        new SendInputs(kind, new SendInputs.Limits(featureWidth, maxRecordBytes, sourceName));
    List<SendEvent> events;
    if (source.dir != null) {
      events = inputs.fromDirectory(source.dir);
    } else if (source.dataset != null) {
      events = inputs.fromDataset(FeaturesDataset.read(source.dataset), source.dataset.toString());
    } else {
      String file = source.csv != null ? source.csv : source.jsonl;
      try (BufferedReader in = open(file)) {
        String name = file.equals("-") ? "stdin" : file;
        List<InputRows.Row> rows =
            source.csv != null
                ? InputRows.csv(in, name, kind.columns(), inputs.problems())
                : InputRows.jsonLines(in, name, kind.columns(), inputs.problems());
        Path base = file.equals("-") ? Path.of("") : parent(Path.of(file));
        events = inputs.fromRows(rows, base);
      }
    }
    inputs.problems().check();
    if (events.isEmpty()) {
      throw new UserException("the input holds nothing to send");
    }
    return events;
  }

  private static BufferedReader open(String file) throws IOException {
    if (file.equals("-")) {
      return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    }
    Path path = Path.of(file);
    if (!Files.isRegularFile(path)) {
      throw new UserException(
          "the input file " + file + (Files.exists(path) ? " is not a file" : " does not exist"));
    }
    return Files.newBufferedReader(path, StandardCharsets.UTF_8);
  }

  private static Path parent(Path file) {
    Path p = file.toAbsolutePath().getParent();
    return p == null ? Path.of("") : p;
  }

  private TopicNames names(SendKind kind) {
    TopicNames d = TopicNames.defaults();
    String target =
        kind == SendKind.LABELED
            ? d.labeledImages()
            : kind == SendKind.UNLABELED ? d.unlabeledImages() : d.classAnnouncements();
    return KafkaOptions.names(name -> topic != null && name.equals(target) ? topic : name);
  }

  /** Sends every event, then waits for every acknowledgement. */
  private Void send(List<SendEvent> events, Topics topics, String target)
      throws IOException, InterruptedException, ExecutionException {
    TopicSnapshot.requireTopics(kafka.clientConfig(), List.of(target), kafka.timeout());
    List<Future<RecordMetadata>> acks = new ArrayList<>(events.size());
    try (EventSender sender = new EventSender(kafka.clientConfig(), topics)) {
      for (SendEvent e : events) {
        acks.add(send(sender, e));
      }
      sender.flush();
      for (Future<RecordMetadata> ack : acks) {
        ack.get();
      }
    }
    return null;
  }

  private static Future<RecordMetadata> send(EventSender sender, SendEvent e) throws IOException {
    if (e instanceof SendEvent.Announcement a) {
      return sender.send(
          ClassAnnouncement.newBuilder()
              .setName(a.name())
              .setPrompt(a.prompt())
              .setPromptTemplate(a.template())
              .setAliases(a.aliases())
              .setTextFeature(boxed(a.feature()))
              .build());
    }
    SendEvent.Image i = (SendEvent.Image) e;
    ByteBuffer bytes;
    try {
      bytes = i.image() == null ? null : ByteBuffer.wrap(Files.readAllBytes(i.image()));
    } catch (IOException ex) {
      throw new UserException(
          "cannot read the image "
              + i.image()
              + " ("
              + ex.getMessage()
              + "); the images before "
              + "it were sent",
          ex);
    }
    if (i.label() == null) {
      return sender.send(
          ImageToScore.newBuilder()
              .setId(i.id())
              .setEventTime(Instant.now())
              .setImageBytes(bytes)
              .setImageUri(i.uri())
              .setFeature(boxed(i.feature()))
              .build());
    }
    return sender.send(
        LabeledImage.newBuilder()
            .setId(i.id())
            .setEventTime(Instant.now())
            .setLabel(i.label())
            .setImageBytes(bytes)
            .setImageUri(i.uri())
            .setFeature(boxed(i.feature()))
            .setSource(i.source())
            .build());
  }

  private static List<Float> boxed(float[] a) {
    if (a == null) {
      return null;
    }
    List<Float> out = new ArrayList<>(a.length);
    for (float x : a) {
      out.add(x);
    }
    return out;
  }

  private Summary summary(SendKind kind, String target, List<SendEvent> events) {
    int features = 0;
    int files = 0;
    int uris = 0;
    int announcements = 0;
    long bytes = 0;
    for (SendEvent e : events) {
      if (e instanceof SendEvent.Announcement) {
        announcements++;
      } else if (e instanceof SendEvent.Image i) {
        features += i.feature() != null ? 1 : 0;
        files += i.image() != null ? 1 : 0;
        uris += i.uri() != null ? 1 : 0;
        bytes += i.imageBytes();
      }
    }
    return new Summary(
        kind.word(),
        target,
        kafka.bootstrapServers(),
        dryRun ? 0 : events.size(),
        features,
        files,
        uris,
        announcements,
        bytes,
        dryRun);
  }

  private void print(Summary s) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.document(s));
    } else {
      int n = s.dryRun() ? s.features() + s.imageFiles() + s.uris() + s.announcements() : s.sent();
      String what =
          switch (s.kind()) {
            case "labeled" -> "labelled image";
            case "unlabeled" -> "unlabelled image";
            default -> "class announcement";
          };
      String detail =
          s.announcements() > 0
              ? ""
              : String.format(
                  Locale.ROOT,
                  ": %d feature%s, %d image file%s (%s), %d URI%s",
                  s.features(),
                  s.features() == 1 ? "" : "s",
                  s.imageFiles(),
                  s.imageFiles() == 1 ? "" : "s",
                  Text.bytes(s.imageBytes()),
                  s.uris(),
                  s.uris() == 1 ? "" : "s");
      out.printf(
          Locale.ROOT,
          "%s %d %s%s to %s at %s%s%n",
          s.dryRun() ? "would send" : "sent",
          n,
          what,
          n == 1 ? "" : "s",
          s.topic(),
          s.bootstrapServers(),
          detail);
    }
    out.flush();
  }
}
