#!/usr/bin/env bash
# Benchmarks with ratios against peers measured in the same run (see BENCHMARKS.md):
# citail's binding vs bun:sqlite (FULL and NORMAL) and lmdb-js, from Bun, on the fixture logs.
#   bash scripts/bench.sh           full run; rewrites the measured section of BENCHMARKS.md
#   bash scripts/bench.sh --quick   small sizes, prints only: proves the harness works (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build > /dev/null
if [ "${1:-}" = "--quick" ]; then
  exec node_modules/.bin/bun examples/bench/compare.ts --quick
fi
exec node_modules/.bin/bun examples/bench/compare.ts --write BENCHMARKS.md
