#!/usr/bin/env bash
# Load test of `recwb serve` on loopback with wrk (apt-get install wrk): top-10 for random users of
# a MovieLens-100K-sized iALS model, at 1, 8 and 64 connections, 10 s each. Prints throughput and
# latency percentiles. Usage (from the source root, after building): tests/bench/bench_serve.sh
set -euo pipefail
R=${RECWB:-build/app/recwb}
DATA=${DATA:-../shared/data/ml-100k-recsplit/train.tsv}
PORT=${PORT:-18631}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$R" export --data "$DATA" --model ials --out "$tmp/model.rwbm" -q
"$R" serve --model "$tmp/model.rwbm" --port "$PORT" --threads "${THREADS:-2}" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "localhost:$PORT/health" >/dev/null && break; sleep 0.1; done
for c in 1 8 64; do
  echo "== $c connection(s)"
  wrk -t "$(( c < 2 ? 1 : 2 ))" -c "$c" -d "${DURATION:-10s}" --latency \
      -s tests/bench/serve_load.lua "http://127.0.0.1:$PORT" |
    grep -E "Requests/sec|  50%|  90%|  99%|Non-2xx|Socket errors"
done
