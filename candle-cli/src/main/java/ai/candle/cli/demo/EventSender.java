package ai.candle.cli.demo;

import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.Topic;
import ai.candle.schemas.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends what a producer of the service sends: class announcements (with their text feature),
 * labelled images and unlabelled images, each image stamped with the time it was sent as its event
 * time. Used by the demo's replay and the soak's steady load (features only), and by {@code candle
 * send} (any record, acknowledgements checked through the returned futures).
 */
public final class EventSender implements AutoCloseable {
  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;

  public EventSender(String bootstrapServers, Topics topics) {
    this(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), topics);
  }

  /** A sender with these client settings (bootstrap servers, security, timeouts). */
  public EventSender(Map<String, Object> clientConfig, Topics topics) {
    this.topics = topics;
    Map<String, Object> props = new HashMap<>(Map.of(ProducerConfig.LINGER_MS_CONFIG, 5));
    props.putAll(clientConfig);
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  /** Sends an announcement as it is, keyed by its class name. */
  public Future<RecordMetadata> send(ClassAnnouncement a) {
    return send(topics.classAnnouncements(), a.getName(), a);
  }

  /** Sends a labelled image as it is, keyed by its id. */
  public Future<RecordMetadata> send(LabeledImage img) {
    return send(topics.labeledImages(), img.getId(), img);
  }

  /** Sends an unlabelled image as it is, keyed by its id. */
  public Future<RecordMetadata> send(ImageToScore img) {
    return send(topics.unlabeledImages(), img.getId(), img);
  }

  /** Announces a class by name with its text feature (no prompt, no aliases). */
  public void announce(String className, float[] textFeature) {
    send(
        ClassAnnouncement.newBuilder()
            .setName(className)
            .setPromptTemplate(null)
            .setPrompt(null)
            .setAliases(List.of())
            .setTextFeature(boxed(textFeature))
            .build());
  }

  /** Sends a labelled image carrying its feature. */
  public void labeled(String id, String className, float[] feature, String source) {
    send(
        LabeledImage.newBuilder()
            .setId(id)
            .setEventTime(Instant.now())
            .setLabel(className)
            .setImageBytes(null)
            .setImageUri(null)
            .setFeature(boxed(feature))
            .setSource(source)
            .build());
  }

  /** Sends an unlabelled image carrying its feature. */
  public void unlabeled(String id, float[] feature) {
    send(
        ImageToScore.newBuilder()
            .setId(id)
            .setEventTime(Instant.now())
            .setImageBytes(null)
            .setImageUri(null)
            .setFeature(boxed(feature))
            .build());
  }

  private <V> Future<RecordMetadata> send(Topic<String, V> topic, String key, V value) {
    byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
    return producer.send(new ProducerRecord<>(topic.name(), key, bytes));
  }

  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close();
  }

  private static List<Float> boxed(float[] a) {
    List<Float> list = new ArrayList<>(a.length);
    for (float x : a) {
      list.add(x);
    }
    return list;
  }
}
