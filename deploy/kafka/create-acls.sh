#!/usr/bin/env bash
# Grants each Yilian service what acls.conf lists, and nothing else, with Kafka's own tool
# (kafka-acls.sh). Idempotent: an ACL that exists is left as it is. Grants only: an ACL removed
# from acls.conf must be removed by hand (kafka-acls.sh --remove; --list shows them all).
#   KAFKA_BIN=/opt/kafka/bin  BOOTSTRAP=kafka-1:9092,kafka-2:9092  deploy/kafka/create-acls.sh
#   [--command-config admin.properties]   (TLS / SASL settings of a principal allowed to alter ACLs)
# Service S's principal is ${PRINCIPAL_PREFIX}S: by default User:yilian-S, its SCRAM user name.
# Under mutual TLS to Kafka, set PRINCIPAL_PREFIX to what your ssl.principal.mapping.rules make
# of the services' certificates.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
: "${BOOTSTRAP:?set BOOTSTRAP to the bootstrap servers of the cluster}"
PRINCIPAL_PREFIX=${PRINCIPAL_PREFIX:-User:yilian-}
admin=("$@")

acl() {  # acl PRINCIPAL ARGS...: one --add
  local principal=$1
  shift
  "$KAFKA_BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" "${admin[@]}" --add --allow-principal "$principal" \
    --allow-host '*' "$@" </dev/null >/dev/null
}

while read -r service group writes reads; do
  case $service in '' | '#'*) continue ;; esac
  principal="$PRINCIPAL_PREFIX$service"
  if [ "$writes" != - ]; then
    IFS=, read -ra topics <<<"$writes"
    for topic in "${topics[@]}"; do
      acl "$principal" --operation Write --operation Describe --operation DescribeConfigs --topic "$topic" \
        --resource-pattern-type literal
    done
    acl "$principal" --operation IdempotentWrite --cluster
  fi
  if [ "$reads" != - ]; then
    IFS=, read -ra topics <<<"$reads"
    for topic in "${topics[@]}"; do
      acl "$principal" --operation Read --operation Describe --topic "$topic" --resource-pattern-type literal
    done
  fi
  if [ "$group" != - ]; then
    acl "$principal" --operation Read --group "$group" --resource-pattern-type literal
  fi
  echo "acls $principal: writes $writes; reads $reads; group $group"
done <"$here/acls.conf"
