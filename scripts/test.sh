#!/usr/bin/env bash
# The README's test command: every Rust test, then the real-browser tests
# (headless Debian Chromium through playwright-core) against the real binary.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace

if [ ! -x /usr/bin/chromium ]; then
  echo "error: the browser tests need Debian's Chromium: apt-get install -y chromium fonts-wqy-microhei" >&2
  exit 1
fi
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cargo build -p gridmap-server --bin gridmap
export GRIDMAP_BIN="$target_dir/debug/gridmap"
cd tests/browser
npm ci --no-audit --no-fund --loglevel=error
npm test
