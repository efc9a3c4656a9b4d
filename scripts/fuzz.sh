#!/usr/bin/env bash
# Runs every libFuzzer target in fuzz/ for a bounded time (issue 10, "Hostile input"). Not part
# of CI's default run (.ci/run runs scripts/test.sh, which runs the crash regressions only).
#   scripts/fuzz.sh [seconds-per-target]    default 60
#   YILIAN_FUZZ_TARGETS="envelope referral_commands"   only these targets
#   YILIAN_FUZZ_BUILD_DIR=dir   build directory (default build-fuzz; clang, sanitizers)
#   YILIAN_FUZZ_WORK=dir        grown corpora, crash artifacts and logs (default <build dir>/fuzz-work)
#   YILIAN_FUZZ_JOBS=n          build jobs (default 1; the build and the fuzzers run under nice -n 10)
# Installs clang and libclang-rt-14-dev if missing (apt-get, as setup.sh does), configures a
# separate clang build with -fsanitize=fuzzer,address,undefined, builds only the fuzz targets,
# runs each with -max_total_time, and exits non-zero when any target crashed. A crash leaves its
# input in <work>/crashes/<target>/; add it to fuzz/regressions/<target>/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-60}
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [seconds-per-target]" >&2; exit 2; }
BUILD_DIR=${YILIAN_FUZZ_BUILD_DIR:-build-fuzz}
WORK=${YILIAN_FUZZ_WORK:-$BUILD_DIR/fuzz-work}
JOBS=${YILIAN_FUZZ_JOBS:-1}
ALL_TARGETS=(envelope bus_verify archive_entry registry_commands referral_commands greenchannel_commands audit_requests
             registry_events referral_events greenchannel_events)
read -r -a TARGETS <<<"${YILIAN_FUZZ_TARGETS:-${ALL_TARGETS[*]}}"

step() { printf '\n==> %s\n' "$*"; }

# The project's own packages (setup.sh, install only), then the fuzzing toolchain.
YILIAN_SKIP_BUILD=1 scripts/setup.sh
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
missing=()
for p in "${FUZZ_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  step "installing Debian packages for fuzzing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Every project target is compiled with ASan + UBSan and libFuzzer's coverage instrumentation
# (fuzzer-no-link); only the fuzz binaries link libFuzzer's main (fuzz/CMakeLists.txt).
SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
step "configuring $BUILD_DIR (clang, $SANITIZE)"
mkdir -p "$BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -DYILIAN_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_C_FLAGS="$SANITIZE -fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS="$SANITIZE -fsanitize=fuzzer-no-link" \
  -DCMAKE_EXE_LINKER_FLAGS="$SANITIZE" -DCMAKE_SHARED_LINKER_FLAGS="$SANITIZE" \
  "${launcher[@]}" >"$BUILD_DIR/configure.log" 2>&1 \
  || { cat "$BUILD_DIR/configure.log"; echo "configure failed: see $BUILD_DIR/configure.log" >&2; exit 1; }

binaries=()
for t in "${TARGETS[@]}"; do binaries+=("fuzz_$t"); done
step "building ${binaries[*]} (-j$JOBS, log: $BUILD_DIR/build.log)"
if ! nice -n 10 cmake --build "$BUILD_DIR" -j"$JOBS" --target "${binaries[@]}" >"$BUILD_DIR/build.log" 2>&1; then
  grep -E 'error|Error' "$BUILD_DIR/build.log" | head -n 30 >&2
  echo "build failed: see $BUILD_DIR/build.log" >&2
  exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$WORK"
failed=()
summary=()
for t in "${TARGETS[@]}"; do
  corpus="$WORK/corpus/$t" crashes="$WORK/crashes/$t/" log="$WORK/logs/$t.log"
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  seeds=("fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && seeds+=("fuzz/regressions/$t")
  dict=()
  [ -f fuzz/dicts/yilian.dict ] && dict=(-dict=fuzz/dicts/yilian.dict)
  step "fuzzing $t for ${SECONDS_PER_TARGET}s (log: $log)"
  # The first corpus directory collects new inputs; the seeds and regressions are only read.
  set +e
  nice -n 10 "$BUILD_DIR/fuzz/fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes" "${dict[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || true)
  line=$(printf '%-22s %10s runs %7s exec/s  cov %6s' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}")
  if [ "$rc" != 0 ]; then
    failed+=("$t")
    line="$line  CRASH (exit $rc): $(find "$crashes" -maxdepth 1 -type f -printf '%T@ %f\n' 2>/dev/null | sort -rn | head -n 1 | cut -d' ' -f2-)"
    grep -m 3 -E 'ERROR: |runtime error|==ERROR|Assertion|terminate called' "$log" >&2 || true
  fi
  echo "    $line"
  summary+=("$line")
done

step "summary (${SECONDS_PER_TARGET}s per target)"
printf '    %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "crashes in: ${failed[*]} (inputs in $WORK/crashes/<target>/, logs in $WORK/logs/)" >&2
  exit 1
fi
echo "    no crashes"
