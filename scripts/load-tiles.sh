#!/usr/bin/env bash
# Tile load test against 127.0.0.1, bounded in time: every tile of a zoom
# range over the data, with the tile cache on (after one warm-up pass) and
# off. Prints tiles/s, latency percentiles and the server's memory.
#
#   scripts/load-tiles.sh sample [SECONDS]   # Nanjing sample, z13–z17
#   scripts/load-tiles.sh city1m [SECONDS]   # synthetic 1,000,000-building city, z10–z16
#
# The cache-on run uses the server's default budget (64 MiB); CACHE_MB=N
# sets another.
#
# GRIDMAP_BIN=path runs that binary instead of building the release one
# (to compare two builds, interleaved); RUNS="off" runs only the cache-off
# case (default "on off").
#
# Needs wrk (apt-get install wrk) and python3. The per-address rate limits
# are off unless RATE_LIMIT_TILES / RATE_LIMIT_API say otherwise (one wrk
# client would otherwise be throttled like one browser).
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-sample}
seconds=${2:-10}
connections=${CONNECTIONS:-32}
threads=${THREADS:-1}

if [ -n "${GRIDMAP_BIN:-}" ]; then
  bin=$GRIDMAP_BIN
else
  cargo build --release -p gridmap-server --bin gridmap
  bin=${CARGO_TARGET_DIR:-target}/release/gridmap
fi
work=target/load
mkdir -p "$work"
case "$dataset" in
  sample)
    db="$work/sample.db"; zmin=13; zmax=17
    [ -f "$db" ] || "$bin" --db "sqlite://$db" sample
    ;;
  city1m)
    db="$work/city1m.db"; zmin=10; zmax=16
    [ -f "$db" ] || "$bin" --db "sqlite://$db" synth --buildings 1000000
    ;;
  *) echo "error: unknown dataset $dataset (sample or city1m)" >&2; exit 2 ;;
esac

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

run() {
  local cache_mb=$1
  local started=$(date +%s.%N)
  RUST_LOG=warn "$bin" --db "sqlite://$db" serve --no-sample --listen "127.0.0.1:$port" --tile-cache-mb "$cache_mb" \
    --rate-limit-tiles "${RATE_LIMIT_TILES:-0}" --rate-limit-api "${RATE_LIMIT_API:-0}" &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' RETURN
  until curl -sf "$base/health" >/dev/null; do sleep 0.2; done
  local ready=$(date +%s.%N)
  python3 scripts/load/tile_list.py "$base" "$zmin" "$zmax" > "$work/tiles.txt"
  local count=$(wc -l < "$work/tiles.txt")
  echo "== $dataset, z$zmin–z$zmax ($count tiles), cache ${cache_mb} MiB, server ready in $(python3 -c "print(round($ready - $started, 2))") s, RSS $(ps -o rss= -p $pid | awk '{printf "%.0f MiB", $1/1024}')"
  if [ "$cache_mb" != 0 ]; then
    # Warm-up: every tile once, so the run measures the cache.
    python3 scripts/load/warm.py "$base" < "$work/tiles.txt"
  fi
  TILE_LIST="$work/tiles.txt" wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s scripts/load/tiles.lua "$base" \
    | grep -aE 'Latency|50%|90%|99%|Requests/sec|requests in|Non-2xx|Socket errors'
  echo "   server RSS after the run: $(ps -o rss= -p $pid | awk '{printf "%.0f MiB", $1/1024}'); $(curl -s "$base/health" | python3 scripts/load/summary.py)"
  kill $pid; wait $pid 2>/dev/null || true
}

for which in ${RUNS:-on off}; do
  case "$which" in
    on) run "${CACHE_MB:-64}" ;;
    off) run 0 ;;
    *) echo "error: RUNS holds on and/or off, not $which" >&2; exit 2 ;;
  esac
done
