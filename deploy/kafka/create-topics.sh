#!/bin/sh
# Creates the topics of candle-stream, as schemas' TopicSpecs.all lists them (README, "Topics"):
# classes and class-counts compacted; models compacted, ONE partition; the trainer's training
# store compacted, ONE partition; the models' history delete with retention.ms=-1 (every version
# kept), ONE partition; every other topic delete. Model versions travel in chunks of at most
# 1 MB (ModelVersions, VersionChunks), so the broker's default record size serves. Idempotent (--if-not-exists): the compose file runs it at every start.
# POSIX sh (the apache/kafka image's tools). ComposeTopicsTest runs it against a real broker and
# compares the topics with TopicSpecs.
#
# Environment: BOOTSTRAP_SERVERS (kafka:9092), TOPIC_PARTITIONS (6), REPLICATION_FACTOR (1),
# KAFKA_TOPICS (/opt/kafka/bin/kafka-topics.sh).
set -eu

BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka:9092}"
TOPIC_PARTITIONS="${TOPIC_PARTITIONS:-6}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
KAFKA_TOPICS="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"

# create NAME PARTITIONS [CONFIG=VALUE ...]
create() {
  name="$1"
  partitions="$2"
  shift 2
  # each CONFIG=VALUE becomes "--config CONFIG=VALUE" (POSIX sh has no arrays)
  for c in "$@"; do
    set -- "$@" --config "$c"
    shift
  done
  "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVERS" --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor "$REPLICATION_FACTOR" "$@"
  echo "topic $name ready"
}

create candle.images.labeled "$TOPIC_PARTITIONS" cleanup.policy=delete
create candle.images.unlabeled "$TOPIC_PARTITIONS" cleanup.policy=delete
create candle.classes.announcements "$TOPIC_PARTITIONS" cleanup.policy=delete
create candle.classes "$TOPIC_PARTITIONS" cleanup.policy=compact
create candle.class-counts "$TOPIC_PARTITIONS" cleanup.policy=compact
create candle.features "$TOPIC_PARTITIONS" cleanup.policy=delete
create candle.models 1 cleanup.policy=compact
create candle.predictions "$TOPIC_PARTITIONS" cleanup.policy=delete
create candle.dead-letter "$TOPIC_PARTITIONS" cleanup.policy=delete
create candle.training-store 1 cleanup.policy=compact
create candle.models.history 1 cleanup.policy=delete retention.ms=-1
