package ai.candle.streams.it;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code kcat} (librdkafka's command-line client) as an outside producer. Records go
 * through stdin with a key delimiter and a multi-byte message delimiter; values may hold any byte
 * except the message delimiter sequence, which is checked, so the transfer is binary-safe.
 */
final class Kcat {

  /**
   * Between key and value; kcat splits at its first occurrence, so only keys must not contain it.
   */
  private static final byte KEY_DELIMITER = '\t';

  /** After each record; no value may contain this 24-byte sequence (checked per record). */
  private static final byte[] MESSAGE_DELIMITER =
      "\u00fe\u00ff<candle-kcat-record>\u00ff\u00fe".getBytes(StandardCharsets.ISO_8859_1);

  private static final String MESSAGE_DELIMITER_ARG = "\\xfe\\xff<candle-kcat-record>\\xff\\xfe";

  private final String executable;

  private Kcat(String executable) {
    this.executable = executable;
  }

  /**
   * Finds kcat on the PATH (or {@code $KCAT}); fails with what to install when it is missing. CI
   * installs it in {@code .ci/run}.
   */
  static Kcat locate() {
    String configured = System.getenv("KCAT");
    if (configured != null && !configured.isBlank()) {
      return new Kcat(configured);
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      for (String name : List.of("kcat", "kafkacat")) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return new Kcat(candidate.toString());
        }
      }
    }
    throw new AssertionError(
        "kcat is not installed (looked on PATH="
            + path
            + " and $KCAT). "
            + "The ingest integration tests send part of their events through it as an outside client. "
            + "Install it: apt-get install -y kcat (Debian/Ubuntu); CI does this in .ci/run.");
  }

  /**
   * Produces the events to the topic (acks=all, Java-compatible murmur2 partitioning) and waits for
   * kcat.
   */
  void produce(
      String bootstrapServers, String topic, List<IngestDataset.Event> events, Path workDir)
      throws IOException, InterruptedException {
    Path input = workDir.resolve("kcat-" + topic + ".bin");
    Path log = workDir.resolve("kcat-" + topic + ".log");
    Files.write(input, encode(events));
    Process kcat =
        new ProcessBuilder(
                executable,
                "-P",
                "-b",
                bootstrapServers,
                "-t",
                topic,
                "-K",
                "\\t",
                "-D",
                MESSAGE_DELIMITER_ARG,
                "-X",
                "partitioner=murmur2_random",
                "-X",
                "acks=all")
            .redirectInput(input.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!kcat.waitFor(120, TimeUnit.SECONDS)) {
      kcat.destroyForcibly();
      throw new AssertionError(
          "kcat did not finish producing "
              + events.size()
              + " records in 120 s; "
              + "its output: "
              + Files.readString(log));
    }
    if (kcat.exitValue() != 0) {
      throw new AssertionError(
          "kcat exited with "
              + kcat.exitValue()
              + " producing to "
              + topic
              + "; its output: "
              + Files.readString(log));
    }
  }

  /** key TAB value DELIMITER, for each event; fails if a record would not survive the framing. */
  static byte[] encode(List<IngestDataset.Event> events) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (IngestDataset.Event e : events) {
      byte[] key = e.key().getBytes(StandardCharsets.UTF_8);
      if (indexOf(key, new byte[] {KEY_DELIMITER}) >= 0
          || indexOf(e.value(), MESSAGE_DELIMITER) >= 0
          || e.value().length == 0) {
        throw new IllegalArgumentException(
            "record "
                + e.key()
                + " cannot be framed for kcat "
                + "(key holds a tab, value is empty or holds the message delimiter)");
      }
      out.writeBytes(key);
      out.write(KEY_DELIMITER);
      out.writeBytes(e.value());
      out.writeBytes(MESSAGE_DELIMITER);
    }
    return out.toByteArray();
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public String toString() {
    return "kcat at " + executable;
  }
}
