#!/bin/bash
# Latency of the plan API on the Nanjing sample: one client, sequential requests.
# Usage: scripts/plan-latency.sh [COMMUNITY_ID]   (needs a release build: cargo build --release -p gridmap-server)
# Prints curl's time_total per request: move edits (compare-and-set append + audit, one
# transaction each), full validation, and fresh partitions (each a new version).
set -euo pipefail
BIN=${GRIDMAP_BIN:-${CARGO_TARGET_DIR:-target}/release/gridmap}
PORT=${PORT:-18437}
C=${1:-6}
D=$(mktemp -d)
DB=sqlite://$D/g.db
"$BIN" --db "$DB" sample >/dev/null 2>&1
echo "bench password 1" | "$BIN" --db "$DB" user add bench --role planner --communities all --password-stdin >/dev/null 2>&1
T=$("$BIN" --db "$DB" token create --user bench --label latency 2>/dev/null)
"$BIN" --db "$DB" serve --listen 127.0.0.1:$PORT --rate-limit-api 0 >/dev/null 2>&1 &
PID=$!
trap 'kill $PID; rm -rf "$D"' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/health >/dev/null && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT
H="Authorization: Bearer $T"
J='Content-Type: application/json'
V=$(curl -sf -H "$H" -H "$J" -d "{\"community_id\":$C,\"name\":\"latency\"}" $URL/api/plans)
read -r ID A B BK <<<"$(echo "$V" | python3 -c '
import sys, json
v = json.load(sys.stdin); g = v["grids"]; a, b = g[0]["key"], g[1]["key"]
bk = next(k for k, x in v["state"]["assignment"].items() if x == a)
print(v["plan"]["id"], a, b, bk)')"
echo "$V" | python3 -c 'import sys,json; v=json.load(sys.stdin); print("community", v["plan"]["community_id"], ":", len(v["state"]["assignment"]), "buildings,", len(v["grids"]), "grids")'
N=40; ver=1
for i in $(seq $N); do
  to=$([ $((i % 2)) = 1 ] && echo "$B" || echo "$A")
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "$H" -H "$J" \
    -d "{\"version\":$ver,\"edit\":{\"kind\":\"move\",\"buildings\":[$BK],\"to\":$to}}" $URL/api/plans/$ID/edits >>"$D/edit"
  ver=$((ver + 1))
done
for _ in $(seq $N); do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "$H" $URL/api/plans/$ID/validate >>"$D/validate"
done
for i in $(seq 10); do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "$H" -H "$J" \
    -d "{\"version\":$ver,\"mode\":\"fresh\",\"seed\":$i}" $URL/api/plans/$ID/partition >>"$D/partition"
  ver=$((ver + 1))
done
for f in edit validate partition; do
  python3 -c "
import statistics as st
rows = [l.split() for l in open('$D/$f')]
ok = sum(r[0] == '200' for r in rows)
t = sorted(float(r[1]) * 1000 for r in rows)
print('%-9s n=%-3d ok=%-3d median %.1f ms  max %.1f ms' % ('$f', len(t), ok, st.median(t), t[-1]))"
done
