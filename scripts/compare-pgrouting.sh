#!/usr/bin/env bash
# Side by side: this engine's one multi-source Dijkstra vs pgRouting's
# pgr_drivingDistance (multi-source, equicost := true) on the same walking
# graph loaded into PostgreSQL 15 + pgRouting; distances compared on a sample
# of ~10,000 nodes.
#
#   scripts/compare-pgrouting.sh sample              # the Nanjing sample
#   scripts/compare-pgrouting.sh city [buildings] [stations]   # synthetic city (default 100,000 / 200)
#
# Memory: pgr_drivingDistance with equicost keeps per-source results for the
# whole graph. On the 1,000,000-building city (2.76 M vertices, 2,000
# sources) the PostgreSQL backend grew past 22 GB and was OOM-killed on the
# 24 GB build machine (taking the cluster through crash recovery), so the
# script refuses more than 200,000 buildings unless FORCE=1.
#
# Needs: postgresql-15-pgrouting (apt-get install -y postgresql-15-pgrouting),
# run as root (uses runuser -u postgres). Set CARGO_TARGET_DIR as usual.
set -euo pipefail
which="${1:-sample}"
shift || true
if [ "$which" = city ]; then
  set -- "${1:-100000}" "${2:-200}"
  if [ "$1" -gt 200000 ] && [ "${FORCE:-0}" != 1 ]; then
    echo "refusing $1 buildings: pgr_drivingDistance would exhaust memory (set FORCE=1 to try)" >&2
    exit 2
  fi
fi
cd "$(dirname "$0")/.."
out="$(mktemp -d /tmp/walkgraph.XXXXXX)"
chmod 755 "$out"
echo "== exporting the $which graph to $out"
cargo run --release -q -p gridmap-analysis --example export_walkgraph -- "$which" "$out" "$@"
chmod 644 "$out"/*
pg_ctlcluster 15 main start 2>/dev/null || true
db=gridmap_pgr
runuser -u postgres -- psql -qAt -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
  || runuser -u postgres -- createdb "$db"
psql() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
psql -c "CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE" 2>/dev/null \
  || psql -c "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pgrouting"
echo "== pgRouting $(psql -At -c 'SELECT pgr_version()')"
echo "== loading"
psql -v dir="$out" -f scripts/pgrouting/load.sql
echo "== pgr_drivingDistance (multi-source, equicost, undirected, whole graph)"
start=$(date +%s.%N)
psql -v sources="$(cat "$out/sources.txt")" -v limit=1e12 -f scripts/pgrouting/drive.sql
end=$(date +%s.%N)
echo "pgRouting query wall time incl. psql: $(echo "$end - $start" | bc) s"
echo "== gridmap (one multi-source Dijkstra, same graph)"
cat "$out/summary.txt"
rm -rf "$out"
