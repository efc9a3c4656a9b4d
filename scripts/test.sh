#!/usr/bin/env bash
# Runs every test: installs what is missing, checks the sources' format, builds, then ctest (-j2).
#   scripts/test.sh [ctest args...]   e.g. scripts/test.sh -R Journal
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
printf '\n==> checking the format (clang-format)\n'
scripts/check-format.sh
BUILD_DIR=${YILIAN_BUILD_DIR:-build}
printf '\n==> running tests (ctest -j2)\n'
cd "$BUILD_DIR"
ctest --output-on-failure -j"${YILIAN_JOBS:-2}" --timeout 600 "$@"
