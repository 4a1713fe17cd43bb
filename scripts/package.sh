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

# Runs a command quietly; shows everything it printed if it fails.
quiet() {
  local output
  if ! output=$("$@" 2>&1); then
    printf '%s\n' "$output" >&2
    echo "failed: $*" >&2
    return 1
  fi
}

echo "== build: release native module and citail/http"
quiet npm run --silent build

echo "== stage the main package (npm's own file list)"
(cd node-binding && quiet npm pack --pack-destination "$stage/artifacts")
tar -xzf "$stage/artifacts/citail-$version.tgz" -C "$stage/artifacts"
mv "$stage/artifacts/package/"* "$stage/"
rm -rf "$stage/artifacts/"*
cp node-binding/citail.*.node "$stage/artifacts/"

echo "== platform packages: napi create-npm-dirs, artifacts, pre-publish"
quiet "$napi" create-npm-dirs --cwd "$stage"
quiet "$napi" artifacts --cwd "$stage" --output-dir artifacts
quiet "$napi" pre-publish --cwd "$stage" --skip-optional-publish --no-gh-release
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
quiet npm pack --pack-destination dist "$stage"
for dir in "$stage"/npm/*/; do quiet npm pack --pack-destination dist "$dir"; done

echo "== cargo package -p citail"
quiet cargo package --locked -p citail --allow-dirty
# Where cargo put it: CARGO_TARGET_DIR (or a config's build.target-dir) may move target/.
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')
cp "$target_dir/package/citail-$version.crate" dist/

node scripts/check-versions.mjs --packed "$stage"
ls -l dist
