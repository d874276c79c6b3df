package ai.candle.cli.deploy;

import static ai.candle.cli.deploy.RepoFiles.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.candle.schemas.ModelVersions;
import ai.candle.schemas.SerdeConfig;
import ai.candle.schemas.WireFormat;
import ai.candle.streams.config.IngestConfig;
import ai.candle.streams.config.ScoringConfig;
import ai.candle.trainer.TrainerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml as far as it can be checked without a Docker engine ({@code docker compose
 * config} needs one): parsed as YAML with merge keys resolved, its services, pinned images, the
 * KRaft broker, the topic job, the services' {@code CANDLE_*} settings loaded by the services' own
 * config classes, the gpu profile, the mounts (they exist, read-only where they should be), the
 * Prometheus targets against the services, and the Prometheus config through {@code promtool}.
 */
class ComposeFileTest {

  static final String GRAFANA_MOUNT = "/etc/grafana/candle";
  static final Pattern FROM = Pattern.compile("(?im)^FROM\\s+(\\S+)(?:\\s+AS\\s+(\\S+))?\\s*$");

  final Path root = RepoFiles.root();
  final Map<String, Object> compose = RepoFiles.yaml(root.resolve("docker-compose.yml"));
  final Map<String, Map<String, Object>> services = at(compose, "services");

  Map<String, Object> service(String name) {
    Map<String, Object> s = services.get(name);
    assertNotNull(s, "service " + name + " in docker-compose.yml");
    return s;
  }

  static Map<String, String> env(Map<String, Object> service) {
    Map<String, Object> raw = at(service, "environment");
    Map<String, String> out = new LinkedHashMap<>();
    if (raw != null) {
      raw.forEach((k, v) -> out.put(k, String.valueOf(v)));
    }
    return out;
  }

  /** The CANDLE_* variables as the flags they stand for (LayeredSettings: CANDLE_A_B is --a-b). */
  static List<String> asFlags(Map<String, String> env) {
    List<String> flags = new ArrayList<>();
    env.forEach(
        (k, v) -> {
          if (k.startsWith("CANDLE_")) {
            flags.add(
                "--" + k.substring("CANDLE_".length()).toLowerCase(Locale.ROOT).replace('_', '-'));
            flags.add(v);
          }
        });
    return flags;
  }

  @Test
  void theServicesAreThereWithPinnedImages() throws IOException {
    assertEquals(
        Set.of(
            "kafka",
            "kafka-init",
            "streams-app-1",
            "streams-app-2",
            "trainer",
            "trainer-gpu",
            "registry",
            "prometheus",
            "grafana"),
        services.keySet());
    List<String> images = new ArrayList<>();
    services.forEach(
        (name, s) -> {
          assertNotNull(s.get("image"), name + " names its image (and tag)");
          images.add(s.get("image").toString());
        });
    Matcher from = FROM.matcher(Files.readString(root.resolve("deploy/Dockerfile")));
    while (from.find()) {
      if (!from.group(1).equals("runtime")) { // a stage of the same file
        images.add(from.group(1));
      }
    }
    for (String image : images) {
      int slash = image.lastIndexOf('/');
      int colon = image.lastIndexOf(':');
      assertTrue(colon > slash, image + " has a tag");
      String tag = image.substring(colon + 1);
      assertFalse(
          tag.isBlank() || tag.equals("latest") || image.contains("${"),
          image + " is pinned to a version");
    }
    assertEquals("apache/kafka:4.1.1", service("kafka").get("image"));
    assertTrue(
        images.contains("prom/prometheus:v3.5.0")
            && images.stream().anyMatch(i -> i.startsWith("grafana/grafana:")));
  }

  @Test
  void kafkaRunsInKraftModeAsOneNode() {
    Map<String, String> env = env(service("kafka"));
    assertEquals("broker,controller", env.get("KAFKA_PROCESS_ROLES"));
    assertEquals("1@kafka:9093", env.get("KAFKA_CONTROLLER_QUORUM_VOTERS"));
    assertTrue(env.get("KAFKA_LISTENERS").contains("PLAINTEXT://:9092"));
    assertTrue(env.get("KAFKA_ADVERTISED_LISTENERS").contains("PLAINTEXT://kafka:9092"));
    for (String key :
        List.of(
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")) {
      assertEquals(
          "1", env.get(key), key + ": one broker, and the streams app's transactions need the log");
    }
    assertEquals(
        "false", env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE"), "the services never create topics");
    assertFalse(env.keySet().stream().anyMatch(k -> k.contains("ZOOKEEPER")));
    assertNotNull(at(service("kafka"), "healthcheck", "test"));
  }

  @Test
  void theTopicJobRunsTheScriptOnceTheBrokerIsHealthyAndTheServicesWaitForIt() {
    Map<String, Object> init = service("kafka-init");
    assertEquals(
        "apache/kafka:4.1.1", init.get("image"), "kafka-topics.sh of the broker's version");
    assertEquals("service_healthy", at(init, "depends_on", "kafka", "condition"));
    assertTrue(
        volumes(init).contains("./deploy/kafka/create-topics.sh:/opt/candle/create-topics.sh:ro"));
    assertTrue(init.get("entrypoint").toString().contains("/opt/candle/create-topics.sh"));
    assertEquals("no", String.valueOf(init.get("restart")));
    assertNull(
        env(init).get("MODEL_MAX_BYTES"),
        "versions travel in chunks: no topic needs a larger size");
    for (String name : List.of("streams-app-1", "streams-app-2", "trainer", "trainer-gpu")) {
      assertEquals(
          "service_completed_successfully",
          at(service(name), "depends_on", "kafka-init", "condition"),
          name);
    }
  }

  @Test
  void twoStreamsAppInstancesShareTheirGroupsAndKeepTheirOwnState() {
    Map<String, String> one = env(service("streams-app-1"));
    Map<String, String> two = env(service("streams-app-2"));
    List<IngestConfig> ingest = new ArrayList<>();
    List<ScoringConfig> scoring = new ArrayList<>();
    for (Map<String, String> env : List.of(one, two)) {
      // every CANDLE_* variable is a setting the app knows (an unknown flag is an error)...
      IngestConfig.load(asFlags(env), Map.of());
      ScoringConfig.load(asFlags(env), Map.of());
      // ... and the app reads it from the environment
      ingest.add(IngestConfig.load(List.of(), env));
      scoring.add(ScoringConfig.load(List.of(), env));
    }
    assertEquals("kafka:9092", ingest.get(0).bootstrapServers());
    assertEquals(ingest.get(0).applicationId(), ingest.get(1).applicationId(), "one ingest group");
    assertEquals(
        scoring.get(0).applicationId(), scoring.get(1).applicationId(), "one scoring group");
    assertEquals(ModelVersions.DEFAULT_MAX_BYTES, scoring.get(0).modelMaxBytes());
    assertEquals(
        "0.0.0.0", scoring.get(0).metricsAddress(), "Prometheus scrapes from another container");
    assertNotEquals(
        volumes(service("streams-app-1")),
        volumes(service("streams-app-2")),
        "a state volume each");
    assertTrue(volumes(service("streams-app-1")).get(0).endsWith(":" + ingest.get(0).stateDir()));
    assertEquals("streams-app", at(service("streams-app-1"), "build", "target"));
  }

  /** Issue 21: a schema registry, wired to every service of ours, which reads both wire formats. */
  @Test
  void everyServiceKnowsTheSchemaRegistry() {
    Map<String, Object> registry = service("registry");
    assertTrue(
        registry.get("image").toString().startsWith("apicurio/apicurio-registry-kafkasql:2.6."),
        "Apicurio 2.6, as the tests run it, with its schemas in Kafka");
    assertEquals("kafka:9092", env(registry).get("KAFKA_BOOTSTRAP_SERVERS"));
    for (String name : List.of("streams-app-1", "streams-app-2", "trainer", "trainer-gpu")) {
      Map<String, String> env = env(service(name));
      assertEquals("http://registry:8080/apis/ccompat/v7", env.get("CANDLE_REGISTRY_URL"), name);
      assertNotNull(
          at(service(name), "depends_on", "registry"), name + " starts after the registry");
      SerdeConfig serde =
          name.startsWith("trainer")
              ? TrainerConfig.load(List.of(), env).serde()
              : IngestConfig.load(List.of(), env).serde();
      assertEquals(
          Optional.of(URI.create("http://registry:8080/apis/ccompat/v7")),
          serde.registryUrl(),
          name);
      assertEquals(
          WireFormat.SINGLE_OBJECT,
          serde.writes(),
          name + ": the registry format is the operator's choice");
    }
  }

  /**
   * Every service of ours is probed on its own metrics port's /health/live, with a class the image
   * has.
   */
  @Test
  void theServicesHealthchecksProbeTheirLivenessEndpoint() {
    Map<String, Integer> ports =
        Map.of(
            "streams-app-1",
            ScoringConfig.defaults().metricsPort(),
            "streams-app-2",
            ScoringConfig.defaults().metricsPort(),
            "trainer",
            TrainerConfig.defaults().metricsPort(),
            "trainer-gpu",
            TrainerConfig.defaults().metricsPort());
    ports.forEach(
        (name, port) -> {
          List<Object> test = at(service(name), "healthcheck", "test");
          assertNotNull(test, name + " has a healthcheck");
          assertEquals(
              List.of(
                  "CMD",
                  "java",
                  "-cp",
                  "/opt/candle/lib/*",
                  ai.candle.service.HealthProbe.class.getName(),
                  "http://127.0.0.1:" + port + ai.candle.service.MetricsServer.LIVE),
              test,
              name);
        });
  }

  @Test
  void theTrainerRunsOnTheCpuByDefaultAndOnAnNvidiaGpuInTheGpuProfile() throws IOException {
    Map<String, Object> cpu = service("trainer");
    Map<String, Object> gpu = service("trainer-gpu");
    for (Map<String, Object> s : List.of(cpu, gpu)) {
      TrainerConfig.load(asFlags(env(s)), Map.of());
      assertEquals("trainer", at(s, "build", "target"));
      assertEquals(
          List.of("trainer"),
          at(s, "networks", "default", "aliases"),
          "Prometheus scrapes trainer:9465");
    }
    assertEquals("cpu", TrainerConfig.load(List.of(), env(cpu)).device());
    assertEquals("gpu", TrainerConfig.load(List.of(), env(gpu)).device());
    assertEquals(List.of("cpu"), cpu.get("profiles"));
    assertEquals(List.of("gpu"), gpu.get("profiles"), "never both trainers at once");
    assertTrue(
        Files.readAllLines(root.resolve(".env")).contains("COMPOSE_PROFILES=cpu"),
        ".env makes the cpu trainer the default; --profile gpu replaces it");
    Map<String, Object> device =
        RepoFiles.<List<Map<String, Object>>>at(
                gpu, "deploy", "resources", "reservations", "devices")
            .get(0);
    assertEquals("nvidia", device.get("driver"));
    assertEquals(List.of("gpu"), device.get("capabilities"));
    assertEquals(1, device.get("count"));
    assertEquals(
        "cuda",
        at(gpu, "build", "args", "MAVEN_PROFILES"),
        "the image with PyTorch's CUDA library");
    assertNotEquals(cpu.get("image"), gpu.get("image"));
  }

  @Test
  void everyBuildTargetIsAStageOfItsDockerfile() throws IOException {
    for (String name : List.of("streams-app-1", "streams-app-2", "trainer", "trainer-gpu")) {
      Map<String, Object> build = at(service(name), "build");
      Path context = root.resolve(build.get("context").toString()).normalize();
      Path dockerfile = context.resolve(build.get("dockerfile").toString());
      assertTrue(Files.isRegularFile(dockerfile), dockerfile + " exists");
      Set<String> stages = new HashSet<>();
      Matcher from = FROM.matcher(Files.readString(dockerfile));
      while (from.find()) {
        stages.add(from.group(2));
      }
      assertTrue(
          stages.contains(build.get("target")),
          name + ": stage " + build.get("target") + " in " + stages);
    }
  }

  @Test
  void everyBindMountExistsInTheRepositoryAndConfigIsReadOnly() {
    Set<String> named = RepoFiles.<Map<String, Object>>at(compose, "volumes").keySet();
    services.forEach(
        (name, s) -> {
          for (String v : volumes(s)) {
            String source = v.split(":")[0];
            if (source.startsWith(".") || source.startsWith("/")) {
              assertTrue(
                  Files.exists(root.resolve(source).normalize()),
                  name + ": " + source + " exists in the repository");
              assertTrue(v.endsWith(":ro"), name + ": " + v + " is mounted read-only");
            } else {
              assertTrue(named.contains(source), name + ": volume " + source + " is declared");
            }
          }
        });
  }

  @Test
  void grafanaIsProvisionedFromTheRepositoryWithTheTailDashboardAsHome() {
    Map<String, Object> grafana = service("grafana");
    assertTrue(volumes(grafana).contains("./grafana:" + GRAFANA_MOUNT + ":ro"));
    Map<String, String> env = env(grafana);
    assertEquals(GRAFANA_MOUNT + "/provisioning", env.get("GF_PATHS_PROVISIONING"));
    String home = env.get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
    assertEquals(GRAFANA_MOUNT + "/dashboards/" + DashboardFilesTest.TAIL, home);
    assertTrue(
        Files.isRegularFile(
            root.resolve("grafana").resolve(home.substring(GRAFANA_MOUNT.length() + 1))));
  }

  @Test
  void prometheusScrapesEveryServiceWhereItListens() throws Exception {
    Map<String, Object> prometheus = service("prometheus");
    assertTrue(
        volumes(prometheus)
            .contains("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"));
    Map<String, Object> config = RepoFiles.yaml(root.resolve("deploy/prometheus/prometheus.yml"));
    Map<String, List<String>> targets = new LinkedHashMap<>();
    for (Map<String, Object> job :
        RepoFiles.<List<Map<String, Object>>>at(config, "scrape_configs")) {
      List<String> t = new ArrayList<>();
      for (Map<String, Object> sc :
          RepoFiles.<List<Map<String, Object>>>at(job, "static_configs")) {
        t.addAll(RepoFiles.<List<String>>at(sc, "targets"));
      }
      targets.put(job.get("job_name").toString(), t);
    }
    String streamsPort = env(service("streams-app-1")).get("CANDLE_METRICS_PORT");
    assertEquals(
        List.of(
            "streams-app-1:" + streamsPort,
            "streams-app-2:" + env(service("streams-app-2")).get("CANDLE_METRICS_PORT")),
        targets.get("candle-streams"));
    assertEquals(
        List.of("trainer:" + env(service("trainer")).get("CANDLE_METRICS_PORT")),
        targets.get("candle-trainer"));
    assertEquals(
        env(service("trainer")).get("CANDLE_METRICS_PORT"),
        env(service("trainer-gpu")).get("CANDLE_METRICS_PORT"));

    Path promtool =
        Executables.require(
            "promtool", "ComposeFileTest checks deploy/prometheus/prometheus.yml with it");
    Process p =
        new ProcessBuilder(
                promtool.toString(),
                "check",
                "config",
                root.resolve("deploy/prometheus/prometheus.yml").toString())
            .redirectErrorStream(true)
            .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool finished");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "promtool check config:\n" + out);
  }

  @SuppressWarnings("unchecked")
  static List<String> volumes(Map<String, Object> service) {
    Object v = service.get("volumes");
    List<String> out = new ArrayList<>();
    if (v instanceof List<?> list) {
      list.forEach(item -> out.add(item.toString()));
    }
    return out;
  }
}
