#!/usr/bin/env bash
# Every check of the project, from a fresh clone: installs what it needs, then runs the version
# check, formatting, lints, Rust tests (unit, property, integration, doc, kill -9), the native
# module build and its drift check, the packages a user installs (npm tarballs used from outside
# the repository, the crate's publish dry run and docs), the TypeScript type check (the README's
# TypeScript blocks included), the API spec under Node and Bun, the reference server's tests
# (hostile requests included), the benchmark harness in quick mode, a fuzz smoke of every
# cargo-fuzz target and the Rust examples.
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# More property-test cases than a local `cargo test` runs by default (citail's own variable:
# proptest's PROPTEST_CASES would override every test's case count, the slow model test's too).
export CITAIL_PROPTEST_CASES="${CITAIL_PROPTEST_CASES:-4096}"
# kill -9 trials of tests/tests/kill9.rs (a long run: CITAIL_KILL_TRIALS=5000).
export CITAIL_KILL_TRIALS="${CITAIL_KILL_TRIALS:-200}"

# Each step's heading carries the seconds since the start, so a slow step shows in the log.
step() { printf '\n==== [%4ds] %s\n' "$SECONDS" "$*"; }

step "install: cargo fetch, npm ci"
cargo fetch --locked
npm ci --no-audit --no-fund

step "versions agree (scripts/check-versions.mjs)"
node scripts/check-versions.mjs

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (unit, property, integration, doc tests)"
cargo test --workspace --locked

step "build the native module (napi build --release)"
npm run build
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  if ! git diff --exit-code -- node-binding/native.js node-binding/native.d.ts; then
    echo "node-binding/native.js or native.d.ts changed on rebuild: commit the regenerated files" >&2
    exit 1
  fi
fi

step "packaging: dist/ tarballs and crate installed outside the repository (scripts/package-test.sh)"
bash scripts/package-test.sh

step "crate: cargo publish --dry-run, cargo doc without warnings"
cargo publish --dry-run --locked --allow-dirty --quiet -p citail
RUSTDOCFLAGS="-D warnings" cargo doc --locked --quiet --no-deps -p citail

step "TypeScript type check (tsc --noEmit)"
npx tsc -p tsconfig.json

step "README TypeScript blocks: type-checked as written, the first run under Bun (scripts/readme-snippets.mjs)"
node scripts/readme-snippets.mjs

step "API spec under Node (node --test)"
npm run test:node

step "API spec and reference server under Bun (bun test)"
npm run test:bun

step "benchmark harnesses, quick mode (figures: bash scripts/bench.sh, cargo bench -p citail-tests)"
cargo bench --locked -p citail-tests --bench pipeline -- --sample-count 3 --sample-size 1 > /dev/null
cargo bench --locked -p citail-tests --bench peers -- --sample-count 2 > /dev/null
node_modules/.bin/bun examples/bench/compare.ts --quick > /dev/null

step "fuzz smoke: every cargo-fuzz target for 20 s (scripts/fuzz-smoke.sh)"
bash scripts/fuzz-smoke.sh 20

step "Rust examples: ingest-fixtures, redaction-census (no false positive on the fixture logs); recovery-time, growth and memory in quick mode"
cargo run --locked --quiet -p citail-examples --bin ingest-fixtures > /dev/null
cargo run --locked --quiet -p citail-examples --bin redaction-census -- --quiet | tail -1
cargo run --locked --quiet -p citail-examples --bin recovery-time -- --quick > /dev/null
cargo run --locked --quiet -p citail-examples --bin growth -- --quick > /dev/null
cargo run --locked --quiet -p citail-examples --bin memory -- --quick > /dev/null

step "all checks passed"
