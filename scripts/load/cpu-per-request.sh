#!/usr/bin/env bash
# CPU per request of the server and of wrk, for comparing two builds on a
# machine whose speed drifts: the ratio server ÷ wrk cancels most of the
# drift (wrk does identical work in every run). Cache off, rate limits off,
# two warm passes over the tiles first (so every zoom's prepared geometry
# is built), then wrk -t1 -c32 against 127.0.0.1 for SECONDS.
#
#   scripts/load/cpu-per-request.sh BINARY DB TILE_LIST [SECONDS]
#
# TILE_LIST is a file of tile paths (scripts/load/tile_list.py writes one).
# Prints: tiles/s, server µs per request, wrk µs per request, the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$1 db=$2 tiles=$3 seconds=${4:-8}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn "$bin" --db "sqlite://$db" serve --no-sample --listen "127.0.0.1:$port" \
  --tile-cache-mb 0 --rate-limit-tiles 0 --rate-limit-api 0 >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "$base/health" >/dev/null; do sleep 0.2; done
for _ in 1 2; do python3 scripts/load/warm.py "$base" < "$tiles"; done
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }   # utime + stime, clock ticks
t0=$(cpu)
out=$( { /usr/bin/time -f "wrkcpu %U %S" env TILE_LIST="$tiles" \
  wrk -t1 -c32 -d"${seconds}s" -s scripts/load/tiles.lua "$base"; } 2>&1 )
t1=$(cpu)
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
wrk_cpu=$(echo "$out" | awk '/wrkcpu/ {print $2 + $3}')
python3 - "$rps" "$seconds" "$t0" "$t1" "$wrk_cpu" "$(getconf CLK_TCK)" <<'PY'
import sys
rps, secs, t0, t1, wrk, tck = (float(a) for a in sys.argv[1:])
n = rps * secs
server = (t1 - t0) / tck * 1e6 / n
client = wrk * 1e6 / n
print(f"tiles/s {rps:.0f}  server {server:.1f} us/req  wrk {client:.1f} us/req  ratio {server / client:.2f}")
PY
