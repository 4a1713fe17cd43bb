#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a short smoke (default 20 s each), installing
# cargo-fuzz if it is missing. The fixture logs in tests/fixtures/ seed the text targets.
#   bash scripts/fuzz-smoke.sh [seconds per target]
# A longer run of one target:
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run pipeline corpus/pipeline ../tests/fixtures -- -max_total_time=3600 -max_len=16384
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-20}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1   # cargo-fuzz needs -Z flags; this stable toolchain allows them so
cargo fuzz build
for target in truncate_tail pipeline render store_model decode; do
  mkdir -p "corpus/$target"
  seeds=()
  max_len=4096
  case $target in
    truncate_tail) seeds=(../tests/fixtures); max_len=1100;;  # the target reads 1 KiB
    pipeline) seeds=(../tests/fixtures); max_len=16384;;
  esac
  log=$(mktemp)
  if ! cargo fuzz run "$target" "corpus/$target" "${seeds[@]}" -- \
      -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 > "$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz target $target failed; the input is under fuzz/artifacts/$target/" >&2
    exit 1
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || echo '?')
  echo "fuzz $target: $runs executions in ${seconds} s, no failure"
  rm -f "$log"
done
