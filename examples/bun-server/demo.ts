// The main job: the whole flow on loopback with an embedded store file.
// A ci-log server starts on 127.0.0.1 with a store in a temp folder, every fixture log is posted
// through the real HTTP route as a workflow would, and the resulting fix-CI prompt is printed.
//   bun examples/bun-server/demo.ts
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadFixtures, wireTail } from './src/fixtures'
import { DEFAULT_MAX_BODY_BYTES } from './src/config'
import { buildFixCiPrompt, consoleLogger } from 'citail/http'
import { ROUTE_PATH, startServer } from './src/server'

const REPO = 'acme/widgets'
const SHA = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00'
const STEPS = ['setup', 'typecheck', 'lint', 'fmt-check', 'test']

const dir = mkdtempSync(join(tmpdir(), 'citail-demo-'))
const token = randomBytes(32).toString('hex')
const running = startServer(
  {
    token,
    watchedRepos: new Set([REPO]),
    storePath: join(dir, 'ci-logs.redb'),
    hostname: '127.0.0.1',
    port: 0,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    pruneIntervalMs: 10 * 60 * 1000,
  },
  consoleLogger,
)

try {
  const fixtures = loadFixtures()
  console.log(`posting ${fixtures.length} fixture logs to ${running.url}${ROUTE_PATH}`)
  for (const [i, fixture] of fixtures.entries()) {
    // Each fixture becomes the failed step of its own run, so the prompt shows them all.
    const body = {
      repo: REPO, run_id: 9000 + i, job_id: 1, step_name: `${STEPS[i % STEPS.length]} (${fixture.name})`,
      head_sha: SHA, conclusion: 'failure', log_tail: wireTail(fixture.text),
    }
    const res = await fetch(running.url + ROUTE_PATH, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    console.log(`  ${res.status} ${fixture.name} ${await res.text()}`)
  }
  const base = `Fix the failing CI run of ${REPO} at ${SHA}.`
  const prompt = await buildFixCiPrompt(running.store, base, REPO, SHA, { maxBytes: 48 * 1024, log: consoleLogger })
  console.log(`\n===== fix-CI prompt (${prompt.length} chars) =====\n${prompt}\n===== end of prompt =====`)
  const unchanged = await buildFixCiPrompt(running.store, base, REPO, 'f'.repeat(40))
  console.log(`prompt for a commit with no stored logs is unchanged: ${unchanged === base}`)
  console.log('store stats:', running.store.stats())
} finally {
  await running.shutdown()
  rmSync(dir, { recursive: true, force: true })
}
