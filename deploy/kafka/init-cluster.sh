#!/usr/bin/env bash
# Prepares a Kafka cluster for Yilian, as its administrator over SASL_SSL (SCRAM-SHA-512):
# optionally sets the services' SCRAM credentials, then creates the topics (create-topics.sh)
# and the ACLs (create-acls.sh). Idempotent; the compose file and the Kubernetes Job run it.
#   BOOTSTRAP=kafka-1:9092,...   KAFKA_CA=ca.pem (the brokers' CA)   ADMIN_PASSWORD_FILE=admin.password
#   [ADMIN_USER=admin]  [SCRAM_DIR=dir: one USER.password file per user to create or reset]
#   [KAFKA_BIN=/opt/kafka/bin]   deploy/kafka/init-cluster.sh
# Passwords stay off command lines (they go through files); use letters and digits only
# (`openssl rand -hex 24`), as they are written into a JAAS line and a properties file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
: "${BOOTSTRAP:?set BOOTSTRAP to the bootstrap servers (the SASL_SSL listener)}"
: "${KAFKA_CA:?set KAFKA_CA to the PEM file of the CA of the brokers certificates}"
: "${ADMIN_PASSWORD_FILE:?set ADMIN_PASSWORD_FILE to the file holding the admin password}"
export BOOTSTRAP
ADMIN_USER=${ADMIN_USER:-admin}
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
admin=$work/admin.properties
cat >"$admin" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$ADMIN_USER" password="$(cat "$ADMIN_PASSWORD_FILE")";
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_CA
PROPS

tries=0
until "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$admin" --list >/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -lt 90 ] || { echo "init-cluster: Kafka at $BOOTSTRAP did not answer" >&2; exit 1; }
  sleep 2
done

if [ -n "${SCRAM_DIR:-}" ]; then
  for f in "$SCRAM_DIR"/*.password; do
    [ -e "$f" ] || continue
    user=$(basename "$f" .password)
    # --add-config-file takes the value without the brackets --add-config wants
    printf 'SCRAM-SHA-512=password=%s\n' "$(cat "$f")" >"$work/scram.properties"
    "$KAFKA_BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$admin" --alter \
      --entity-type users --entity-name "$user" --add-config-file "$work/scram.properties" </dev/null
    rm -f "$work/scram.properties"
  done
fi

bash "$here/create-topics.sh" --command-config "$admin"
bash "$here/create-acls.sh" --command-config "$admin"
