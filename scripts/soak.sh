#!/usr/bin/env bash
# Soak test: a release server on 127.0.0.1 with the Nanjing sample, and
# several clients for SECONDS (default 600) mixing tiles z13–z17, lookups,
# searches and a planner's building moves (409s retried with the current
# version). Prints requests, errors, p50/p99 per kind and the server's RSS
# at start, every minute and at the end. Fails if any request failed.
#
#   scripts/soak.sh [SECONDS]
#   PROFILE=debug scripts/soak.sh [SECONDS]   # against the debug build instead
#
# Needs python3 with httpx (pip install httpx). Rate limits are off (a
# handful of clients on one address would otherwise be throttled like one
# browser).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
profile=${PROFILE:-release}

if [ "$profile" = release ]; then
  cargo build --release -p gridmap-server --bin gridmap
else
  cargo build -p gridmap-server --bin gridmap
fi
bin=${CARGO_TARGET_DIR:-target}/$profile/gridmap
work=$(mktemp -d /tmp/gridmap-soak.XXXXXX)
db="sqlite://$work/soak.db"
"$bin" --db "$db" sample >/dev/null
echo "soak planner password" | "$bin" --db "$db" user add soak-planner --role planner --communities all --password-stdin >/dev/null
token=$("$bin" --db "$db" token create --user soak-planner --label soak)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=warn "$bin" --db "$db" serve --no-sample --listen "127.0.0.1:$port" \
  --rate-limit-tiles 0 --rate-limit-api 0 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.2; done
python3 scripts/load/soak.py "http://127.0.0.1:$port" "$token" "$seconds" "$pid"
