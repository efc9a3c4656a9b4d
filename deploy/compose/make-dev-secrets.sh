#!/usr/bin/env bash
# Makes ./secrets for compose.yaml. FOR DEVELOPMENT ONLY: the CA keys lie beside what they
# sign, unencrypted, and the files the containers read are world-readable (their directory is
# not), because compose bind-mounts them as they are and the containers run as other users
# (Kafka 1000, Yilian 10001). Run it again at will: passwords, bus keys, the master key and the
# Kafka certificate are kept; the gRPC certificates are made anew from the same CA.
#   deploy/compose/make-dev-secrets.sh [DIR]          (default deploy/compose/secrets)
#
# Rotating a bus key (deploy/README.md, "Security"): append a line
# `<service> <new-id> $(openssl rand -hex 32)` to DIR/bus.keys.all, run this again, restart
# the services following <service>, then <service>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/secrets}
services=(registry referral greenchannel audit)
mkdir -p "$out"
chmod 700 "$out"
umask 077
cd "$out"
chmod -R u+w .

once() {  # once FILE COMMAND...: FILE := the output of COMMAND, unless FILE is there
  [ -s "$1" ] || "${@:2}" >"$1"
}
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# The master key that wraps the patients' data keys (registry, referral, green channel).
once master.key openssl rand -hex 32

# Kafka: a CA, one broker certificate (CN=kafka-broker, the brokers' principal in
# super.users; for the KRaft quorum and replication, so client and server use), its PKCS#12
# keystore, and the SCRAM-SHA-512 passwords of the administrator and of each service.
mkdir -p kafka
if [ ! -s kafka/ca.pem ]; then
  key kafka/ca.key
  openssl req -x509 -new -key kafka/ca.key -sha256 -days 3650 -subj "/O=Yilian development/CN=Yilian Kafka development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out kafka/ca.pem
fi
once kafka/keystore.password openssl rand -hex 16
if [ ! -s kafka/broker.p12 ]; then
  key kafka/broker.key
  openssl req -new -key kafka/broker.key -subj "/CN=kafka-broker" -out kafka/broker.csr
  printf '%s\n' "subjectAltName=DNS:kafka-1,DNS:kafka-2,DNS:kafka-3,DNS:localhost" \
    "extendedKeyUsage=serverAuth,clientAuth" "keyUsage=critical,digitalSignature" >kafka/broker.ext
  openssl x509 -req -in kafka/broker.csr -CA kafka/ca.pem -CAkey kafka/ca.key -CAcreateserial -sha256 -days 825 \
    -extfile kafka/broker.ext -out kafka/broker.pem 2>/dev/null
  openssl pkcs12 -export -in kafka/broker.pem -inkey kafka/broker.key -certfile kafka/ca.pem -name kafka-broker \
    -passout file:kafka/keystore.password -out kafka/broker.p12
  rm -f kafka/broker.csr kafka/broker.ext
fi
once kafka/admin.password openssl rand -hex 24
for s in "${services[@]}"; do once "kafka/yilian-$s.password" openssl rand -hex 24; done

# gRPC: the mutual-TLS profile of scripts/dev-ca.sh. A server certificate per service (valid
# for its compose name and for localhost, where the ports are published), a SERVICE client
# certificate per service for the catch-up feeds (CN=yilian-<service>, O=yilian, OU=service),
# and clients for yilianctl: a consortium admin and an auditor.
ca_args=()
for s in "${services[@]}"; do ca_args+=(--server "$s" --client "yilian-$s:yilian:service"); done
"$here/../../scripts/dev-ca.sh" "$out/grpc" "${ca_args[@]}" --client "admin@dev:-:consortium-admin" \
  --client "auditor@dev:-:auditor" >/dev/null

# Bus keys: one signing key per service in bus.keys.all; each service's file holds its own
# keys and those of the services it follows, in the order of bus.keys.all (the last key
# listed for a service is the one it signs with).
if [ ! -s bus.keys.all ]; then
  {
    echo "# <service> <key-id> <64 hex digits>: every service's bus keys (make-dev-secrets.sh splits them)"
    for s in "${services[@]}"; do echo "$s dev-1 $(openssl rand -hex 32)"; done
  } >bus.keys.all
fi
sources() {
  case $1 in
    registry) echo "registry" ;;
    referral) echo "referral registry greenchannel" ;;
    greenchannel) echo "greenchannel registry referral" ;;
    audit) echo "audit registry referral greenchannel" ;;
  esac
}

# Per service: bus.keys, and kafka.json, the config file (YILIAN_CONFIG) that carries
# kafka.properties: librdkafka takes the SCRAM password only as a property.
for s in "${services[@]}"; do
  mkdir -p "$s"
  awk -v want=" $(sources "$s") " '{ sub(/#.*/, "") } NF == 3 && index(want, " " $1 " ")' bus.keys.all >"$s/bus.keys"
  printf '{"kafka.properties": "%s"}\n' "security.protocol=SASL_SSL;sasl.mechanism=SCRAM-SHA-512;sasl.username=yilian-$s;sasl.password=$(cat "kafka/yilian-$s.password");ssl.ca.location=/run/secrets/kafka-ca.pem" \
    >"$s/kafka.json"
done

# What the containers read: readable by their users (this directory stays owner-only).
chmod 0444 master.key kafka/ca.pem kafka/broker.p12 kafka/keystore.password kafka/*.password grpc/ca.pem \
  grpc/server-*.pem grpc/server-*.key grpc/client-yilian-*.pem grpc/client-yilian-*.key ./*/bus.keys ./*/kafka.json
echo "secrets in $out"
