package ai.candle.schemas;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The topics to create before the services start (the services never create them): names,
 * partitions and configs as docs/design.md's topic table says. Used by the embedded default, the
 * tests and documented for operators (README, docker-compose).
 *
 * <ul>
 *   <li>{@code candle.classes} and {@code candle.class-counts}: compacted;
 *   <li>{@code candle.models}: compacted, ONE partition (versions are totally ordered), records up
 *       to the model limit ({@link ModelVersions#topicConfig(int)});
 *   <li>{@code candle.training-store}: compacted, ONE partition (a restarted trainer reads it
 *       whole): the trainer's store of samples per class, which outlives {@code candle.features};
 *   <li>{@code candle.models.history}: {@code delete} with {@code retention.ms=-1} (kept until an
 *       operator sets a retention), ONE partition, records up to the model limit ({@link
 *       ModelVersions#historyTopicConfig(int)}): every version published on {@code candle.models}
 *       again, which compaction does not erase ({@code candle models} reads it);
 *   <li>every other topic: {@code delete}, with the broker's retention.
 * </ul>
 */
public final class TopicSpecs {

  private TopicSpecs() {}

  /**
   * The topics with {@code partitions} partitions each (the models topic has one).
   *
   * @param replication replication factor (1 on a single broker)
   */
  public static List<NewTopic> all(TopicNames names, int partitions, short replication) {
    Map<String, String> compact =
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    Map<String, String> delete =
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
    return List.of(
        new NewTopic(names.labeledImages(), partitions, replication).configs(delete),
        new NewTopic(names.unlabeledImages(), partitions, replication).configs(delete),
        new NewTopic(names.classAnnouncements(), partitions, replication).configs(delete),
        new NewTopic(names.classes(), partitions, replication).configs(compact),
        new NewTopic(names.classCounts(), partitions, replication).configs(compact),
        new NewTopic(names.features(), partitions, replication).configs(delete),
        new NewTopic(names.models(), 1, replication).configs(ModelVersions.topicConfig()),
        new NewTopic(names.predictions(), partitions, replication).configs(delete),
        new NewTopic(names.deadLetter(), partitions, replication).configs(delete),
        new NewTopic(names.trainingStore(), 1, replication).configs(compact),
        new NewTopic(names.modelHistory(), 1, replication)
            .configs(ModelVersions.historyTopicConfig()));
  }
}
