#!/usr/bin/env bash
# Builds RecWorkbench (Release) and starts it on the bundled sample data. With a display it opens
# the workbench window; without one it runs the headless demo: the sample experiment through
# `recwb run`, printing the model comparison. Usage: scripts/start.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
cmake -S . -B "$build_dir" -G Ninja
# Only what the workbench and the demo need: the test targets are scripts/test.sh's job (a fresh
# build of everything takes about 11 minutes on 2 cores, these two targets a fraction of it).
cmake --build "$build_dir" -j "$(nproc)" --target recworkbench recwb
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$build_dir/app/recworkbench" sample-data
fi
echo "No display found: running the headless demo on sample-data/ (resources/specs/sample-demo.json)"
"$build_dir/app/recwb" inspect sample-data
exec "$build_dir/app/recwb" run resources/specs/sample-demo.json --out out/demo
