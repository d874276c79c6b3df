package ai.candle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code candle soak}, for half a minute: the real embedded broker and both services as child JVMs.
 */
class CliSoakTest {

  @Test
  void aShortSoakSamplesEveryProcessWritesTheReportAndStopsTheServices(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("soak");
    CliRun run =
        CliRun.of(
            "soak",
            "--minutes",
            "0.5",
            "--sample-seconds",
            "3",
            "--rate",
            "30",
            "--announce-seconds",
            "10",
            "--out",
            out.toString());
    System.out.println(run.out());
    assertEquals(0, run.exitCode(), run.out() + run.err());
    assertTrue(run.out().contains("flatness after warm-up"), run.out());
    assertTrue(run.out().contains("services stopped afterwards: yes"), run.out());

    List<Map<String, String>> throughput = rows(out.resolve("throughput.csv"));
    assertTrue(throughput.size() >= 8, "a sample every 3 s over 30 s: " + throughput.size());
    double predictions =
        throughput.stream().mapToDouble(r -> Double.parseDouble(r.get("predictions"))).sum();
    assertTrue(predictions > 0, "predictions arrived");
    Map<String, String> last = throughput.get(throughput.size() - 1);
    assertEquals(
        30.0, Double.parseDouble(last.get("elapsed_s")), 1.0, "the run lasts its --minutes");
    assertTrue(Double.parseDouble(last.get("sent_per_s")) > 15, "the load keeps its pace: " + last);
    assertTrue(
        Long.parseLong(last.get("versions_published")) > 0,
        "the trainer published versions: " + last);
    assertTrue(
        Integer.parseInt(last.get("announced_classes")) > 90, "classes announced mid-run: " + last);
    assertTrue(Double.parseDouble(last.get("latency_p99_ms")) > 0, last.toString());

    List<Map<String, String>> processes = rows(out.resolve("processes.csv"));
    Set<String> names = new HashSet<>();
    Set<Long> pids = new HashSet<>();
    for (Map<String, String> p : processes) {
      names.add(p.get("process"));
      pids.add(Long.parseLong(p.get("pid")));
      for (String column :
          List.of(
              "heap_used_mib",
              "heap_committed_mib",
              "nonheap_used_mib",
              "rss_mib",
              "open_files",
              "threads")) {
        assertTrue(Double.parseDouble(p.get(column)) > 0, column + " of " + p);
      }
      assertTrue(
          Double.parseDouble(p.get("rss_mib")) > Double.parseDouble(p.get("heap_used_mib")) / 4,
          p.toString());
    }
    assertEquals(Set.of("streams-app", "trainer", "cli+broker"), names);
    long self = ProcessHandle.current().pid();
    for (long pid : pids) {
      if (pid != self) {
        assertFalse(
            ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
            "service " + pid + " was stopped");
      }
    }

    String report = Files.readString(out.resolve("report.md"));
    for (String section :
        List.of(
            "## Throughput over time",
            "## Resources per process",
            "## Flatness after warm-up",
            "warm-up",
            "load average")) {
      assertTrue(report.contains(section), section + " in report.md");
    }
    for (String png : List.of("throughput.png", "latency.png", "memory.png", "threads-files.png")) {
      assertNotNull(ImageIO.read(out.resolve(png).toFile()), png + " is a PNG");
    }
  }

  @Test
  void badOptionsAreAUsageError() {
    CliRun run = CliRun.of("soak", "--minutes", "0");
    assertEquals(Main.EXIT_USAGE, run.exitCode());
    assertTrue(run.err().contains("--minutes"), run.err());
  }

  private static List<Map<String, String>> rows(Path csv) throws Exception {
    List<String> lines = Files.readAllLines(csv);
    String[] header = lines.get(0).split(",");
    return lines.subList(1, lines.size()).stream()
        .map(
            l -> {
              String[] v = l.split(",");
              Map<String, String> row = new HashMap<>();
              for (int i = 0; i < header.length; i++) {
                row.put(header[i], v[i]);
              }
              return row;
            })
        .toList();
  }
}
