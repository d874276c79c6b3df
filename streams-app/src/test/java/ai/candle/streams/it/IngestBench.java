package ai.candle.streams.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import ai.candle.kafka.EmbeddedKafkaBroker;

/**
 * Issue 3 item 7: valid labelled feature events per second through the ingest app, beside raw
 * produce and consume throughput of records of the same size, on one embedded KRaft broker in one run.
 *
 * <p>Raw: Kafka's own {@code kafka-producer-perf-test} / {@code kafka-consumer-perf-test} classes
 * ({@code org.apache.kafka.tools.ProducerPerformance} / {@code ConsumerPerformance}, artifact
 * kafka-tools) as child JVMs. Ingest: the events are produced first, then the app
 * ({@code ai.candle.streams.StreamsApp}, a child JVM, exactly_once_v2) takes them in; its rate is the
 * growth of its committed input offsets (committed with its outputs, in one transaction) from the
 * first commit to the last.
 *
 * <p>Run: {@code mvn -B -q -pl streams-app -am -Pingest-bench -DskipTests process-test-classes}
 * ({@code -Dbench.events=N} sets the event count, {@code -Dbench.app.args="--streams-config k=v ..."}
 * passes flags to the app).
 */
public final class IngestBench {

    private static final int CLASSES = 200;
    private static final int WIDTH = 512;
    private static final String APP_ID = "candle-ingest-bench";
    private static final String RAW_TOPIC = "bench.raw";

    private IngestBench() {
    }

    public static void main(String[] args) throws Exception {
        int events = Integer.getInteger("bench.events", 50_000);
        List<String> appArgs = splitArgs(System.getProperty("bench.app.args", ""));
        Path work = Files.createTempDirectory("ingest-bench-");
        IngestDataset data = IngestDataset.generate(5, events, CLASSES, 0, WIDTH);
        int recordSize = (int) Math.round(data.valid().stream().mapToInt(e -> e.value().length).average().orElse(0));
        System.out.printf("ingest bench: %d valid events, D = %d, %d classes, %d-byte values; %d cores, Java %s%n",
                events, WIDTH, CLASSES, recordSize, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().dataDir(work.resolve("kafka")).start()) {
            String bootstrap = kafka.bootstrapServers();
            kafka.createTopic(RAW_TOPIC, IngestRun.PARTITIONS, Map.of());
            Map<String, String> produced = producerPerf(bootstrap, events, recordSize, work);
            Map<String, String> consumed = consumerPerf(bootstrap, events, work);
            IngestFigures ingest = ingest(bootstrap, data, appArgs, work);
            report(events, recordSize, produced, consumed, ingest);
        } finally {
            deleteQuietly(work);
        }
    }

    record IngestFigures(double produceSeconds, double eventsPerSecond, double seconds, double wallSeconds) {
    }

    private static Map<String, String> producerPerf(String bootstrap, int events, int recordSize, Path work)
            throws Exception {
        List<String> args = List.of("--topic", RAW_TOPIC, "--num-records", String.valueOf(events),
                "--record-size", String.valueOf(recordSize), "--throughput", "-1",
                "--producer-props", "bootstrap.servers=" + bootstrap, "acks=all", "linger.ms=10", "batch.size=262144");
        String out = runTool("org.apache.kafka.tools.ProducerPerformance", args, work);
        String last = out.lines().filter(l -> l.contains("records sent")).reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException("no summary from ProducerPerformance:\n" + out));
        // "N records sent, R records/sec (M MB/sec), ..."
        Map<String, String> m = new LinkedHashMap<>();
        m.put("records/s", last.replaceAll(".*sent, ([0-9.]+) records/sec.*", "$1"));
        m.put("MB/s", last.replaceAll(".*\\(([0-9.]+) MB/sec\\).*", "$1"));
        m.put("line", last.trim());
        m.put("command", "ProducerPerformance " + String.join(" ", args));
        return m;
    }

    private static Map<String, String> consumerPerf(String bootstrap, int events, Path work) throws Exception {
        List<String> args = List.of("--bootstrap-server", bootstrap, "--topic", RAW_TOPIC,
                "--messages", String.valueOf(events), "--timeout", "60000");
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

    private static IngestFigures ingest(String bootstrap, IngestDataset data, List<String> appArgs, Path work)
            throws Exception {
        int events = data.valid().size();
        try (IngestRun run = new IngestRun(bootstrap)) {
            run.createTopics();
            long p0 = System.nanoTime();
            run.produceWithJava(data.valid());
            double produceSeconds = (System.nanoTime() - p0) / 1e9;
            long start = System.nanoTime();
            long firstAt = 0;
            long firstCount = 0;
            try (StreamsAppProcess app = StreamsAppProcess.start(bootstrap, work.resolve("state"), APP_ID,
                    work.resolve("app.log"), appArgs)) {
                long deadline = start + TimeUnit.MINUTES.toNanos(15);
                long done;
                while ((done = run.committedInput(APP_ID)) < events) {
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
                return new IngestFigures(produceSeconds, (events - firstCount) / seconds, seconds, (end - start) / 1e9);
            }
        }
    }

    private static void report(int events, int recordSize, Map<String, String> produced, Map<String, String> consumed,
                               IngestFigures ingest) {
        double produceRate = Double.parseDouble(produced.get("records/s"));
        double consumeRate = Double.parseDouble(consumed.getOrDefault("fetch.nMsg.sec", consumed.get("nMsg.sec")));
        double mb = recordSize / (1024.0 * 1024.0);
        System.out.println();
        System.out.println("| what | records/s | MB/s |");
        System.out.println("| --- | ---: | ---: |");
        System.out.printf("| raw produce (ProducerPerformance, acks=all) | %.0f | %s |%n", produceRate, produced.get("MB/s"));
        System.out.printf("| raw consume (ConsumerPerformance, fetch phase) | %.0f | %s |%n", consumeRate,
                consumed.getOrDefault("fetch.MB.sec", consumed.get("MB.sec")));
        System.out.printf("| ingest (StreamsApp, exactly_once_v2) | %.0f | %.1f |%n", ingest.eventsPerSecond(),
                ingest.eventsPerSecond() * mb);
        System.out.printf("%ningest / raw produce = %.1f%%, ingest / raw consume = %.1f%%%n",
                100 * ingest.eventsPerSecond() / produceRate, 100 * ingest.eventsPerSecond() / consumeRate);
        System.out.printf("ingest: %d events in %.1f s from first to last commit (%.1f s with app start); "
                + "input produced in %.1f s%n", events, ingest.seconds(), ingest.wallSeconds(), ingest.produceSeconds());
        System.out.println("producer: " + produced.get("line"));
        System.out.println("consumer: " + consumed);
    }

    /** Runs a Kafka tool's main class in its own JVM with this classpath; returns its stdout. */
    private static String runTool(String mainClass, List<String> args, Path work) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                mainClass));
        command.addAll(args);
        String name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
        Path out = work.resolve(name + ".out");
        Path err = work.resolve(name + ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(name + " ran over 10 min");
        }
        String stdout = Files.readString(out);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(name + " exited with " + p.exitValue() + ":\n" + stdout + Files.readString(err));
        }
        System.out.println(name + ":\n" + stdout.strip());
        return stdout;
    }

    private static List<String> splitArgs(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.out.println("could not delete " + dir + ": " + e);
        }
    }
}
