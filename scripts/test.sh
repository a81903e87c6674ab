#!/usr/bin/env bash
# Builds RecWorkbench (Release) and runs the whole test suite. Used by the README and by CI.
# Usage: scripts/test.sh [BUILD_DIR] (default: build). Extra CMake options via RWB_CMAKE_ARGS,
# e.g. RWB_CMAKE_ARGS="-DRWB_SANITIZE=ON" scripts/test.sh build-asan
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
jobs=$(nproc)
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -G Ninja ${RWB_CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$jobs"
# Database tests run against a throwaway PostgreSQL (and psqlODBC) started here and stopped on
# exit, also on failure; without the server they report SKIPPED.
# shellcheck source=scripts/test-databases.sh
source scripts/test-databases.sh
trap rwb_stop_test_databases EXIT
rwb_start_test_databases
# The GUI tests use Qt's offscreen platform: no display needed.
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"
