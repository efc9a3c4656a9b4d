#!/usr/bin/env bash
# Starts the Yilian platform on its embedded default and shows it working:
# installs what is missing, builds, starts the embedded Kafka-protocol broker and every
# service that exists so far as separate processes (data and logs under one root), checks
# them, then keeps serving until Ctrl-C.
#   YILIAN_HOME=dir         data root (default: .yilian in the repo)
#   YILIAN_BUILD_DIR=dir    build directory, relative to the repo or absolute (default: build)
#   YILIAN_SKIP_SETUP=1     use the binaries already built there (tests do)
#   YILIAN_GATEWAY_LISTEN=host:port  the FHIR gateway (default: a free port on 127.0.0.1, printed)
# Ctrl-C stops every process it started, broker last, however its output is piped
# (`scripts/run.sh | tee log`: the reader dies with the Ctrl-C, the stopping goes on).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HOME_DIR=${YILIAN_HOME:-$ROOT/.yilian}
BUILD_DIR=${YILIAN_BUILD_DIR:-build}
case $BUILD_DIR in
  /*) BIN=$BUILD_DIR ;;
  *) BIN=$ROOT/$BUILD_DIR ;;
esac

step() { printf '\n==> %s\n' "$*"; }
# fail what [file...]: says what failed and shows the last lines of each file that exists.
fail() {
  printf '\nFAILED: %s\n' "$1" >&2
  shift
  for f in "$@"; do [ -s "$f" ] && { echo "--- last lines of $f:" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}

step "1/4 install and build"
if [ "${YILIAN_SKIP_SETUP:-}" = 1 ]; then
  echo "    skipped (YILIAN_SKIP_SETUP=1): using $BIN"
else
  scripts/setup.sh || fail "install/build" "$BUILD_DIR.build.log"
fi

mkdir -p "$HOME_DIR/logs"
pids=()
cleanup() {
  # Nothing may cut the stopping short and leave the broker running: not a second Ctrl-C, and
  # not a reader of this output that the Ctrl-C ended (a write to it fails, and is ignored).
  trap '' INT TERM PIPE
  set +e
  step "stopping"
  # Reverse start order: the services first (their Kafka clients say goodbye to a live
  # broker), the broker last.
  # A process that has not stopped 30 s after SIGTERM is killed, so none is left running.
  running() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || continue
    for _ in $(seq 1 300); do running "${pids[i]}" || break; sleep 0.1; done
    if running "${pids[i]}"; then
      echo "process ${pids[i]} did not stop within 30 s of SIGTERM; killing it" >&2
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
    wait "${pids[i]}" 2>/dev/null || true
  done
  echo "stopped; data kept in $HOME_DIR"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

step "2/4 start the embedded broker (librdkafka mock cluster, 3 brokers)"
rm -f "$HOME_DIR/bootstrap"
# Its own session: Ctrl-C reaches the services at once but not the broker, which cleanup
# stops last, after the services have said goodbye to it.
setsid "$BIN/tools/yilian-broker" --bootstrap-file="$HOME_DIR/bootstrap" >"$HOME_DIR/logs/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do [ -s "$HOME_DIR/bootstrap" ] && break; sleep 0.1; done
[ -s "$HOME_DIR/bootstrap" ] || fail "broker start" "$HOME_DIR/logs/broker.log"
BOOTSTRAP=$(cat "$HOME_DIR/bootstrap")
echo "    broker up: $BOOTSTRAP (log: $HOME_DIR/logs/broker.log)"

step "3/4 start the services"
# Development credentials: random bearer tokens, kept only as SHA-256 in the tokens file.
TOKENS=$HOME_DIR/tokens
umask 077
for who in admin service dispatch township lead auditor; do
  [ -s "$HOME_DIR/$who.token" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$HOME_DIR/$who.token"
done
# The master key that wraps the patients' data keys (libs/privacy): 64 hex digits, owner-only.
[ -s "$HOME_DIR/master.key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$HOME_DIR/master.key"
# The keys that sign each service's Kafka messages (libs/bus bus_keys.h): one per service, kept
# across restarts (a consumer verifies what was signed before with the same key).
if [ ! -s "$HOME_DIR/bus.keys" ]; then
  for svc in registry referral greenchannel audit; do
    echo "$svc dev-1 $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  done >"$HOME_DIR/bus.keys"
fi
hash() { printf %s "$(cat "$HOME_DIR/$1.token")" | sha256sum | cut -d' ' -f1; }
{
  echo "# development tokens written by scripts/run.sh (sha256 of $HOME_DIR/*.token)"
  echo "sha256:$(hash admin) admin@dev - consortium-admin"
  echo "sha256:$(hash service) services@dev - service"
  echo "sha256:$(hash dispatch) dispatch@dev - dispatch"
  echo "sha256:$(hash township) dr.li@qiaotouhe-thc qiaotouhe-thc clinician"
  echo "sha256:$(hash lead) dr.zhang@loudi-1st loudi-1st clinician"
  echo "sha256:$(hash auditor) auditor@dev - auditor"
} >"$TOKENS"
umask 022
services=()
for svc in registry referral greenchannel audit; do
  exe="$BIN/services/$svc/yilian-$svc"
  [ -x "$exe" ] || continue
  rm -f "$HOME_DIR/$svc.addr" "$HOME_DIR/$svc.addr.metrics"
  extra=()  # consumers reach the owners' catch-up feeds through their address files
  [ "$svc" = audit ] || extra=(--privacy.master_key_file="$HOME_DIR/master.key")  # the audit keeps no patient keys
  case $svc in
    referral) extra+=(--feed.registry="@$HOME_DIR/registry.addr" --feed.greenchannel="@$HOME_DIR/greenchannel.addr"
                     --feed.token.file="$HOME_DIR/service.token") ;;
    audit) extra+=(--feed.registry="@$HOME_DIR/registry.addr" --feed.referral="@$HOME_DIR/referral.addr"
                  --feed.greenchannel="@$HOME_DIR/greenchannel.addr" --feed.token.file="$HOME_DIR/service.token") ;;
    greenchannel) extra+=(--feed.registry="@$HOME_DIR/registry.addr" --feed.referral="@$HOME_DIR/referral.addr"
                         --feed.token.file="$HOME_DIR/service.token") ;;
  esac
  # The service writes its log itself, rotated at 100 MiB with five old files kept
  # (<svc>.1.log is the newest of them); <svc>.stderr gets what is printed outside the log
  # (before logging starts, a crash).
  "$exe" --data.dir="$HOME_DIR/$svc" --kafka.bootstrap="@$HOME_DIR/bootstrap" --tokens.file="$TOKENS" --bus.keys_file="$HOME_DIR/bus.keys" \
    --address.file="$HOME_DIR/$svc.addr" --metrics.listen=127.0.0.1:0 "${extra[@]}" \
    --log.file="$HOME_DIR/logs/$svc.log" --log.stderr=false >"$HOME_DIR/logs/$svc.stderr" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do [ -s "$HOME_DIR/$svc.addr" ] && break; sleep 0.1; done
  [ -s "$HOME_DIR/$svc.addr" ] || fail "$svc start" "$HOME_DIR/logs/$svc.stderr" "$HOME_DIR/logs/$svc.log"
  echo "    $svc serving on $(cat "$HOME_DIR/$svc.addr") (log: $HOME_DIR/logs/$svc.log," \
    "metrics: http://$(cat "$HOME_DIR/$svc.addr.metrics" 2>/dev/null)/metrics)"
  services+=("$svc")
done
[ ${#services[@]} -gt 0 ] || echo "    no services are built yet"
# The FHIR R4 gateway: HTTP in front of the referral service, with the caller's own token.
gateway="$BIN/services/gateway/yilian-gateway"
if [ -x "$gateway" ] && [ -s "$HOME_DIR/referral.addr" ]; then
  rm -f "$HOME_DIR/gateway.addr"
  "$gateway" --http.listen="${YILIAN_GATEWAY_LISTEN:-127.0.0.1:0}" --upstream.referral="@$HOME_DIR/referral.addr" \
    --upstream.registry="@$HOME_DIR/registry.addr" \
    --address.file="$HOME_DIR/gateway.addr" --log.file="$HOME_DIR/logs/gateway.log" >"$HOME_DIR/logs/gateway.stderr" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do [ -s "$HOME_DIR/gateway.addr" ] && break; sleep 0.1; done
  [ -s "$HOME_DIR/gateway.addr" ] || fail "gateway start" "$HOME_DIR/logs/gateway.stderr" "$HOME_DIR/logs/gateway.log"
  echo "    gateway: FHIR R4 at $(cat "$HOME_DIR/gateway.addr") (log: $HOME_DIR/logs/gateway.log)"
fi

step "4/4 show it working"
"$BIN/tools/yilian-broker" --check="$BOOTSTRAP" || fail "broker check" "$HOME_DIR/logs/broker.log"
for t in registry referral greenchannel audit; do echo "    topic yilian.$t.events created"; done
if [ -s "$HOME_DIR/registry.addr" ]; then
  echo "    importing the sample consortia of DOMAIN.md (idempotent: a second run changes nothing)"
  "$BIN/services/registry/yilian-registry-import" --registry="$(cat "$HOME_DIR/registry.addr")" \
    --token-file="$HOME_DIR/admin.token" deploy/consortia/sample.yaml | sed 's/^/    /' \
    || fail "sample import" "$HOME_DIR/logs/registry.log"
fi

if [ -x "$BIN/tools/yilianctl" ] && [ ${#services[@]} -eq 4 ]; then
  step "the scenario (scripts/demo.sh; yilianctl calls, tokens in $HOME_DIR/*.token)"
  YILIAN_HOME=$HOME_DIR YILIANCTL=$BIN/tools/yilianctl scripts/demo.sh || fail "the scenario" "$HOME_DIR/logs/referral.log"
fi

printf '\nYilian is running (data: %s). Press Ctrl-C to stop.\n' "$HOME_DIR"
while :; do
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a platform process exited" "$HOME_DIR/logs/broker.log" "$HOME_DIR"/logs/*.stderr; done
  sleep 2
done
