#!/usr/bin/env bash
# The packaging test: builds dist/ with scripts/package.sh, installs the tarballs into a fresh
# npm project in a temporary folder outside the repository (no registry needed), and checks that
# Node's require, Node's import and Bun each use them, that tsc type-checks a consumer under
# moduleResolution node16, nodenext and bundler, that the packages hold only what they should,
# and that a missing platform package is a clear error. Prints the packages' unpacked sizes.
#   bash scripts/package-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/package.sh > /dev/null
version=$(node -p "require('./node-binding/package.json').version")

consumer=$(mktemp -d "${TMPDIR:-/tmp}/citail-consumer-XXXXXX")
trap 'rm -rf "$consumer"' EXIT
cp tests/packaging/* "$consumer/"
cd "$consumer"
# The same consumer as an ES module: a .mts file resolves the `import` side of the exports map.
cp consumer.ts consumer.mts
npm init -y > /dev/null
npm install --offline --no-audit --no-fund --silent \
  "$root/dist/citail-$version.tgz" "$root/dist/citail-linux-x64-gnu-$version.tgz"

echo "== run: Node require, Node import, Bun require and import"
node consumer.cjs
node consumer.mjs
"$root/node_modules/.bin/bun" consumer.cjs
"$root/node_modules/.bin/bun" consumer.mjs

echo "== tsc --noEmit under moduleResolution node16, nodenext, bundler"
for resolution in node16 nodenext bundler; do
  module=$resolution
  [ "$resolution" = bundler ] && module=esnext
  cat > "tsconfig.$resolution.json" <<JSON
{
  "compilerOptions": {
    "module": "$module", "moduleResolution": "$resolution", "target": "ES2022",
    "lib": ["ES2022", "DOM"], "types": [], "strict": true, "noEmit": true, "skipLibCheck": false
  },
  "files": ["consumer.ts", "consumer.mts"]
}
JSON
  "$root/node_modules/.bin/tsc" -p "tsconfig.$resolution.json"
  echo "ok tsc $resolution"
done

echo "== contents"
check_contents() { # package dir, allowed-path regex
  local unexpected
  unexpected=$(cd "$1" && find . -type f | sed 's#^\./##' | grep -Ev "$2" || true)
  if [ -n "$unexpected" ]; then
    echo "unexpected files in $1:" >&2
    echo "$unexpected" >&2
    exit 1
  fi
  echo "ok $(basename "$1"): $(find "$1" -type f | wc -l) files, $(du -sb "$1" | cut -f1) bytes unpacked"
}
common='^(package\.json|README\.md|LICENSE-(APACHE|MIT))$'
check_contents node_modules/citail \
  "$common|^(index|native)\.(js|d\.ts)$|^index\.(mjs|d\.mts)$|^http/index\.(mjs|d\.mts)$|^http/lib/[a-z]+\.(js|d\.ts)$"
check_contents node_modules/citail-linux-x64-gnu "$common|^citail\.linux-x64-gnu\.node$"
[ -f node_modules/citail-linux-x64-gnu/citail.linux-x64-gnu.node ] || { echo "no .node in the platform package" >&2; exit 1; }

echo "== a platform with no binary"
rm -rf node_modules/citail-linux-x64-gnu
node missing-binary.cjs
echo "packaging test passed"
