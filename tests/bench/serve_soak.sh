#!/usr/bin/env bash
# Soak test of `recwb serve` (issue 17): DURATION (default 600 s) of RATE (500) requests/s over
# CONNECTIONS (64) keep-alive connections, while SLOW (20) slowloris clients send one byte per
# second each, against an iALS model of MovieLens-100K (recsplit train). The load comes from
# bench_serve_load (open loop: a slow answer does not lower the offered rate, as it would with
# wrk); it prints requests, errors, latency and the server's resident memory (VmRSS) sampled
# every 10 s, growth measured from the 30 s sample (warm) to the last, and fails on any error
# of a normal client. Usage, from the source root after building recwb and bench_serve_load:
#   tests/bench/serve_soak.sh        (DURATION=60 for a quick look)
set -euo pipefail
R=${RECWB:-build/app/recwb}
DATA=${DATA:-../shared/data/ml-100k-recsplit/train.tsv}
PORT=${PORT:-18632}
DURATION=${DURATION:-600}
RATE=${RATE:-500}
CONNECTIONS=${CONNECTIONS:-64}
SLOW=${SLOW:-20}
LOAD=${LOAD:-build/tests/bench/bench_serve_load}
tmp=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$R" export --data "$DATA" --model ials --out "$tmp/model.rwbm" -q
"$R" serve --model "$tmp/model.rwbm" --port "$PORT" --threads "${THREADS:-2}" \
  ${SERVE_ARGS:-} 2>"$tmp/serve.log" &
server=$!
for _ in $(seq 50); do curl -sf "localhost:$PORT/health" >/dev/null && break; sleep 0.1; done
echo "== $DURATION s: $RATE req/s over $CONNECTIONS connections + $SLOW slow clients"
"$LOAD" "$PORT" "$RATE" "$CONNECTIONS" "$SLOW" "$DURATION" "$server"
