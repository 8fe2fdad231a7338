#!/usr/bin/env bash
# Fuzz gridmap's input parsers with cargo-fuzz (libFuzzer + AddressSanitizer),
# one target after another, each for a bounded time. Fails if any target
# crashes (panic, overflow, OOM, timeout); the crashing input is left in
# fuzz/artifacts/TARGET/ — fix the bug, keep the input in fuzz/crashes/TARGET/
# (every run starts from those inputs) and replay it in a regression test
# (data/tests/fuzz_regressions.rs).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]   # default 60 s, every target
#
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
# Corpora grow in fuzz/corpus/TARGET/ (not committed), seeded from
# fuzz/seeds/TARGET/ and data/samples/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(osm_xml osm_pbf geojson csv tile_path query)
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "error: needs nightly and cargo-fuzz: rustup toolchain install nightly && cargo install cargo-fuzz" >&2
  exit 2
fi

cd fuzz
cargo +nightly fuzz build

# Inputs larger than this are truncated (the whole OSM XML sample would
# make every run parse 1.5 MB).
max_len() {
  case "$1" in
    osm_xml) echo 65536 ;;
    osm_pbf) echo 131072 ;;
    geojson|csv) echo 16384 ;;
    *) echo 512 ;;
  esac
}

mkdir -p logs
failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="corpus/$t"
  mkdir -p "$corpus" "artifacts/$t"
  cp -n seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  cp -n crashes/"$t"/* "$corpus"/ 2>/dev/null || true
  case "$t" in
    osm_xml) cp -n ../data/samples/nanjing-xinjiekou.osm "$corpus"/ ;;
    osm_pbf) cp -n ../data/samples/nanjing-xinjiekou.osm.pbf "$corpus"/ ;;
  esac
  log="logs/$t.log"
  echo "== $t: ${seconds} s"
  set +e
  cargo +nightly fuzz run "$t" "$corpus" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1
  status=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  line="$t: ${runs:-?} runs in ${seconds} s (${rate:-?}/s), coverage ${cov:-?} edges, exit $status"
  summary+=("$line")
  echo "$line"
  if [ $status -ne 0 ]; then
    failed+=("$t")
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
  fi
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "CRASHED: ${failed[*]} (inputs in fuzz/artifacts/, logs in fuzz/logs/)" >&2
  exit 1
fi
