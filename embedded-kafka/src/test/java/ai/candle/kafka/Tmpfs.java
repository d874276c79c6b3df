package ai.candle.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted on a test's directory, to give a broker a disk that fills up or turns
 * read-only. Needs root (or CAP_SYS_ADMIN): where {@code mount} is refused, as in most unprivileged
 * containers, {@link #mount} skips the test with an assumption that says so. {@link #close()}
 * unmounts it.
 */
final class Tmpfs implements AutoCloseable {

  private final Path dir;
  private int sizeMb;

  private Tmpfs(Path dir, int sizeMb) {
    this.dir = dir;
    this.sizeMb = sizeMb;
  }

  /**
   * Mounts a tmpfs of {@code sizeMb} MiB on {@code dir}, or skips the test if that is not
   * permitted.
   */
  static Tmpfs mount(Path dir, int sizeMb) {
    Result result =
        run("mount", "-t", "tmpfs", "-o", "size=" + sizeMb + "m", "tmpfs", dir.toString());
    Assumptions.assumeTrue(
        result.status == 0,
        () ->
            "skipped: cannot mount a tmpfs on "
                + dir
                + " (needs root or CAP_SYS_ADMIN; containers usually refuse it): `mount -t tmpfs` said "
                + result.describe());
    return new Tmpfs(dir, sizeMb);
  }

  Path dir() {
    return dir;
  }

  int sizeMb() {
    return sizeMb;
  }

  /** Remounts with a new size (the files stay). */
  void resize(int newSizeMb) {
    remount("size=" + newSizeMb + "m");
    sizeMb = newSizeMb;
  }

  /** Remounts read-only; the kernel refuses while a file on it is open for writing. */
  void remountReadOnly() {
    remount("ro");
  }

  void remountReadWrite() {
    remount("rw");
  }

  private void remount(String options) {
    Result result = run("mount", "-o", "remount," + options, dir.toString());
    if (result.status != 0) {
      throw new IllegalStateException(
          "mount -o remount," + options + " " + dir + " failed: " + result.describe());
    }
  }

  /**
   * Unmounts; if something still holds it, detaches it lazily (the kernel frees it when unused).
   */
  @Override
  public void close() {
    Result result = run("umount", dir.toString());
    if (result.status != 0) {
      Result lazy = run("umount", "-l", dir.toString());
      if (lazy.status != 0) {
        throw new IllegalStateException(
            "Could not unmount the tmpfs on "
                + dir
                + ": "
                + result.describe()
                + "; umount -l: "
                + lazy.describe());
      }
    }
  }

  private record Result(int status, String output) {
    String describe() {
      return "status " + status + (output.isBlank() ? "" : ", '" + output.strip() + "'");
    }
  }

  private static Result run(String... command) {
    try {
      Process process =
          new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return new Result(-1, String.join(" ", command) + " took longer than 30 s");
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      return new Result(-1, "could not run " + command[0] + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }
}
