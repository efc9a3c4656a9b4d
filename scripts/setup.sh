#!/usr/bin/env bash
# Installs whatever Debian packages Yilian needs that are missing and the Node.js packages of
# the FHIR gateway's tests (tests/fhir), then configures and builds. Idempotent: a second run
# installs nothing and rebuilds only what changed.
#   scripts/setup.sh            install + build (Release, -j2)
#   YILIAN_BUILD_DIR=dir        build directory (default: build)
#   YILIAN_SKIP_BUILD=1         install only
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config ccache git clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev librdkafka-dev
  libabsl-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev openssl libcivetweb-dev curl
)
# Node.js runs the FHIR gateway's client-side tests (tests/fhir). A node or npm already on PATH,
# from whatever source, is used as it is; only a missing one comes from Debian.
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)

step() { printf '\n==> %s\n' "$*"; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  step "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  step "all Debian packages present"
fi

# npm rewrites node_modules/.package-lock.json on every install: older than the committed
# lockfile (or absent), the installed tree is stale.
installed_lock=tests/fhir/node_modules/.package-lock.json
if [ ! -e "$installed_lock" ] || [ tests/fhir/package-lock.json -nt "$installed_lock" ]; then
  step "installing the FHIR tests' Node.js packages (tests/fhir)"
  npm ci --prefix tests/fhir --no-audit --no-fund
else
  step "FHIR tests' Node.js packages present"
fi

[ "${YILIAN_SKIP_BUILD:-0}" = 1 ] && exit 0

BUILD_DIR=${YILIAN_BUILD_DIR:-build}
JOBS=${YILIAN_JOBS:-2}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
step "configuring ($BUILD_DIR)"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${YILIAN_BUILD_TYPE:-RelWithDebInfo}" "${launcher[@]}" >"$BUILD_DIR.configure.log" 2>&1 \
  || { cat "$BUILD_DIR.configure.log"; echo "configure failed: see $BUILD_DIR.configure.log" >&2; exit 1; }
step "building with -j$JOBS (log: $BUILD_DIR.build.log)"
# Progress lines only; the whole output goes to the log.
set +e
cmake --build "$BUILD_DIR" -j"$JOBS" >"$BUILD_DIR.build.log" 2>&1 &
build_pid=$!
last=""
while kill -0 "$build_pid" 2>/dev/null; do
  sleep 5
  now=$(grep -oE '^\[ *[0-9]+%\]' "$BUILD_DIR.build.log" | tail -n 1)
  [ -n "$now" ] && [ "$now" != "$last" ] && { echo "    build $now"; last=$now; }
done
wait "$build_pid"
rc=$?
set -e
if [ "$rc" != 0 ]; then
  grep -E 'error|Error' "$BUILD_DIR.build.log" | head -n 30 >&2
  echo "build failed: see $BUILD_DIR.build.log" >&2
  exit 1
fi
echo "    build done"
