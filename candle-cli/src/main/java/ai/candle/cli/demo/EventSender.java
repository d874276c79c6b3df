package ai.candle.cli.demo;

import ai.candle.schemas.ClassAnnouncement;
import ai.candle.schemas.ImageToScore;
import ai.candle.schemas.LabeledImage;
import ai.candle.schemas.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends what a producer of the service sends, as feature records: class announcements (with
 * their text feature), labelled images and unlabelled images, each image stamped with the time
 * it was sent as its event time. Used by the demo's replay and by the soak's steady load.
 */
public final class EventSender implements AutoCloseable {
  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;

  public EventSender(String bootstrapServers, Topics topics) {
    this.topics = topics;
    Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.LINGER_MS_CONFIG, 5);
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  /** Announces a class by name with its text feature (no prompt, no aliases). */
  public void announce(String className, float[] textFeature) {
    ClassAnnouncement a = ClassAnnouncement.newBuilder().setName(className).setPromptTemplate(null).setPrompt(null)
        .setAliases(List.of()).setTextFeature(boxed(textFeature)).build();
    String topic = topics.classAnnouncements().name();
    producer.send(new ProducerRecord<>(topic, className, topics.classAnnouncements().valueSerde().serializer().serialize(topic, a)));
  }

  /** Sends a labelled image carrying its feature. */
  public void labeled(String id, String className, float[] feature, String source) {
    LabeledImage img = LabeledImage.newBuilder().setId(id).setEventTime(Instant.now()).setLabel(className)
        .setImageBytes(null).setImageUri(null).setFeature(boxed(feature)).setSource(source).build();
    String topic = topics.labeledImages().name();
    producer.send(new ProducerRecord<>(topic, id, topics.labeledImages().valueSerde().serializer().serialize(topic, img)));
  }

  /** Sends an unlabelled image carrying its feature. */
  public void unlabeled(String id, float[] feature) {
    ImageToScore img = ImageToScore.newBuilder().setId(id).setEventTime(Instant.now()).setImageBytes(null)
        .setImageUri(null).setFeature(boxed(feature)).build();
    String topic = topics.unlabeledImages().name();
    producer.send(new ProducerRecord<>(topic, id, topics.unlabeledImages().valueSerde().serializer().serialize(topic, img)));
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
