#!/usr/bin/env bash
# Creates Yilian's topics with Kafka's own tool (kafka-topics.sh from the Kafka distribution):
# infinite retention, replication factor 3, min.insync.replicas=2. Idempotent (--if-not-exists).
#   KAFKA_BIN=/opt/kafka/bin  BOOTSTRAP=kafka-1:9092,kafka-2:9092  deploy/kafka/create-topics.sh
#   [--command-config client.properties]   (TLS / SASL settings for the admin client)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
: "${BOOTSTRAP:?set BOOTSTRAP to the bootstrap servers of the cluster}"
REPLICATION=${REPLICATION:-3}
MIN_ISR=${MIN_ISR:-2}
grep -v '^\s*#' "$here/topics.conf" | while read -r topic partitions; do
  [ -n "$topic" ] || continue
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" "$@" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$REPLICATION" \
    --config retention.ms=-1 --config retention.bytes=-1 --config min.insync.replicas="$MIN_ISR" \
    --config cleanup.policy=delete --config unclean.leader.election.enable=false
  echo "topic $topic: $partitions partitions, replication $REPLICATION, min.insync.replicas $MIN_ISR, kept forever"
done
