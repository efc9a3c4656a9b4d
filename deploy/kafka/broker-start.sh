#!/usr/bin/env bash
# Starts one Kafka 3.7 KRaft node (combined broker and controller) secured the way Yilian's
# compose file runs it, in the apache/kafka image (its entrypoint, replacing the image's own):
# - CLIENT     :9092  SASL_SSL, SCRAM-SHA-512: the services and the administrator;
# - CONTROLLER :9093  SSL with client certificates: the KRaft quorum;
# - INTERNAL   :9094  SSL with client certificates: replication between brokers;
# - StandardAuthorizer, nothing allowed without an ACL; SUPER_USERS are the administrator
#   and the brokers' certificate subjects.
# On first start it formats the data directory and creates a SCRAM-SHA-512 user per
# $SECRETS/scram-USER.password (later changes: kafka-configs.sh, see init-cluster.sh).
# Environment: NODE_ID, CLUSTER_ID (kafka-storage.sh random-uuid), VOTERS
# (1@kafka-1:9093,...), SUPER_USERS (User:admin;User:CN=...), ADVERTISED_HOST (default: the
# host name), SECRETS (default /run/secrets: keystore.p12, keystore.password, kafka-ca.pem,
# scram-*.password), DATA_DIR (default /var/lib/kafka/data).
set -euo pipefail
: "${NODE_ID:?}" "${CLUSTER_ID:?}" "${VOTERS:?}" "${SUPER_USERS:?}"
KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
S=${SECRETS:-/run/secrets}
HOST=${ADVERTISED_HOST:-$(hostname)}
DATA=${DATA_DIR:-/var/lib/kafka/data}
umask 077
work=$(mktemp -d)
props=$work/server.properties
pass=$(cat "$S/keystore.password")
cat >"$props" <<PROPS
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=CLIENT://:9092,CONTROLLER://:9093,INTERNAL://:9094
advertised.listeners=CLIENT://$HOST:9092,INTERNAL://$HOST:9094
listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SSL,INTERNAL:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.controller.ssl.client.auth=required
listener.name.internal.ssl.client.auth=required
ssl.keystore.type=PKCS12
ssl.keystore.location=$S/keystore.p12
ssl.keystore.password=$pass
ssl.key.password=$pass
ssl.truststore.type=PEM
ssl.truststore.location=$S/kafka-ca.pem
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=$SUPER_USERS
log.dirs=$DATA
auto.create.topics.enable=false
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
unclean.leader.election.enable=false
log.retention.ms=-1
PROPS

# The format arguments go through a file (kafka-storage.sh reads @FILE, one argument a line),
# so that no password shows on a command line.
args=$work/format.args
printf '%s\n' format --ignore-formatted --cluster-id "$CLUSTER_ID" --config "$props" >"$args"
for f in "$S"/scram-*.password; do
  [ -e "$f" ] || continue
  user=${f##*/scram-}
  user=${user%.password}
  printf '%s\n' --add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$f")]" >>"$args"
done
"$KAFKA_BIN/kafka-storage.sh" "@$args"
rm -f "$args"
exec "$KAFKA_BIN/kafka-server-start.sh" "$props"
