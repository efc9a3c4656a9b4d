#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, then ctest (-j2).
#   scripts/test.sh [ctest args...]   e.g. scripts/test.sh -R Journal
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${YILIAN_BUILD_DIR:-build}
printf '\n==> running tests (ctest -j2)\n'
cd "$BUILD_DIR"
ctest --output-on-failure -j"${YILIAN_JOBS:-2}" --timeout 600 "$@"
