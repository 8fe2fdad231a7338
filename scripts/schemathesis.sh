#!/usr/bin/env bash
# Property-based API testing with schemathesis against /api/openapi.json:
# a server on 127.0.0.1 with the Nanjing sample, once anonymous and once
# with an admin's bearer token (schemathesis's OpenAPI-aware `[auth]`
# config for the `bearer` scheme, so every generated request carries it
# and the auth checks know it), bounded by --max-examples per operation.
# Every check runs (`--checks all`: no 5xx, documented status codes,
# content types and headers, responses valid against their schemas,
# schema-valid requests accepted and invalid ones refused, auth enforced),
# in the examples, coverage and fuzzing phases. Fails on any failure or
# if the server logged a panic.
#
#   scripts/schemathesis.sh [MAX_EXAMPLES] [debug|release]   # default 50, debug
#
# Needs schemathesis (pip install schemathesis). Rate limits are off so
# every generated request reaches a handler. The admin run leaves out
# POST /api/auth/logout (it would revoke the token the run uses).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-50}
profile=${2:-debug}

if [ "$profile" = release ]; then
  cargo build --release --workspace --bins
else
  cargo build --workspace --bins
fi
bin=${CARGO_TARGET_DIR:-target}/$profile/gridmap
work=$(mktemp -d /tmp/gridmap-schemathesis.XXXXXX)
db="sqlite://$work/st.db"
"$bin" --db "$db" sample >/dev/null
echo "schemathesis admin password" | "$bin" --db "$db" user add st-admin --role admin --password-stdin >/dev/null
token=$("$bin" --db "$db" token create --user st-admin --label schemathesis)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn "$bin" --db "$db" serve --no-sample --listen "127.0.0.1:$port" \
  --rate-limit-tiles 0 --rate-limit-api 0 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "$base/health" >/dev/null; do sleep 0.2; done

status=0
run() {
  local name=$1
  shift
  local config=$1
  shift
  echo "== schemathesis, $name, --max-examples $examples"
  echo "   schemathesis --config-file $config run $base/api/openapi.json --checks all --phases examples,coverage,fuzzing --max-examples $examples --seed 8 --workers 1 $*"
  schemathesis --config-file "$config" run "$base/api/openapi.json" \
    --checks all --phases examples,coverage,fuzzing \
    --max-examples "$examples" --seed 8 --workers 1 \
    --request-timeout 60 --no-color \
    --report junit --report-junit-path "$work/$name.xml" \
    "$@" || status=1
}
# Both runs: a schema-valid request may also be refused with 422 (not only
# 409): rules between fields or with stored data that JSON Schema cannot
# state (rules with min <= target <= max, an edit that does not split its
# grid, a plan of another community, both `minutes` and `metres`) are
# well-formed requests the server refuses as unprocessable, never 400.
cat >"$work/anonymous.toml" <<'TOML'
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
TOML
# The admin's token for the OpenAPI `bearer` scheme (read from the
# environment when schemathesis loads the file).
cp "$work/anonymous.toml" "$work/admin.toml"
cat >>"$work/admin.toml" <<'TOML'

[auth.openapi.bearer]
bearer = "${GRIDMAP_ST_TOKEN}"
TOML
export GRIDMAP_ST_TOKEN=$token
run anonymous "$work/anonymous.toml"
run admin "$work/admin.toml" --exclude-path /api/auth/logout

if grep -i "panicked" "$work/server.log"; then
  echo "error: the server panicked (log: $work/server.log)" >&2
  status=1
fi
echo "server log and reports: $work"
exit $status
