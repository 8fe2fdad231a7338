#!/usr/bin/env bash
# Instructions per uncached tile render (from prepared geometry, no HTTP),
# counted by cachegrind: unlike tiles/s, the count does not drift with the
# machine, so two builds compare in one run each. Renders the list ROUNDS
# times and subtracts a run that renders nothing (loading and preparing).
#
#   scripts/load/instructions-per-tile.sh DB TILE_LIST [ROUNDS] [EXAMPLE_BINARY]
#
# Needs valgrind (apt-get install valgrind). TILE_LIST is a file of tile
# paths (scripts/load/tile_list.py writes one). EXAMPLE_BINARY defaults to
# a fresh release build of the `render_tiles` example.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=$1 tiles=$2 rounds=${3:-5}
bin=${4:-}
if [ -z "$bin" ]; then
  cargo build --release -p gridmap-service --example render_tiles
  bin=${CARGO_TARGET_DIR:-target}/release/examples/render_tiles
fi
count() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    "$bin" "$db" "$tiles" "$1" 2>&1 | awk '/I *refs/ { gsub(",", "", $4); print $4 }'
}
base=$(count 0)
run=$(count "$rounds")
n=$(grep -c . "$tiles")
python3 -c "print(f'{($run - $base) / ($rounds * $n):.0f} instructions per tile ({$n} tiles x $rounds)')"
