#!/usr/bin/env bash
# The main job: a ci-log server on 127.0.0.1 with an embedded store file, every fixture log
# posted through the real route, and the resulting fix-CI prompt printed. No arguments, no
# external services. Installs what it needs on a fresh clone.
#   bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build > /dev/null
exec node_modules/.bin/bun examples/bun-server/demo.ts
