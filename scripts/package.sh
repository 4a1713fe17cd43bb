#!/usr/bin/env bash
# Builds what a user installs, into dist/ (removed and rewritten each run):
#   citail-<version>.tgz                 the npm package: loader, types, citail/http (no binary)
#   citail-linux-x64-gnu-<version>.tgz   the platform package holding the release .node
#   citail-<version>.crate               the Rust crate, from `cargo package -p citail`
# The platform package follows napi-rs' own scheme: `napi create-npm-dirs` writes its
# package.json, `napi artifacts` moves the built .node into it, and `napi pre-publish` sets the
# main package's optionalDependencies to every platform package at the same version.
#   bash scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
napi="$root/node_modules/.bin/napi"
[ -x "$napi" ] || npm ci --no-audit --no-fund

node scripts/check-versions.mjs
version=$(node -p "require('./node-binding/package.json').version")
stage="$root/target/npm-package"
rm -rf "$stage" dist
mkdir -p "$stage/artifacts" dist

echo "== build: release native module and citail/http"
npm run --silent build > /dev/null

echo "== stage the main package (npm's own file list)"
(cd node-binding && npm pack --silent --pack-destination "$stage/artifacts" > /dev/null)
tar -xzf "$stage/artifacts/citail-$version.tgz" -C "$stage/artifacts"
mv "$stage/artifacts/package/"* "$stage/"
rm -rf "$stage/artifacts/"*
cp node-binding/citail.*.node "$stage/artifacts/"

echo "== platform packages: napi create-npm-dirs, artifacts, pre-publish"
"$napi" create-npm-dirs --cwd "$stage" > /dev/null
"$napi" artifacts --cwd "$stage" --output-dir artifacts > /dev/null
"$napi" pre-publish --cwd "$stage" --skip-optional-publish --no-gh-release > /dev/null
rm -f "$stage"/*.node
for dir in "$stage"/npm/*/; do
  cp LICENSE-APACHE LICENSE-MIT "$dir"
  # The generated manifest lists only the binary; the licences travel with it.
  node -e '
    const fs = require("fs"), path = process.argv[1] + "/package.json"
    const pkg = JSON.parse(fs.readFileSync(path, "utf8"))
    pkg.files.push("LICENSE-APACHE", "LICENSE-MIT")
    fs.writeFileSync(path, JSON.stringify(pkg, null, 2) + "\n")' "$dir"
done

echo "== npm pack"
npm pack --silent --pack-destination dist "$stage" > /dev/null
for dir in "$stage"/npm/*/; do npm pack --silent --pack-destination dist "$dir" > /dev/null; done

echo "== cargo package -p citail"
cargo package --locked --quiet -p citail --allow-dirty
cp "target/package/citail-$version.crate" dist/

node scripts/check-versions.mjs --packed "$stage"
ls -l dist
