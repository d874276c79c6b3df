package ai.candle.streams.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The heap high-water marks of a JVM from its unified GC log ({@code -Xlog:gc:file=...}): every
 * pause logs the heap in use before and after it ({@code 120M->31M(256M)}). The heap only grows
 * between pauses, so the largest "before" is the most the heap ever held (garbage included). The
 * largest "after" of the evacuating pauses (young, mixed, full) bounds what survived them: the live
 * set plus old garbage not yet collected (G1's remark and cleanup pauses reclaim little and are
 * left out).
 */
final class HeapLog {

  private static final Pattern PAUSE =
      Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

  /** High-water marks in MB; {@code collections}: how many evacuating pauses the log had. */
  record HighWater(double usedMb, double afterGcMb, int collections) {}

  private HeapLog() {}

  static HighWater parse(Path gcLog) throws IOException {
    List<String> lines = Files.readAllLines(gcLog);
    double used = 0;
    double after = 0;
    int collections = 0;
    for (String line : lines) {
      Matcher m = PAUSE.matcher(line);
      if (m.find()) {
        used = Math.max(used, mb(m.group(1), m.group(2)));
        if (line.contains("Pause Young") || line.contains("Pause Full")) {
          collections++;
          after = Math.max(after, mb(m.group(3), m.group(4)));
        }
      }
    }
    return new HighWater(used, after, collections);
  }

  /**
   * Runs a full GC in the JVM {@code pid} ({@code jcmd <pid> GC.run}, logged as {@code Pause Full
   * (Diagnostic Command)}) and returns the heap in use after it, in MB, from its line in {@code
   * gcLog}: the live set, whatever young and mixed collections happened to run before (which the
   * "after" of the evacuating pauses depends on).
   */
  static double liveAfterFullGcMb(long pid, Path gcLog) throws IOException, InterruptedException {
    long before = fullGcs(gcLog).size();
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new AssertionError("jcmd " + pid + " GC.run failed: " + out);
    }
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      List<Double> full = fullGcs(gcLog);
      if (full.size() > before) {
        return full.get(full.size() - 1);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no full GC in " + gcLog + " within 30 s of jcmd GC.run: " + out);
      }
      Thread.sleep(100);
    }
  }

  /**
   * The heap in use after each full collection of the log, in MB ({@code Pause Full (Diagnostic
   * Command)} for jcmd's).
   */
  private static List<Double> fullGcs(Path gcLog) throws IOException {
    List<Double> out = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(gcLog)) {
      Matcher m = PAUSE.matcher(line);
      if (line.contains("Pause Full") && m.find()) {
        out.add(mb(m.group(3), m.group(4)));
      }
    }
    return out;
  }

  private static double mb(String value, String unit) {
    double v = Double.parseDouble(value);
    return switch (unit) {
      case "K" -> v / 1024;
      case "G" -> v * 1024;
      default -> v;
    };
  }
}
