#!/usr/bin/env bash
# Installs whatever Debian packages Yilian needs that are missing, then configures and
# builds. Idempotent: a second run installs nothing and rebuilds only what changed.
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
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev openssl
)

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
