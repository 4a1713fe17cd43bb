// The README's TypeScript blocks work as written: each ```ts block is written to its own file
// under target/readme-snippets/ (inside the repository, so `citail` resolves to this
// workspace's package), type-checked with the project's compiler options, and the first one (no
// server, no environment) is run under Bun in an empty folder.
//   node scripts/readme-snippets.mjs
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1])
if (blocks.length < 2) {
  console.error(`expected the README's TypeScript blocks, found ${blocks.length}`)
  process.exit(1)
}
const out = join(root, 'target', 'readme-snippets')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const files = blocks.map((code, i) => {
  const file = join(out, `snippet-${i + 1}.ts`)
  writeFileSync(file, code)
  return file
})
const base = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'))
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify({ compilerOptions: { ...base.compilerOptions, typeRoots: [join(root, 'node_modules', '@types')] }, files }, null, 2),
)
const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options })
  if (result.status !== 0) {
    console.error(`failed: ${command} ${args.join(' ')}`)
    process.exit(1)
  }
}
run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(out, 'tsconfig.json')])
const scratch = mkdtempSync(join(tmpdir(), 'citail-readme-'))
try {
  run(join(root, 'node_modules', '.bin', 'bun'), [files[0]], { cwd: scratch })
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
console.log(`README: ${blocks.length} TypeScript block(s) type-check; the first runs under Bun`)
