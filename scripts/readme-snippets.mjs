// The TypeScript blocks of the README and of docs/*.md work as written: each ```ts block is
// written to its own file under target/readme-snippets/ (inside the repository, so `citail`
// resolves to this workspace's package), type-checked with the project's compiler options, and
// the README's first one (no server, no environment) is run under Bun in an empty folder.
//   node scripts/readme-snippets.mjs
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tsBlocks = (file) =>
  [...readFileSync(join(root, file), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1])
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
const perPage = pages.map((page) => ({ page, blocks: tsBlocks(page) }))
const blocks = perPage.flatMap((p) => p.blocks)
if (perPage[0].blocks.length < 1 || blocks.length < 2) {
  console.error(`expected TypeScript blocks in the README and docs/, found ${blocks.length}`)
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
const counted = perPage.filter((p) => p.blocks.length > 0).map((p) => `${p.page} ${p.blocks.length}`)
console.log(`TypeScript blocks type-check (${counted.join(', ')}); the README's first runs under Bun`)
