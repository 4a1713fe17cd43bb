#!/usr/bin/env bash
# Regenerates the real-tool fixtures in this folder: installs each tool at the version pinned
# in project/package.json (npm) or below (pip), runs it on project/, whose files carry planted
# faults, the way CI does (CI=true FORCE_COLOR=1, stdout and stderr in one log), and writes
# what it printed to <tool>.log. The logs are committed; the tests need none of the tools.
#
# Needs network access to the npm and PyPI registries, cargo, python3 and node. Usage:
#   bash tests/recall/tools/make.sh
# The work happens in a temporary copy of project/; its path in the output is replaced by the
# path a Forgejo runner would show, so no machine path lands in a fixture.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
PYTEST_VERSION=9.2.0
RUNNER_PATH=/workspace/acme/app

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R "$here/project/." "$work/"
cd "$work" || exit 1

echo "installing the pinned tools in $work" >&2
npm install --no-audit --no-fund --loglevel=error >&2 || exit 1
python3 -m venv .venv >&2 && .venv/bin/pip install --quiet "pytest==$PYTEST_VERSION" >&2 || exit 1

export CI=true FORCE_COLOR=1
bin="$work/node_modules/.bin"

# run <name> <command…>: the command's output, both streams, with the work path replaced.
run() {
  local name="$1"
  shift
  "$@" > "$work/out.log" 2>&1
  local code=$?
  sed -e "s|$work|$RUNNER_PATH|g" -e "s|$HOME|/home/runner|g" "$work/out.log" > "$here/$name.log"
  echo "$name: exit $code, $(wc -l < "$here/$name.log") lines" >&2
}

run tsc "$bin/tsc" -p tsconfig.json --pretty false
run tsc-pretty "$bin/tsc" -p tsconfig.json --pretty
run eslint "$bin/eslint" src
run biome-lint "$bin/biome" lint src
run biome-format "$bin/biome" format src
run biome-ci "$bin/biome" ci src
run prettier-check "$bin/prettier" --check src
run vitest "$bin/vitest" run test/math.test.ts
run bun-test "$bin/bun" test ./test/math.bun.ts
run pytest .venv/bin/python -m pytest tests
# bun-frozen/bun.lock was saved before left-pad joined package.json, as a lockfile left behind.
(cd bun-frozen && run bun-install-frozen "$bin/bun" install --frozen-lockfile)
run cargo-build cargo build --offline --manifest-path crate/Cargo.toml
run cargo-clippy cargo clippy --offline --manifest-path crate-test/Cargo.toml --all-targets -- -D warnings
run cargo-test cargo test --offline --manifest-path crate-test/Cargo.toml
