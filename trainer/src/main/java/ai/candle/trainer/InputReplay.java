package ai.candle.trainer;

import ai.candle.schemas.TrainingStoreEntry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's consumer thread: restores the training store from its topic, replays the input
 * topics into {@link TrainerInputs} (the registry and the counts from their beginning, the features
 * from where the restored store left them), then follows them. Once the replay reached the ends the
 * topics had at the start it calls {@code onCaughtUp}, and after every poll from then on {@code
 * afterPoll}, on this thread. A record the inputs cannot use is skipped, logged and counted; any
 * other failure stops the thread and is kept for {@link #failure}.
 */
final class InputReplay implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InputReplay.class);

  private final TrainerConfig config;
  private final TrainerInputs inputs;
  private final StoreCheckpoint checkpoint;
  private final Runnable onCaughtUp;
  private final Runnable afterPoll;
  private final Counter skippedRecords;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;
  private volatile boolean closing;
  private volatile Throwable failure;

  InputReplay(
      TrainerConfig config,
      TrainerInputs inputs,
      StoreCheckpoint checkpoint,
      MeterRegistry meters,
      Runnable onCaughtUp,
      Runnable afterPoll) {
    this.config = config;
    this.inputs = inputs;
    this.checkpoint = checkpoint;
    this.onCaughtUp = onCaughtUp;
    this.afterPoll = afterPoll;
    this.skippedRecords =
        Counter.builder("candle.trainer.records.skipped")
            .description("Input records the trainer could not use (undecodable, wrong width)")
            .register(meters);
  }

  /** Restores the store from {@code entries} (the training-store topic), then starts the thread. */
  void start(Map<String, TrainingStoreEntry> entries) {
    restoreStore(entries);
    consumer =
        new KafkaConsumer<>(
            VersionLog.consumerSettings(config),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    thread = new Thread(this::consume, "candle-trainer-consumer");
    thread.start();
  }

  boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  boolean isCaughtUp() {
    return caughtUp.getCount() == 0;
  }

  /** Why the thread stopped, or null while it runs. */
  Throwable failure() {
    return failure;
  }

  /**
   * Restores the training store; when its entries do not make a store that fits this trainer's
   * settings, the store is rebuilt from the features topic and the next write replaces them.
   */
  private void restoreStore(Map<String, TrainingStoreEntry> entries) {
    String topic = config.topics().trainingStore();
    if (entries.isEmpty()) {
      LOG.info(
          "Nothing of model '{}' on {} yet: the store is built from {}",
          config.modelName(),
          topic,
          inputs.featuresTopic());
      return;
    }
    try {
      TrainingStore.Contents contents =
          StoreCheckpoint.read(entries.values(), inputs.featuresTopic());
      inputs.store().restore(contents);
      checkpoint.written(contents);
      long[] kept = inputs.store().kept();
      LOG.info(
          "Training store restored from {}: {} classes, {} training and {} held-out samples, {} training"
              + " images seen; {} continues at {}",
          topic,
          contents.classes().size(),
          kept[0],
          kept[1],
          contents.trainOffered(),
          inputs.featuresTopic(),
          new TreeMap<>(contents.positions()));
    } catch (IllegalArgumentException e) {
      checkpoint.replace(entries.keySet());
      LOG.warn(
          "The training store on {} cannot be restored ({}): it is rebuilt from {}, and what expired there"
              + " is lost; the next fit replaces it",
          topic,
          e.getMessage(),
          inputs.featuresTopic());
    }
  }

  private void consume() {
    try {
      List<TopicPartition> parts = new ArrayList<>();
      for (String topic : inputs.topicNames()) {
        parts.addAll(VersionLog.partitions(consumer, topic));
      }
      consumer.assign(parts);
      seekToStart(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      // from the positions just sought: after a restore, the features topic only from where the
      // store left it
      LOG.info(
          "Replaying {} partitions (up to {} records) to rebuild the store",
          parts.size(),
          parts.stream().mapToLong(p -> end.get(p) - consumer.position(p)).sum());
      while (!closing) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(VersionLog.POLL)) {
          apply(r);
        }
        if (caughtUp.getCount() > 0
            && parts.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
          onCaughtUp.run();
          caughtUp.countDown();
        }
        if (caughtUp.getCount() == 0) {
          afterPoll.run();
        }
      }
    } catch (WakeupException e) {
      if (!closing) {
        failure = e;
      }
    } catch (RuntimeException e) {
      failure = e;
      LOG.error("The trainer's consumer stopped", e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /**
   * The registry and the counts from their beginning; the features from where the restored store
   * left each partition (the beginning when it holds nothing of it). Records that expired before
   * the store took them are lost, and logged.
   */
  private void seekToStart(List<TopicPartition> parts) {
    Map<Integer, Long> positions = inputs.store().contents().positions();
    List<TopicPartition> fromStore =
        parts.stream()
            .filter(
                p ->
                    p.topic().equals(inputs.featuresTopic())
                        && positions.containsKey(p.partition()))
            .toList();
    List<TopicPartition> fromBeginning =
        parts.stream().filter(p -> !fromStore.contains(p)).toList();
    consumer.seekToBeginning(fromBeginning);
    Map<TopicPartition, Long> beginning = consumer.beginningOffsets(fromStore);
    for (TopicPartition p : fromStore) {
      long position = positions.get(p.partition());
      if (beginning.get(p) > position) {
        LOG.warn(
            "{} records of {} expired before the training store took them: they are lost (the store is"
                + " written with every fit; refit.interval.seconds bounds how long that takes)",
            beginning.get(p) - position,
            p);
      }
      consumer.seek(p, Math.max(position, beginning.get(p)));
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    try {
      inputs.apply(r.topic(), r.partition(), r.offset(), r.key(), r.value());
    } catch (RuntimeException e) {
      skippedRecords.increment();
      LOG.warn(
          "Skipping record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
    }
  }

  /** Asks the thread to stop (a poll in progress is woken) without waiting for it. */
  void stop() {
    closing = true;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  /** Stops the thread and waits for it at most 10 s. */
  @Override
  public void close() {
    stop();
    if (thread != null) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
