package ai.candle.cli.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The repository's deployment files, found from the module's working directory. */
public final class RepoFiles {

  private RepoFiles() {}

  /**
   * The repository root: the first folder above the working directory with docker-compose.yml and
   * grafana/.
   */
  public static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("docker-compose.yml"))
          && Files.isDirectory(dir.resolve("grafana"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "no folder above "
            + Path.of("").toAbsolutePath()
            + " holds docker-compose.yml and grafana/: run the tests from the repository");
  }

  public static Path resolve(String relative) {
    return root().resolve(relative);
  }

  /**
   * A YAML file as maps and lists (SnakeYAML's safe constructor: anchors, aliases and merge keys
   * ({@code <<}) resolved as Docker Compose resolves them).
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> yaml(Path file) {
    try {
      Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
      if (!(doc instanceof Map)) {
        throw new IllegalStateException(file + " is not a YAML mapping");
      }
      return (Map<String, Object>) doc;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code map[k1][k2]...}, or null where a key is missing. */
  @SuppressWarnings("unchecked")
  public static <T> T at(Object map, String... keys) {
    Object node = map;
    for (String key : keys) {
      if (!(node instanceof Map)) {
        return null;
      }
      node = ((Map<String, Object>) node).get(key);
    }
    return (T) node;
  }
}
