// Fails when the project's version numbers drift apart: the Cargo workspace, the npm package,
// its lock entry, the example's dependency, the version napi-rs baked into native.js and, with
// `--packed <stage>`, the staged npm packages and the main package's optionalDependencies.
//   node scripts/check-versions.mjs [--packed target/npm-package]
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const read = (path) => readFileSync(join(root, path), 'utf8')
const json = (path) => JSON.parse(read(path))

const workspace = /\[workspace\.package\][^[]*?\nversion\s*=\s*"([^"]+)"/.exec(read('Cargo.toml'))
if (workspace === null) throw new Error('Cargo.toml: no version in [workspace.package]')
const expected = workspace[1]

/** [where, version] pairs that must all equal the workspace version. */
const found = [
  ['node-binding/package.json', json('node-binding/package.json').version],
  ['package-lock.json (node-binding)', json('package-lock.json').packages['node-binding']?.version],
  ['examples/bun-server/package.json dependency', json('examples/bun-server/package.json').dependencies.citail],
  ...[...read('node-binding/native.js').matchAll(/expected ([^ ]+) but got/g)].map((m) => ['node-binding/native.js', m[1]]),
]
if (!found.some(([where]) => where === 'node-binding/native.js')) found.push(['node-binding/native.js', 'no version check found'])

const packed = process.argv.indexOf('--packed')
if (packed !== -1) {
  const stage = process.argv[packed + 1]
  const main = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8'))
  found.push(['staged citail package.json', main.version])
  const optional = Object.entries(main.optionalDependencies ?? {})
  if (optional.length === 0) found.push(['staged optionalDependencies', 'none'])
  for (const [name, version] of optional) found.push([`optionalDependencies.${name}`, version])
  for (const dir of readdirSync(join(stage, 'npm'))) {
    const platform = JSON.parse(readFileSync(join(stage, 'npm', dir, 'package.json'), 'utf8'))
    found.push([`staged ${platform.name} package.json`, platform.version])
    if (!optional.some(([name]) => name === platform.name)) found.push([`${platform.name} in optionalDependencies`, 'missing'])
  }
}

const drifted = found.filter(([, version]) => version !== expected)
if (drifted.length > 0) {
  console.error(`version drift: the Cargo workspace says ${expected}, but`)
  for (const [where, version] of drifted) console.error(`  ${where}: ${version}`)
  process.exit(1)
}
console.log(`versions agree: ${expected} (${found.length} places)`)
