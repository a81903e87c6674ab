#!/bin/sh
# Starts the workbench under Xvfb, walks the views (import dialog, Data, Experiment running and
# done, Compare, Users) on a dataset and saves PNG screenshots.
# Usage: tests/ui/screenshots.sh [OUT_DIR] [DATA]   (from the source root, after building)
# RWB_SHOT_SIZE=1024x700 sets the window size (default 1600x1000; the screen is 1700x1100).
# Defaults: OUT_DIR=build/screenshots, DATA=the bundled sample data, else
# ../shared/data/ml-100k-recsplit/train.tsv (its test.tsv is picked up as the test set).
set -eu
out=${1:-build/screenshots}
data=${2:-}
app=${RWB_APP:-build/app/recworkbench}
if [ -z "$data" ]; then
  if [ -d sample-data ] && ls sample-data/*.csv >/dev/null 2>&1; then
    data=sample-data
  else
    data=../shared/data/ml-100k-recsplit/train.tsv
  fi
fi
[ -x "$app" ] || { echo "build $app first (ninja -C build recworkbench)" >&2; exit 1; }
mkdir -p "$out"
# A private settings folder, so the tour neither reads nor changes the user's recent files.
export XDG_CONFIG_HOME="$(mktemp -d)"
trap 'rm -rf "$XDG_CONFIG_HOME"' EXIT
# Runs are recorded in a throw-away project, so the tour can tag, archive and diff them.
xvfb-run -a -s "-screen 0 1700x1100x24" "$app" --screenshots "$out" \
  --size "${RWB_SHOT_SIZE:-1600x1000}" --project "$XDG_CONFIG_HOME/tour.rwbproj" "$data"
ls -l "$out"
