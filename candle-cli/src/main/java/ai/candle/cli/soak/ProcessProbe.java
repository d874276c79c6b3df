package ai.candle.cli.soak;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Reads a process's resources on Linux: RSS and threads from {@code /proc/<pid>/status}, open files
 * from {@code /proc/<pid>/fd}, CPU time from {@code /proc/<pid>/stat}, and the JVM's heap and
 * non-heap from the service's Prometheus endpoint ({@code jvm_memory_used_bytes}, {@code
 * jvm_memory_committed_bytes}) or, for this JVM, from its memory MXBean. One HTTP client serves
 * every scrape, so measuring adds no threads as the soak goes on.
 */
public final class ProcessProbe {
  /** Clock ticks per second of {@code /proc/<pid>/stat} (USER_HZ, 100 on Linux). */
  static final double CLOCK_TICKS = 100.0;

  private static final double MIB = 1024.0 * 1024.0;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A child service, its JVM memory scraped from its endpoint. */
  ProcessSample service(String name, long pid, URI metrics)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(name + "'s " + metrics + " answered HTTP " + response.statusCode());
    }
    String text = response.body();
    return new ProcessSample(
        name,
        pid,
        sum(text, "jvm_memory_used_bytes", "heap") / MIB,
        sum(text, "jvm_memory_committed_bytes", "heap") / MIB,
        sum(text, "jvm_memory_used_bytes", "nonheap") / MIB,
        rssMb(pid),
        openFiles(pid),
        threads(pid),
        cpuSeconds(pid));
  }

  /** This JVM (the command, the embedded broker, the load and the meter). */
  ProcessSample self(String name) throws IOException {
    long pid = ProcessHandle.current().pid();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    return new ProcessSample(
        name,
        pid,
        memory.getHeapMemoryUsage().getUsed() / MIB,
        memory.getHeapMemoryUsage().getCommitted() / MIB,
        memory.getNonHeapMemoryUsage().getUsed() / MIB,
        rssMb(pid),
        openFiles(pid),
        threads(pid),
        cpuSeconds(pid));
  }

  /** The sum of a Prometheus metric's samples whose {@code area} label is {@code area}. */
  static double sum(String exposition, String metric, String area) {
    double total = 0;
    String label = "area=\"" + area + "\"";
    for (String line : exposition.split("\n")) {
      if (line.startsWith(metric + "{") && line.contains(label)) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    return total;
  }

  /** A process's resident set (VmRSS), in MiB. */
  public static double rssMb(long pid) throws IOException {
    return statusField(pid, "VmRSS:") / 1024.0; // kB
  }

  static int threads(long pid) throws IOException {
    return (int) statusField(pid, "Threads:");
  }

  static int openFiles(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return (int) fds.count();
    }
  }

  /**
   * utime + stime, fields 14 and 15 of {@code /proc/<pid>/stat} (counted after the command name's
   * ')').
   */
  static double cpuSeconds(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / CLOCK_TICKS;
  }

  /** The 1-minute load average of the machine. */
  static double loadAverage() throws IOException {
    return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split("\\s+")[0]);
  }

  private static double statusField(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith(field)) {
        return Double.parseDouble(line.substring(field.length()).trim().split("\\s+")[0]);
      }
    }
    throw new IOException("no " + field + " in /proc/" + pid + "/status");
  }
}
