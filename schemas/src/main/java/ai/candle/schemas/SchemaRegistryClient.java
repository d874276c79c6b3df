package ai.candle.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A client of the Confluent schema registry REST API (also served by Apicurio Registry's {@code
 * ccompat} API), the two calls the serdes need: register a schema under a subject, and fetch a
 * schema by id. Both answers are cached for the life of the client: an id names one schema forever.
 *
 * <p>Connection failures, timeouts and 5xx answers are retried with backoff for up to {@code
 * patience}, then reported as {@link RegistryUnavailableException}; an answer that blames the
 * schema or the id (404 unknown id, 409 incompatible, 422 invalid) is a {@link
 * SerializationException} naming the registry's reason. A URL with user info ({@code
 * http://user:secret@host/...}) is sent with HTTP basic authentication. Thread-safe.
 */
public final class SchemaRegistryClient {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final Optional<String> authorization;
  private final Duration patience;
  private final HttpClient http;
  private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();

  /**
   * Ids of the schemas registered, by subject and schema: looked up for every record written, so
   * the key is cheap (Avro caches a schema's hash, and a serde passes the same instance).
   */
  private final Map<Registration, Integer> registered = new ConcurrentHashMap<>();

  private record Registration(String subject, Schema schema) {}

  /**
   * A client of the registry at {@code url} (e.g. {@code http://registry:8080/apis/ccompat/v7}).
   */
  public SchemaRegistryClient(URI url, Duration patience) {
    String userInfo = url.getRawUserInfo();
    this.authorization =
        Optional.ofNullable(userInfo)
            .map(
                u ->
                    "Basic "
                        + Base64.getEncoder()
                            .encodeToString(decode(u).getBytes(StandardCharsets.UTF_8)));
    this.base =
        URI.create(
            stripTrailingSlash(
                userInfo == null ? url.toString() : url.toString().replace(userInfo + "@", "")));
    this.patience = patience;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  public SchemaRegistryClient(URI url) {
    this(url, Duration.ofSeconds(30));
  }

  /** The registry's base URL, without credentials. */
  public URI url() {
    return base;
  }

  /**
   * Registers {@code schema} under {@code subject} (or finds it there) and returns its id.
   *
   * @throws SerializationException when the registry refuses it (incompatible with the subject's
   *     latest version under its compatibility rule, or invalid)
   */
  public int register(String subject, Schema schema) {
    Registration key = new Registration(subject, schema);
    Integer id = registered.get(key);
    if (id != null) {
      return id;
    }
    String body;
    try {
      body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    HttpRequest request =
        request("/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8) + "/versions")
            .header("Content-Type", CONTENT_TYPE)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    JsonNode answer =
        call(request, "register " + schema.getFullName() + " under subject " + subject);
    int newId = answer.path("id").asInt(-1);
    if (newId < 0) {
      throw new SerializationException(
          "the schema registry "
              + base
              + " answered a registration of "
              + schema.getFullName()
              + " without an id: "
              + answer);
    }
    byId.putIfAbsent(newId, schema);
    registered.put(key, newId);
    return newId;
  }

  /**
   * The schema with this id.
   *
   * @throws SerializationException when the registry knows no such id, or its schema is not Avro
   */
  public Schema schema(int id) {
    Schema known = byId.get(id);
    if (known != null) {
      return known;
    }
    JsonNode answer = call(request("/schemas/ids/" + id).GET().build(), "fetch schema id " + id);
    String type = answer.path("schemaType").asText("AVRO");
    if (!type.equals("AVRO")) {
      throw new SerializationException("schema id " + id + " is a " + type + " schema, not Avro");
    }
    try {
      Schema schema = new Schema.Parser().parse(answer.path("schema").asText());
      byId.putIfAbsent(id, schema);
      return schema;
    } catch (SchemaParseException e) {
      throw new SerializationException(
          "schema id " + id + " is not a valid Avro schema: " + e.getMessage(), e);
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(10))
            .header("Accept", CONTENT_TYPE + ", application/json");
    authorization.ifPresent(a -> b.header("Authorization", a));
    return b;
  }

  private JsonNode call(HttpRequest request, String what) {
    long deadline = System.nanoTime() + patience.toNanos();
    long backoffMs = 100;
    while (true) {
      Exception failure;
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status / 100 == 2) {
          return JSON.readTree(response.body());
        }
        // two services registering a subject's first version at once: Apicurio answers the
        // second 409 "already exists" while the first is created; asked again, it finds it
        boolean creationRace = status == 409 && response.body().contains("already exists");
        if (status < 500 && !creationRace) {
          throw new SerializationException(
              "the schema registry "
                  + base
                  + " refused to "
                  + what
                  + ": HTTP "
                  + status
                  + " "
                  + reason(response.body()));
        }
        failure = new IOException("HTTP " + status + " " + reason(response.body()));
      } catch (IOException e) {
        failure = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryUnavailableException(
            "interrupted while waiting for the schema registry " + base, e);
      }
      if (System.nanoTime() + backoffMs * 1_000_000 > deadline) {
        throw new RegistryUnavailableException(
            "the schema registry "
                + base
                + " did not answer to "
                + what
                + " within "
                + patience.toSeconds()
                + " s: "
                + failure,
            failure);
      }
      try {
        Thread.sleep(backoffMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryUnavailableException(
            "interrupted while waiting for the schema registry " + base, e);
      }
      backoffMs = Math.min(backoffMs * 2, 2_000);
    }
  }

  /** The registry's {@code message} from an error body, else the body itself (cut short). */
  private static String reason(String body) {
    try {
      JsonNode node = JSON.readTree(body);
      if (node != null && node.hasNonNull("message")) {
        return node.get("message").asText()
            + (node.has("error_code") ? " (error " + node.get("error_code") + ")" : "");
      }
    } catch (IOException e) {
      // not JSON: show it as it is
    }
    return body.length() > 300 ? body.substring(0, 300) + "..." : body;
  }

  private static String decode(String userInfo) {
    return java.net.URLDecoder.decode(userInfo, StandardCharsets.UTF_8);
  }

  private static String stripTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
