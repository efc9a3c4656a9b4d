#!/usr/bin/env bash
# Creates a development certificate authority and the certificates of Yilian's mutual-TLS
# profile with OpenSSL. FOR DEVELOPMENT AND TESTS ONLY: the CA key sits next to the
# certificates, unencrypted.
#
#   scripts/dev-ca.sh DIR [--server NAME[,SAN...]]... [--client SUBJECT:INSTITUTION:ROLE]...
#
# Writes into DIR (created if needed; an existing ca.pem is reused, so certificates of one
# DIR all chain to one CA):
#   ca.pem, ca.key                         the CA (EC P-256, 10 years)
#   server-NAME.pem, server-NAME.key       a server certificate for NAME, valid for
#                                          localhost, 127.0.0.1, NAME and any extra SANs
#                                          (DNS names, or IP:a.b.c.d)
#   client-SUBJECT.pem, client-SUBJECT.key a client certificate whose subject is
#                                          CN=SUBJECT, O=INSTITUTION, OU=ROLE: the principal
#                                          the services read (libs/host, Authenticator)
# ROLE is one of consortium-admin, clinician, referral-office, dispatch, auditor, service,
# hospital-system.
# With no --server or --client it makes one server certificate per service and the clients
# of scripts/run.sh's development principals.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,19p' "$0" >&2; exit 2; }
DIR=$1
shift
servers=()
clients=()
while [ $# -gt 0 ]; do
  case $1 in
    --server) servers+=("$2"); shift 2 ;;
    --client) clients+=("$2"); shift 2 ;;
    *) echo "dev-ca.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ ${#servers[@]} -eq 0 ] && [ ${#clients[@]} -eq 0 ]; then
  servers=(registry referral greenchannel audit)
  clients=("admin@dev:-:consortium-admin" "services@dev:-:service" "dispatch@dev:-:dispatch"
           "dr.li@qiaotouhe-thc:qiaotouhe-thc:clinician" "dr.zhang@loudi-1st:loudi-1st:clinician"
           "auditor@dev:-:auditor")
fi
mkdir -p "$DIR"
umask 077
cd "$DIR"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ ! -s ca.pem ]; then
  key ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/O=Yilian development/CN=Yilian development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
  echo "CA: $DIR/ca.pem"
fi

sign() {  # sign NAME EXTFILE: NAME.csr -> NAME.pem
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 825 \
    -extfile "$2" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$2"
}

for spec in "${servers[@]}"; do
  IFS=, read -r name extra <<<"$spec"
  san="DNS:localhost,IP:127.0.0.1,DNS:$name"
  if [ -n "${extra:-}" ]; then
    IFS=, read -ra more <<<"$extra"
    for s in "${more[@]}"; do
      case $s in IP:*) san+=",$s" ;; *) san+=",DNS:$s" ;; esac
    done
  fi
  key "server-$name.key"
  openssl req -new -key "server-$name.key" -subj "/O=Yilian/CN=$name" -out "server-$name.csr"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "$san" >"server-$name.ext"
  sign "server-$name" "server-$name.ext"
  echo "server $name: $DIR/server-$name.pem ($san)"
done

for spec in "${clients[@]}"; do
  IFS=: read -r subject institution role <<<"$spec"
  [ -n "${role:-}" ] || { echo "dev-ca.sh: --client wants SUBJECT:INSTITUTION:ROLE, got $spec" >&2; exit 2; }
  case $role in
    consortium-admin|clinician|referral-office|dispatch|auditor|service|hospital-system) ;;
    *) echo "dev-ca.sh: unknown role $role" >&2; exit 2 ;;
  esac
  key "client-$subject.key"
  openssl req -new -key "client-$subject.key" -subj "/O=$institution/OU=$role/CN=$subject" -out "client-$subject.csr"
  printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' >"client-$subject.ext"
  sign "client-$subject" "client-$subject.ext"
  echo "client $subject: $DIR/client-$subject.pem (O=$institution, OU=$role)"
done
