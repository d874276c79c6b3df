package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.cli.demo.DemoServices;
import ai.candle.cli.demo.TopicFollower;
import ai.candle.core.CandleModel;
import ai.candle.core.FastScorer;
import ai.candle.schemas.ModelVersion;
import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.Topic;
import ai.candle.schemas.WireFormat;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The operator commands ({@code send}, {@code tail predictions}, {@code models}, {@code
 * dead-letters}) against a real deployment: the embedded KRaft broker, the streams app and the
 * trainer as child JVMs ({@link DemoServices}), the scorer dead-lettering images that arrive before
 * any model version ({@code --scoring-no-model dead-letter}), so that replay has something to send
 * back. One session, in order, as an operator would run it; no labelled image is sent until the
 * end, so the trainer publishes only the versions that announcements make (INITIAL and EXTEND) and
 * no fit changes the model under the rollback.
 */
class OpsCommandsTest {
  static final int WIDTH = 16;
  static final List<String> FIRST_CLASSES = List.of("ant", "bee", "cow");
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;

  /** The deployment of the running session test. */
  static DemoServices services;

  /** How the commands reach it: the broker, and in the registry wire format the registry. */
  static List<String> connect = List.of();

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void anOperatorSendsTailsRollsBackAndReplays(WireFormat format) throws Exception {
    DemoServices.quietBrokerLogs();
    try (DemoServices started =
        DemoServices.start(
            new DemoServices.Settings(
                    dir.resolve("run-" + format), WIDTH, "synthetic", 2, 50, 0, 0, format)
                .withStreamsArgs("--scoring-no-model", "dead-letter"))) {
      services = started;
      List<String> args =
          new ArrayList<>(List.of("--bootstrap-servers", started.bootstrapServers()));
      if (format == WireFormat.REGISTRY) {
        args.addAll(
            List.of(
                "--serde",
                "registry",
                "--registry-url",
                started.serde().registryUrl().orElseThrow().toString()));
      }
      connect = List.copyOf(args);
      session(started.bootstrapServers(), format.name().toLowerCase(Locale.ROOT) + "-");
    } finally {
      services = null;
      connect = List.of();
    }
  }

  /** The session; {@code prefix} starts every file name. */
  private static void session(String bs, String prefix) throws Exception {

    // 1. images before any model: the scorer dead-letters them as no_model
    Path early = csv(prefix + "early.csv", "id,feature", images("early-", 4, 0));
    CliRun sent = op("send", "unlabeled", "--csv", early.toString());
    assertEquals(
        "sent 4 unlabelled images to candle.images.unlabeled at "
            + bs
            + ": 4 features, 0 image files (0 B), 0 URIs",
        sent.out().strip());
    await(
        "4 no_model dead letters",
        () -> deadLetters().path("by_reason").path("no_model").asInt() == 4);
    JsonNode letters = deadLetters();
    assertEquals(4, letters.path("total").asInt(), letters.toPrettyString());
    CliRun listed = op("dead-letters", "list");
    assertTrue(
        listed.out().contains("4 dead letters: no_model 4; 4 of those shown replayable"),
        listed.out());

    // 2. three classes announced (with their text features): the trainer publishes a version of
    // them
    Path classes =
        csv(
            prefix + "classes.csv",
            "name,feature",
            List.of(
                "ant," + feature(axis(0)), "bee," + feature(axis(1)), "cow," + feature(axis(2))));
    CliRun announced = op("send", "classes", "--csv", classes.toString(), "--json");
    assertEquals(3, JSON.readTree(announced.out()).path("announcements").asInt(), announced.out());
    await("a version of 3 classes serves", () -> newestWith(3) >= 0 && serving() >= newestWith(3));
    long threeClassVersion = newestWith(3);

    // 3. send -> tail: each image sent yields exactly one prediction, by the serving version
    List<String> ids = List.of("img-0", "img-1", "img-2", "img-3", "img-4", "img-5");
    Path later = csv(prefix + "later.csv", "id,feature", images("img-", ids.size(), 0));
    Tail tail =
        Tail.start(
            "tail",
            "predictions",
            "--json",
            "--timeout",
            "30",
            "--max",
            Integer.toString(ids.size() + 4));
    op("send", "unlabeled", "--csv", later.toString());
    List<JsonNode> predictions = tail.untilIds(ids);
    Map<String, Long> perId =
        predictions.stream()
            .collect(
                Collectors.groupingBy(
                    p -> p.path("image_id").asText(), TreeMap::new, Collectors.counting()));
    assertEquals(
        ids.stream().collect(Collectors.toMap(i -> i, i -> 1L, (a, b) -> a, TreeMap::new)),
        perId,
        "one prediction per image sent, none of the dead-lettered ones, no duplicate");
    for (JsonNode p : predictions) {
      assertEquals(threeClassVersion, p.path("model_version").asLong(), p.toString());
      assertEquals(false, p.path("prequential").asBoolean());
      // image i%3 lies on class i%3's axis: it is the best class
      int i = Integer.parseInt(p.path("image_id").asText().substring(4));
      assertEquals(
          FIRST_CLASSES.get(i % 3),
          p.path("top_k").get(0).path("class_name").asText(),
          p.toString());
    }

    // 4. dead-letters replay: the no_model originals go back and are scored now, once each
    Tail replayTail = Tail.start("tail", "predictions", "--json", "--timeout", "30", "--max", "8");
    CliRun replay = op("dead-letters", "replay", "--reason", "no_model");
    assertTrue(replay.out().contains("replayed 4 dead letters (reason no_model)"), replay.out());
    List<String> earlyIds = List.of("early-0", "early-1", "early-2", "early-3");
    List<JsonNode> replayed = replayTail.untilIds(earlyIds);
    assertEquals(
        earlyIds,
        replayed.stream().map(p -> p.path("image_id").asText()).sorted().toList(),
        "each replayed image scored exactly once");

    // 4b. the text output of tail: a fresh read from the beginning shows the same predictions
    CliRun text = op("tail", "predictions", "--from-beginning", "--max", "10", "--timeout", "20");
    assertEquals(10, text.out().lines().count(), text.out());
    assertTrue(
        text.out()
            .lines()
            .allMatch(l -> l.matches("\\S+Z  (img|early)-\\d  v\\d+  (ant|bee|cow) -?\\d.*")),
        text.out());

    // 5. a fourth class: the trainer extends the model
    Path more = csv(prefix + "more.csv", "name,feature", List.of("doe," + feature(axis(3))));
    op("send", "classes", "--csv", more.toString());
    await("a version of 4 classes serves", () -> newestWith(4) >= 0 && serving() >= newestWith(4));
    long newestBefore = newest();

    // 6. rollback: version threeClassVersion is republished as newestBefore + 1 and serves
    CliRun rolled = op("models", "rollback", Long.toString(threeClassVersion), "--json");
    JsonNode outcome = JSON.readTree(rolled.out());
    long rollbackVersion = outcome.path("new_version").asLong();
    assertEquals(newestBefore + 1, rollbackVersion, rolled.out());
    assertEquals(3, outcome.path("classes").asInt());
    await("the rollback serves", () -> serving() == rollbackVersion);
    JsonNode list = JSON.readTree(op("models", "list", "--json").out());
    JsonNode last = list.path("versions").get(list.path("versions").size() - 1);
    assertEquals(rollbackVersion, last.path("version").asLong());
    assertEquals(3, last.path("classes").asInt());
    JsonNode shown = JSON.readTree(op("models", "show", "latest", "--json").out());
    assertEquals(
        Long.toString(threeClassVersion),
        shown.path("hyper_parameters").path("rollback.from").asText());
    assertTrue(shown.path("checksum_matches").asBoolean());
    CliRun listText = op("models", "list");
    assertTrue(listText.out().lines().count() >= 4, listText.out());

    //    the scorers serve the old parameters under the new number: the same scores as the old
    // model
    Map<Long, ModelVersion> versions = modelVersions(bs);
    ModelVersion old = versions.get(threeClassVersion);
    ModelVersion copy = versions.get(rollbackVersion);
    assertEquals(old.getChecksum(), copy.getChecksum());
    assertEquals(old.getParameters(), copy.getParameters());
    Tail afterRollback =
        Tail.start("tail", "predictions", "--json", "--timeout", "30", "--max", "3");
    Path probe = csv(prefix + "probe.csv", "id,feature", images("probe-", 3, 3));
    op("send", "unlabeled", "--csv", probe.toString());
    List<JsonNode> probed = afterRollback.untilIds(List.of("probe-0", "probe-1", "probe-2"));
    CandleModel oldModel = ModelVersions.fromRecord(old, WIDTH);
    try (FastScorer scorer = FastScorer.prepare(oldModel)) {
      for (JsonNode p : probed) {
        assertEquals(rollbackVersion, p.path("model_version").asLong(), p.toString());
        Set<String> named = new java.util.HashSet<>();
        p.path("top_k").forEach(s -> named.add(s.path("class_name").asText()));
        assertEquals(
            Set.copyOf(FIRST_CLASSES),
            named,
            "the rolled-back model knows 3 classes, not doe: " + p);
        int i = Integer.parseInt(p.path("image_id").asText().substring(6));
        float[] scores = scorer.score(image(i, 3));
        float[] got = new float[3];
        float[] want = new float[3];
        for (int k = 0; k < 3; k++) {
          JsonNode s = p.path("top_k").get(k);
          got[k] = (float) s.path("score").asDouble();
          want[k] = scores[oldModel.classNames().indexOf(s.path("class_name").asText())];
        }
        assertArrayEquals(want, got, 1e-4f, "scores of the old parameters: " + p);
      }
    }

    // 6b. the trainer's next version comes after the rollback's number, so the scorers serve it
    Path fifth = csv(prefix + "fifth.csv", "name,feature", List.of("elk," + feature(axis(4))));
    op("send", "classes", "--csv", fifth.toString());
    await("a version of 5 classes serves", () -> newestWith(5) >= 0 && serving() >= newestWith(5));
    assertEquals(
        rollbackVersion + 1, newestWith(5), "the trainer continued after the rollback's number");

    // 7. pin: checks the version and prints the scorer setting
    CliRun pin = op("models", "pin", Long.toString(rollbackVersion));
    assertTrue(pin.out().contains("scoring.model.pin=" + rollbackVersion), pin.out());
    assertTrue(pin.out().contains("CANDLE_SCORING_MODEL_PIN=" + rollbackVersion), pin.out());
    CliRun noSuch = CliRun.of(with("models", "pin", "999"));
    assertEquals(2, noSuch.exitCode(), noSuch.err());
    assertTrue(noSuch.err().contains("no version 999"), noSuch.err());

    // 8. labelled images: tail --prequential shows them with their label, judged
    Path labeled =
        csv(
            prefix + "labeled.csv",
            "id,label,feature",
            List.of(
                "lab-0,ant," + feature(image(0, 0)),
                "lab-1,bee," + feature(image(1, 0)),
                "lab-2,ant," + feature(image(2, 0))));
    Tail preq =
        Tail.start(
            "tail", "predictions", "--json", "--prequential", "--timeout", "30", "--max", "3");
    CliRun sentLabeled = op("send", "labeled", "--csv", labeled.toString(), "--json");
    assertEquals(3, JSON.readTree(sentLabeled.out()).path("sent").asInt());
    for (JsonNode p : preq.untilIds(List.of("lab-0", "lab-1", "lab-2"))) {
      assertTrue(p.path("prequential").asBoolean(), p.toString());
      boolean right =
          p.path("top_k").get(0).path("class_name").asText().equals(p.path("true_label").asText());
      assertEquals(right, p.path("correct").asBoolean(), p.toString());
      assertEquals(
          p.path("image_id").asText().equals("lab-2")
              ? "ant"
              : p.path("image_id").asText().equals("lab-0") ? "ant" : "bee",
          p.path("true_label").asText());
    }
    services.assertAlive("after the session");
  }

  /**
   * The models' history outlives compaction: candle.models compacts aggressively here (segment.ms
   * 100, min.cleanable.dirty.ratio 0.01, min.compaction.lag.ms 0, the cleaner's backoff 500 ms), so
   * the log cleaner removes the first version once two newer ones follow; {@code models list},
   * {@code show} and {@code rollback} still find it on candle.models.history, and the rollback
   * republishes it on candle.models as the newest, which the scorer then serves.
   */
  @Test
  void aVersionCompactionRemovedIsListedShownAndRolledBackToFromTheHistory() throws Exception {
    DemoServices.quietBrokerLogs();
    try (DemoServices started =
        DemoServices.start(
            new DemoServices.Settings(dir.resolve("history"), WIDTH, "synthetic", 2, 50, 0, 0)
                // small chunks: every version is chunked, on both topics
                .withTrainerArgs("--model-chunk-bytes", "1024"))) {
      services = started;
      connect = List.of("--bootstrap-servers", started.bootstrapServers());
      String models = started.topics().models().name();
      compactAggressively(started.bootstrapServers(), models);

      // three versions, one after the other: 3 classes (the one to lose), then 4, then 5
      op(
          "send",
          "classes",
          "--csv",
          csv(
                  "h-classes.csv",
                  "name,feature",
                  List.of(
                      "ant," + feature(axis(0)),
                      "bee," + feature(axis(1)),
                      "cow," + feature(axis(2))))
              .toString());
      await(
          "a version of 3 classes serves", () -> newestWith(3) >= 0 && serving() >= newestWith(3));
      long lost = newestWith(3);
      Thread.sleep(300);
      op(
          "send",
          "classes",
          "--csv",
          csv("h-doe.csv", "name,feature", List.of("doe," + feature(axis(3)))).toString());
      await(
          "a version of 4 classes serves", () -> newestWith(4) >= 0 && serving() >= newestWith(4));
      Thread.sleep(300);
      op(
          "send",
          "classes",
          "--csv",
          csv("h-elk.csv", "name,feature", List.of("elk," + feature(axis(4)))).toString());
      await(
          "a version of 5 classes serves", () -> newestWith(5) >= 0 && serving() >= newestWith(5));
      long newestBefore = newest();

      // the log cleaner removes version `lost` from candle.models
      await(
          "the log cleaner removed version " + lost + " from " + models,
          () -> !versionsOn(models).contains(lost));
      List<Long> onModels = versionsOn(models);
      List<Long> inHistory = versionsOn(null);
      System.out.printf(
          "[models-history] after compaction: %s holds %s, the history %s%n",
          models, onModels, inHistory);
      assertTrue(
          inHistory.contains(lost) && inHistory.containsAll(onModels),
          inHistory + " vs " + onModels);

      // list and show read the history by default
      JsonNode shown = JSON.readTree(op("models", "show", Long.toString(lost), "--json").out());
      assertEquals(lost, shown.path("version").path("version").asLong(), shown.toString());
      assertTrue(shown.path("checksum_matches").asBoolean());
      assertEquals(3, shown.path("classes").size());
      CliRun onTheModelsTopic =
          CliRun.of(with("models", "show", Long.toString(lost), "--topic", models));
      assertEquals(2, onTheModelsTopic.exitCode(), onTheModelsTopic.err());
      CliRun pin = CliRun.of(with("models", "pin", Long.toString(lost)));
      assertEquals(2, pin.exitCode(), pin.err());
      assertTrue(pin.err().contains("no longer on " + models), pin.err());

      // rollback: republished on candle.models (and the history) as the newest; the scorer serves
      // it
      JsonNode outcome =
          JSON.readTree(op("models", "rollback", Long.toString(lost), "--json").out());
      long rolled = outcome.path("new_version").asLong();
      assertEquals(newestBefore + 1, rolled, outcome.toString());
      assertEquals(3, outcome.path("classes").asInt());
      await("the rollback serves", () -> serving() == rolled);
      assertTrue(versionsOn(models).contains(rolled));
      assertEquals(rolled, newest(), "the history holds the rollback too");
      System.out.printf(
          "[models-history] rolled back to version %d as version %d; the scorer serves %d%n",
          lost, rolled, serving());
      Tail tail = Tail.start("tail", "predictions", "--json", "--timeout", "30", "--max", "3");
      op(
          "send",
          "unlabeled",
          "--csv",
          csv("h-probe.csv", "id,feature", images("hp-", 3, 0)).toString());
      for (JsonNode p : tail.untilIds(List.of("hp-0", "hp-1", "hp-2"))) {
        assertEquals(rolled, p.path("model_version").asLong(), p.toString());
        Set<String> named = new java.util.HashSet<>();
        p.path("top_k").forEach(k -> named.add(k.path("class_name").asText()));
        assertEquals(
            Set.copyOf(FIRST_CLASSES), named, "the rolled-back version knows 3 classes: " + p);
      }
      assertTrue(
          ok(with("models", "pin", Long.toString(rolled)))
              .out()
              .contains("scoring.model.pin=" + rolled));
      services.assertAlive("after the rollback");
    } finally {
      services = null;
      connect = List.of();
    }
  }

  /**
   * Makes the log cleaner compact the topic within seconds (a dynamic broker default and topic
   * configs).
   */
  static void compactAggressively(String bootstrap, String topic) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      try {
        admin
            .incrementalAlterConfigs(
                Map.of(
                    new ConfigResource(ConfigResource.Type.BROKER, ""),
                    List.of(set("log.cleaner.backoff.ms", "500"))))
            .all()
            .get(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        System.out.println(
            "[models-history] the cleaner's backoff stays at its default (15 s): " + e.getCause());
      }
      admin
          .incrementalAlterConfigs(
              Map.of(
                  new ConfigResource(ConfigResource.Type.TOPIC, topic),
                  List.of(
                      set("segment.ms", "100"),
                      set("min.cleanable.dirty.ratio", "0.01"),
                      set("min.compaction.lag.ms", "0"),
                      set("delete.retention.ms", "0"))))
          .all()
          .get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  static AlterConfigOp set(String key, String value) {
    return new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET);
  }

  /** The versions {@code models list} reads on a topic (null: its default, the history). */
  static List<Long> versionsOn(String topic) {
    try {
      List<String> args = new ArrayList<>(List.of("models", "list", "--json"));
      if (topic != null) {
        args.addAll(List.of("--topic", topic));
      }
      List<Long> out = new ArrayList<>();
      JSON.readTree(op(args.toArray(String[]::new)).out())
          .path("versions")
          .forEach(v -> out.add(v.path("version").asLong()));
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void sendChecksItsWholeInputFirstAndSendsNothingOnAMistake() throws Exception {
    Path bad = csv("bad.csv", "id,feature", List.of("a,1 2 3", "b,1 2", "c,1 x 3"));
    CliRun run =
        CliRun.of(
            "send", "unlabeled", "--csv", bad.toString(), "--bootstrap-servers", "localhost:1");
    assertEquals(2, run.exitCode(), run.err());
    assertEquals(
        List.of(
            "candle send: "
                + bad
                + ":3: the feature has 2 values, expected 3 like the first one of the input "
                + "(and 1 more problem); nothing was sent"),
        run.errLines());
    CliRun dry =
        CliRun.of(
            "send",
            "classes",
            "--csv",
            csv("c.csv", "name,aliases", List.of("owl,strix|hoot")).toString(),
            "--dry-run",
            "--bootstrap-servers",
            "localhost:1");
    assertEquals(0, dry.exitCode(), dry.err());
    assertEquals(
        "would send 1 class announcement to candle.classes.announcements at localhost:1",
        dry.out().strip());
  }

  @Test
  void sendReadsImageFilesFromADirectoryAndRowsFromStdin() throws Exception {
    Path images = dir.resolve("images");
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13};
    byte[] jpeg = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 16};
    Files.createDirectories(images.resolve("cat"));
    Files.createDirectories(images.resolve("dog"));
    Files.write(images.resolve("cat/a.png"), png);
    Files.write(images.resolve("cat/b.jpg"), jpeg);
    Files.write(images.resolve("dog/c.png"), png);
    Files.write(images.resolve("dog/.hidden.txt"), new byte[] {1});
    CliRun labeled =
        CliRun.of(
            "send",
            "labeled",
            "--dir",
            images.toString(),
            "--dry-run",
            "--json",
            "--bootstrap-servers",
            "localhost:1");
    assertEquals(0, labeled.exitCode(), labeled.err());
    JsonNode summary = JSON.readTree(labeled.out());
    assertEquals(3, summary.path("image_files").asInt(), labeled.out());
    assertEquals(png.length * 2 + jpeg.length, summary.path("image_bytes").asInt(), labeled.out());
    assertEquals("candle.images.labeled", summary.path("topic").asText());
    CliRun classes =
        CliRun.of(
            "send",
            "classes",
            "--dir",
            images.toString(),
            "--dry-run",
            "--bootstrap-servers",
            "localhost:1");
    assertEquals(
        "would send 2 class announcements to candle.classes.announcements at localhost:1",
        classes.out().strip(),
        "one per folder");
    Files.write(images.resolve("dog/notes.txt"), new byte[] {1});
    CliRun notImage = CliRun.of("send", "unlabeled", "--dir", images.toString(), "--dry-run");
    assertEquals(2, notImage.exitCode(), notImage.out());
    assertTrue(notImage.err().contains("notes.txt: is not an image file"), notImage.err());

    java.io.InputStream stdin = System.in;
    try {
      System.setIn(
          new java.io.ByteArrayInputStream(
              ("{\"id\": \"s-1\", \"feature\": [1, 0, 0]}\n"
                      + "{\"id\": \"s-2\", \"uri\": \"https://example.org/x.png\"}\n")
                  .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      CliRun piped =
          CliRun.of(
              "send",
              "unlabeled",
              "--jsonl",
              "-",
              "--dry-run",
              "--bootstrap-servers",
              "localhost:1");
      assertEquals(0, piped.exitCode(), piped.err());
      assertEquals(
          "would send 2 unlabelled images to candle.images.unlabeled at localhost:1: 1 feature, "
              + "0 image files (0 B), 1 URI",
          piped.out().strip());
    } finally {
      System.setIn(stdin);
    }
  }

  @Test
  void everyOperatorCommandsHelpListsAndExplainsEachOption() {
    List<List<String>> commands =
        List.of(
            List.of("send"),
            List.of("tail", "predictions"),
            List.of("models", "list"),
            List.of("models", "show"),
            List.of("models", "rollback"),
            List.of("models", "pin"),
            List.of("dead-letters", "list"),
            List.of("dead-letters", "replay"));
    for (List<String> command : commands) {
      List<String> args = new ArrayList<>(command);
      args.add("--help");
      CliRun run = CliRun.of(args.toArray(String[]::new));
      assertEquals(0, run.exitCode(), command + ": " + run.err());
      assertTrue(run.err().isBlank(), command + " --help warns: " + run.err());
      picocli.CommandLine target = Main.commandLine();
      for (String c : command) {
        target = target.getSubcommands().get(c);
      }
      for (picocli.CommandLine.Model.OptionSpec o : target.getCommandSpec().options()) {
        assertTrue(
            run.out().contains(o.longestName()), command + ": " + o.longestName() + " missing");
        assertTrue(
            !String.join(" ", o.description()).isBlank(),
            command + ": " + o.longestName() + " undescribed");
      }
    }
  }

  // ---- helpers

  /** The command with the session's connection arguments. */
  static String[] with(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(connect);
    return all.toArray(String[]::new);
  }

  /** A command of the session, which must succeed. */
  static CliRun op(String... args) {
    return ok(with(args));
  }

  static CliRun ok(String... args) {
    CliRun run = CliRun.of(args);
    assertEquals(0, run.exitCode(), String.join(" ", args) + ": " + run.err());
    return run;
  }

  static float[] axis(int j) {
    float[] f = new float[WIDTH];
    f[j] = 1;
    return f;
  }

  /** Image i: on class (i + shift) % 3's axis, with a little of the next axes. */
  static float[] image(int i, int shift) {
    float[] f = axis((i + shift) % 3);
    f[4 + i % 8] = 0.2f;
    f[(i + shift + 1) % 3] = 0.1f * (i % 4);
    return f;
  }

  static String feature(float[] f) {
    List<String> parts = new ArrayList<>();
    for (float x : f) {
      parts.add(Float.toString(x));
    }
    return String.join(" ", parts);
  }

  static List<String> images(String prefix, int n, int shift) {
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(prefix + i + "," + feature(image(i, shift)));
    }
    return rows;
  }

  static Path csv(String name, String header, List<String> rows) throws Exception {
    Path p = dir.resolve(name);
    List<String> lines = new ArrayList<>(List.of(header));
    lines.addAll(rows);
    Files.write(p, lines);
    return p;
  }

  static JsonNode deadLetters() {
    try {
      return JSON.readTree(op("dead-letters", "list", "--json").out());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode models() throws Exception {
    return JSON.readTree(op("models", "list", "--json").out()).path("versions");
  }

  /** The newest version with this many classes, -1 if none. */
  static long newestWith(int classes) {
    try {
      long best = -1;
      for (JsonNode v : models()) {
        if (v.path("classes").asInt() == classes) {
          best = Math.max(best, v.path("version").asLong());
        }
      }
      return best;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static long newest() throws Exception {
    long best = -1;
    for (JsonNode v : models()) {
      best = Math.max(best, v.path("version").asLong());
    }
    return best;
  }

  /** The streams app's candle_model_version gauge; -1 when none serves. */
  static long serving() {
    try {
      String body =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              services.streamsMetrics().toString().replace("0.0.0.0", "127.0.0.1")))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      Matcher m =
          Pattern.compile("(?m)^candle_model_version(?:\\{[^}]*\\})? (\\S+)$").matcher(body);
      if (!m.find()) {
        return -1;
      }
      double v = Double.parseDouble(m.group(1));
      return Double.isNaN(v) ? -1 : (long) v;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every version on the models topic, decoded with the services' serde. */
  static Map<Long, ModelVersion> modelVersions(String bs) throws Exception {
    Topic<String, ModelVersion> topic = services.topics().models();
    Map<Long, ModelVersion> out = new ConcurrentHashMap<>();
    try (TopicFollower f =
        new TopicFollower(
            bs,
            List.of(topic.name()),
            "test-models",
            (r, at) -> {
              ModelVersion v =
                  topic.valueSerde().deserializer().deserialize(topic.name(), r.value());
              out.put(v.getVersion(), v);
            })) {
      await("the models topic read", () -> out.size() >= 3);
      Thread.sleep(1000);
    }
    return new HashMap<>(out);
  }

  static void awaitQuietly(String what, BooleanSupplier done) throws InterruptedException {
    await(what, done);
  }

  static void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!done.getAsBoolean()) {
      if (services != null) {
        services.assertAlive("waiting for " + what);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(300);
    }
  }

  /** {@code candle tail predictions --json} running in the background, started once it follows. */
  record Tail(CompletableFuture<Integer> exit, StringWriter out, StringWriter err) {
    static Tail start(String... args) throws InterruptedException {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      var cmd = Main.commandLine();
      cmd.setOut(new PrintWriter(out, true));
      cmd.setErr(new PrintWriter(err, true));
      String[] all = with(args);
      CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cmd.execute(all));
      Tail t = new Tail(exit, out, err);
      awaitQuietly("tail to follow", () -> err.toString().contains("following") || exit.isDone());
      return t;
    }

    /**
     * The predictions printed, once every id has one, or the tail ended (waits a moment for
     * duplicates).
     */
    List<JsonNode> untilIds(List<String> ids) throws Exception {
      await(
          "predictions of " + ids,
          () ->
              exit.isDone()
                  || ids.stream()
                      .allMatch(id -> out.toString().contains("\"image_id\":\"" + id + "\"")));
      Thread.sleep(1500);
      List<JsonNode> lines = new ArrayList<>();
      for (String l : out.toString().lines().toList()) {
        lines.add(JSON.readTree(l));
      }
      assertNotEquals(null, lines);
      assertTrue(
          ids.stream()
              .allMatch(id -> lines.stream().anyMatch(p -> p.path("image_id").asText().equals(id))),
          String.format(
              Locale.ROOT, "predictions of %s; tail printed %s, stderr %s", ids, out, err));
      return lines;
    }
  }
}
