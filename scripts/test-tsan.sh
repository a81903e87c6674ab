#!/usr/bin/env bash
# Builds the thread-heavy test suites with ThreadSanitizer and runs them (issue 17): the runner
# (test_experiment), the project store (test_store), the task context and cancellation
# (test_util), the endpoint and the batch scorer (test_export) and the CLI with `recwb serve`
# (test_cli, which starts the TSan-built recwb). A race report fails the test that hit it.
# Usage: scripts/test-tsan.sh [BUILD_DIR] (default: build-tsan). Extra CMake options via
# RWB_CMAKE_ARGS; RWB_TSAN_JOBS sets the build's parallelism (default: nproc).
# ctest passes TSAN_OPTIONS (halt_on_error) and OMP_NUM_THREADS=1 to every test
# (tests/CMakeLists.txt); see tests/fuzz/README.md.
# oneTBB: by default the script builds Debian's oneTBB source with -fsanitize=thread once
# (scripts/build-tsan-tbb.sh, into BUILD_DIR/tbb-tsan) so that TBB-parallel code is checked with
# several threads. RWB_TSAN_TBB=system uses Debian's uninstrumented libtbb instead, with TBB on
# one thread (cmake/tsan_one_tbb_thread.cpp); so does a machine that cannot fetch the source,
# with a warning.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build-tsan}
jobs=${RWB_TSAN_JOBS:-$(nproc)}
targets=(test_util test_store test_experiment test_export recwb test_cli)
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
tbb_args=(-DRWB_TSAN_TBB_DIR=)
if [ "${RWB_TSAN_TBB:-instrumented}" != system ]; then
  mkdir -p "$build_dir"
  if bash scripts/build-tsan-tbb.sh "$build_dir/tbb-tsan"; then
    tbb_args=(-DRWB_TSAN_TBB_DIR="$(cd "$build_dir/tbb-tsan/install" && pwd)")
    targets+=(tsan_tbb_canary)
  else
    echo "test-tsan: WARNING: no instrumented oneTBB (see above); TBB runs on one thread and" \
         "TBB-parallel code is not race-checked" >&2
  fi
fi
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRWB_TSAN=ON -DRWB_BUILD_GUI=OFF -DRWB_BUILD_BENCH=OFF \
      -UTBB_DIR "${launcher[@]}" "${tbb_args[@]}" ${RWB_CMAKE_ARGS:-}
for t in "${targets[@]}"; do
  cmake --build "$build_dir" -j "$jobs" --target "$t"
done
# Database tests run against a throwaway PostgreSQL, as in scripts/test.sh.
# shellcheck source=scripts/test-databases.sh
source scripts/test-databases.sh
trap rwb_stop_test_databases EXIT
rwb_start_test_databases
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" \
      -R '^(test_(util|store|experiment|export|cli)(_shared|_database)?|tsan_tbb_(clean|race))$'
