package ai.candle.streams.it;

import ai.candle.kafka.EmbeddedKafkaBroker;
import ai.candle.kafka.JvmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 3 item 7: valid labelled feature events per second through the ingest app, beside raw
 * produce and consume throughput of records of the same size, on one embedded KRaft broker in one
 * run.
 *
 * <p>Raw: Kafka's own {@code kafka-producer-perf-test} / {@code kafka-consumer-perf-test} classes
 * ({@code org.apache.kafka.tools.ProducerPerformance} / {@code ConsumerPerformance}, artifact
 * kafka-tools) as child JVMs. Ingest: the events are produced first, then the app ({@code
 * ai.candle.streams.StreamsApp}, a child JVM, exactly_once_v2) takes them in; its rate is the
 * growth of its committed input offsets (committed with its outputs, in one transaction) from the
 * first commit to the last.
 *
 * <p>Run: {@code mvn -B -q -pl streams-app -am -Pingest-bench -DskipTests process-test-classes}
 * ({@code -Dbench.events=N} sets the event count, {@code -Dbench.rounds=R} the rounds (median
 * reported), {@code -Dbench.app.args="--streams-config k=v ...;--streams-config ..."} runs the app
 * once per ';'-separated flag set, an empty set being its defaults).
 */
public final class IngestBench {

  private static final int CLASSES = 200;
  private static final int WIDTH = 512;
  private static final String APP_ID = "candle-ingest-bench";
  private static final String RAW_TOPIC = "bench.raw";
  private static final String WARMUP_TOPIC = "bench.warmup";

  private IngestBench() {}

  public static void main(String[] args) throws Exception {
    int events = Integer.getInteger("bench.events", 50_000);
    int rounds = Integer.getInteger("bench.rounds", 3);
    List<List<String>> variants = variants(System.getProperty("bench.app.args", ""));
    Path work = Files.createTempDirectory("ingest-bench-");
    IngestDataset data = IngestDataset.generate(5, events, CLASSES, 0, WIDTH);
    int recordSize =
        (int) Math.round(data.valid().stream().mapToInt(e -> e.value().length).average().orElse(0));
    System.out.printf(
        "ingest bench: %d valid events, D = %d, %d classes, %d-byte values, %d rounds, app flags %s; "
            + "%d cores, Java %s; load average at start: %s%n",
        events,
        WIDTH,
        CLASSES,
        recordSize,
        rounds,
        variants,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        loadAverage());
    List<Round> results = new ArrayList<>();
    try {
      for (int r = 1; r <= rounds; r++) {
        results.add(round(r, data, recordSize, variants, work.resolve("round-" + r)));
        System.out.println(results.get(results.size() - 1).row("round " + r));
      }
    } finally {
      deleteQuietly(work);
    }
    report(events, recordSize, variants, results);
    System.out.println("load average at end: " + loadAverage());
  }

  /**
   * One round on a fresh broker: raw produce, raw consume and ingest of the same number of records.
   * Even rounds run ingest first, odd rounds last, so a drifting machine load does not favour one
   * side.
   */
  private static Round round(
      int r, IngestDataset data, int recordSize, List<List<String>> variants, Path dir)
      throws Exception {
    int events = data.valid().size();
    try (EmbeddedKafkaBroker kafka =
        EmbeddedKafkaBroker.builder().dataDir(dir.resolve("kafka")).start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopic(RAW_TOPIC, IngestRun.PARTITIONS, Map.of());
      if (r == 1) {
        // A cold broker (JIT) would favour whichever phase runs later: warm it first.
        kafka.createTopic(WARMUP_TOPIC, IngestRun.PARTITIONS, Map.of());
        producerPerf(bootstrap, WARMUP_TOPIC, events, recordSize, dir);
      }
      boolean ingestFirst = r % 2 == 0;
      List<IngestFigures> ingest = new ArrayList<>();
      if (ingestFirst) {
        ingestAll(bootstrap, data, variants, dir, ingest);
      }
      Map<String, String> produced = producerPerf(bootstrap, RAW_TOPIC, events, recordSize, dir);
      Map<String, String> consumed = consumerPerf(bootstrap, events, dir);
      if (!ingestFirst) {
        ingestAll(bootstrap, data, variants, dir, ingest);
      }
      return new Round(
          Double.parseDouble(produced.get("records/s")),
          Double.parseDouble(produced.get("MB/s")),
          Double.parseDouble(consumed.get("fetch.nMsg.sec")),
          Double.parseDouble(consumed.get("fetch.MB.sec")),
          ingest,
          recordSize);
    } finally {
      deleteQuietly(dir);
    }
  }

  record IngestFigures(
      double produceSeconds, double eventsPerSecond, double seconds, double wallSeconds) {}

  record Round(
      double produceRate,
      double produceMBs,
      double consumeRate,
      double consumeMBs,
      List<IngestFigures> ingest,
      int recordSize) {
    String row(String name) {
      StringBuilder b =
          new StringBuilder(
              String.format(
                  "| %s | %.0f | %.1f | %.0f | %.1f |",
                  name, produceRate, produceMBs, consumeRate, consumeMBs));
      for (IngestFigures f : ingest) {
        b.append(
            String.format(
                " %.0f | %.1f | %.0f%% |",
                f.eventsPerSecond(),
                f.eventsPerSecond() * recordSize / (1024.0 * 1024.0),
                100 * f.eventsPerSecond() / produceRate));
      }
      return b.toString();
    }
  }

  /**
   * Each app configuration in turn, each with its own application id (so its own group and internal
   * topics).
   */
  private static void ingestAll(
      String bootstrap,
      IngestDataset data,
      List<List<String>> variants,
      Path dir,
      List<IngestFigures> out)
      throws Exception {
    for (int v = 0; v < variants.size(); v++) {
      out.add(
          ingest(
              bootstrap, data, APP_ID + "-" + v, variants.get(v), dir.resolve("app-" + v), v == 0));
    }
  }

  private static Map<String, String> producerPerf(
      String bootstrap, String topic, int events, int recordSize, Path work) throws Exception {
    List<String> args =
        List.of(
            "--topic",
            topic,
            "--num-records",
            String.valueOf(events),
            "--record-size",
            String.valueOf(recordSize),
            "--throughput",
            "-1",
            "--producer-props",
            "bootstrap.servers=" + bootstrap,
            "acks=all");
    String out = runTool("org.apache.kafka.tools.ProducerPerformance", args, work);
    String last =
        out.lines()
            .filter(l -> l.contains("records sent"))
            .reduce((a, b) -> b)
            .orElseThrow(
                () -> new IllegalStateException("no summary from ProducerPerformance:\n" + out));
    // "N records sent, R records/sec (M MB/sec), ..."
    Map<String, String> m = new LinkedHashMap<>();
    m.put("records/s", last.replaceAll(".*sent, ([0-9.]+) records/sec.*", "$1"));
    m.put("MB/s", last.replaceAll(".*\\(([0-9.]+) MB/sec\\).*", "$1"));
    m.put("line", last.trim());
    m.put("command", "ProducerPerformance " + String.join(" ", args));
    return m;
  }

  private static Map<String, String> consumerPerf(String bootstrap, int events, Path work)
      throws Exception {
    List<String> args =
        List.of(
            "--bootstrap-server",
            bootstrap,
            "--topic",
            RAW_TOPIC,
            "--messages",
            String.valueOf(events),
            "--timeout",
            "60000");
    String out = runTool("org.apache.kafka.tools.ConsumerPerformance", args, work);
    List<String> lines = out.lines().filter(l -> l.contains(",")).toList();
    if (lines.size() < 2) {
      throw new IllegalStateException("no summary from ConsumerPerformance:\n" + out);
    }
    String[] header = lines.get(lines.size() - 2).split(",\\s*");
    String[] values = lines.get(lines.size() - 1).split(",\\s*");
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < Math.min(header.length, values.length); i++) {
      m.put(header[i].trim(), values[i].trim());
    }
    m.put("command", "ConsumerPerformance " + String.join(" ", args));
    return m;
  }

  private static IngestFigures ingest(
      String bootstrap,
      IngestDataset data,
      String appId,
      List<String> appArgs,
      Path work,
      boolean produceInput)
      throws Exception {
    int events = data.valid().size();
    try (IngestRun run = new IngestRun(bootstrap)) {
      long p0 = System.nanoTime();
      if (produceInput) { // every variant reads the same input topic from the start
        run.createTopics();
        run.produceWithJava(data.valid());
      }
      double produceSeconds = (System.nanoTime() - p0) / 1e9;
      long start = System.nanoTime();
      long firstAt = 0;
      long firstCount = 0;
      try (JvmProcess app =
          StreamsAppProcess.start(
              bootstrap, work.resolve("state"), appId, work.resolve("app.log"), appArgs)) {
        long deadline = start + TimeUnit.MINUTES.toNanos(15);
        long done;
        while ((done = run.committedInput(appId)) < events) {
          app.assertAlive("during the benchmark");
          if (done > 0 && firstAt == 0) {
            firstAt = System.nanoTime();
            firstCount = done;
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("ingest took over 15 min; " + done + " of " + events);
          }
          Thread.sleep(50);
        }
        long end = System.nanoTime();
        if (firstAt == 0) {
          firstAt = start;
        }
        double seconds = (end - firstAt) / 1e9;
        return new IngestFigures(
            produceSeconds, (events - firstCount) / seconds, seconds, (end - start) / 1e9);
      }
    }
  }

  private static void report(
      int events, int recordSize, List<List<String>> variants, List<Round> rounds) {
    System.out.println();
    StringBuilder head =
        new StringBuilder("| run | raw produce rec/s | MB/s | raw consume rec/s | MB/s |");
    StringBuilder line = new StringBuilder("| --- | ---: | ---: | ---: | ---: |");
    for (List<String> v : variants) {
      String name = v.isEmpty() ? "defaults" : String.join(" ", v);
      head.append(" ingest (").append(name).append(") events/s | MB/s | ingest / raw produce |");
      line.append(" ---: | ---: | ---: |");
    }
    System.out.println(head);
    System.out.println(line);
    for (int i = 0; i < rounds.size(); i++) {
      System.out.println(rounds.get(i).row("round " + (i + 1)));
    }
    List<IngestFigures> medians = new ArrayList<>();
    for (int v = 0; v < variants.size(); v++) {
      int index = v;
      medians.add(
          new IngestFigures(0, median(rounds, x -> x.ingest().get(index).eventsPerSecond()), 0, 0));
    }
    Round median =
        new Round(
            median(rounds, Round::produceRate),
            median(rounds, Round::produceMBs),
            median(rounds, Round::consumeRate),
            median(rounds, Round::consumeMBs),
            medians,
            recordSize);
    System.out.println(median.row("**median**"));
    System.out.printf(
        "%n%d events of %d bytes per run; ingest timed from the app's first commit to its last "
            + "(app start excluded)%n",
        events, recordSize);
  }

  private static double median(List<Round> rounds, java.util.function.ToDoubleFunction<Round> f) {
    double[] v = rounds.stream().mapToDouble(f).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** Runs a Kafka tool's main class in its own JVM with this classpath; returns its stdout. */
  private static String runTool(String mainClass, List<String> args, Path work)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                mainClass));
    command.addAll(args);
    String name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
    Path out = work.resolve(name + ".out");
    Path err = work.resolve(name + ".err");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException(name + " ran over 10 min");
    }
    String stdout = Files.readString(out);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          name + " exited with " + p.exitValue() + ":\n" + stdout + Files.readString(err));
    }
    System.out.println(
        name + " " + String.join(" ", args) + "\n  " + stdout.strip().replace("\n", "\n  "));
    return stdout;
  }

  /** The 1, 5 and 15 minute load averages (Linux), to tell a busy machine from a quiet one. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** App flag sets separated by ';' (an empty set: the app's defaults). */
  private static List<List<String>> variants(String s) {
    List<List<String>> out = new ArrayList<>();
    for (String v : s.split(";", -1)) {
      out.add(v.isBlank() ? List.of() : Arrays.asList(v.trim().split("\\s+")));
    }
    return out;
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.out.println("could not delete " + dir + ": " + e);
    }
  }
}
