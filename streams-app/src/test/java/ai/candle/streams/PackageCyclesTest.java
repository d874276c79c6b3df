package ai.candle.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module's packages depend on each other one way only: a package that another one uses never
 * uses it back, directly or through others. Read from the main sources: what a file imports from
 * {@code ai.candle.streams.*} and names there fully qualified, comments and strings aside.
 */
class PackageCyclesTest {

  private static final Path SOURCES = Path.of("src", "main", "java");
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");

  /** A package name of the module followed by a class name (upper case). */
  private static final Pattern REFERENCE =
      Pattern.compile("\\bai\\.candle\\.streams(?:\\.[a-z]\\w*)*(?=\\.[A-Z])");

  @Test
  void noPackageDependsOnItselfThroughOthers() {
    Map<String, Set<String>> uses = uses();
    assertTrue(uses.size() > 5, "packages found under " + SOURCES.toAbsolutePath() + ": " + uses);
    List<String> cycles = new ArrayList<>();
    for (String start : uses.keySet()) {
      findCycle(start, start, uses, new ArrayList<>(List.of(start)), cycles);
    }
    assertEquals(List.of(), cycles, "package dependencies:\n" + uses);
  }

  /** Adds every path from {@code at} back to {@code start}, found once: from its least package. */
  private static void findCycle(
      String start,
      String at,
      Map<String, Set<String>> uses,
      List<String> path,
      List<String> cycles) {
    for (String next : uses.getOrDefault(at, Set.of())) {
      if (next.equals(start)) {
        cycles.add(String.join(" -> ", path) + " -> " + start);
      } else if (next.compareTo(start) > 0 && !path.contains(next)) {
        path.add(next);
        findCycle(start, next, uses, path, cycles);
        path.remove(path.size() - 1);
      }
    }
  }

  private static Map<String, Set<String>> uses() {
    Map<String, Set<String>> uses = new TreeMap<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      files
          .filter(f -> f.toString().endsWith(".java"))
          .forEach(
              f -> {
                String code = codeOnly(read(f));
                Matcher pkg = PACKAGE.matcher(code);
                assertTrue(pkg.find(), "no package in " + f);
                Set<String> used = uses.computeIfAbsent(pkg.group(1), p -> new TreeSet<>());
                Matcher ref = REFERENCE.matcher(code);
                while (ref.find()) {
                  if (!ref.group().equals(pkg.group(1))) {
                    used.add(ref.group());
                  }
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return uses;
  }

  private static String codeOnly(String source) {
    return source
        .replaceAll("(?s)/\\*.*?\\*/", " ")
        .replaceAll("//[^\\n]*", " ")
        .replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"");
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
