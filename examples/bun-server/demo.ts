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
const BRANCH = 'fix/ci-green'
/** Earlier failures, so the prompt shows failure memory: main failed two of the same steps
 * the same way (pre-existing), and the branch's previous commit failed a third. */
const MAIN_SHA = 'a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4'
const PREVIOUS_SHA = 'be7a0000be7a0000be7a0000be7a0000be7a0000'
const STEPS = ['setup', 'typecheck', 'lint', 'fmt-check', 'test']
/**
 * Fixture logs whose excerpt shows no failure: a passing run, or a cut that ends before the
 * failure. Posted as failed steps they would teach the agent the wrong picture, so the demo
 * leaves them out and says so.
 */
const NO_FAILURE_SHOWN: Record<string, string> = {
  'jenkins-ansicolor__testlog-long.log': 'ends with Finished: SUCCESS',
  'rust-log-analyzer__test_missing_line.txt': 'a checkout excerpt, before any step ran',
  'terminal-to-html__docker-pull.sh.raw': 'a docker push in progress',
  'terminal-to-html__huge-line.sh.raw': 'one long line of output, no failure',
  'terminal-to-html__npm.sh.raw': 'npm install in progress',
  'terminal-to-html__playwright.sh.raw': '7 passed, 1 skipped',
  'xeus-lean__docker-build.log': 'cut off while apt-get still ran',
}

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
  const all = loadFixtures()
  const fixtures = all.filter((f) => !(f.name in NO_FAILURE_SHOWN))
  console.log(`posting the ${fixtures.length} fixture logs that show a failure to ${running.url}${ROUTE_PATH}`)
  for (const f of all) if (f.name in NO_FAILURE_SHOWN) console.log(`  not posted: ${f.name} (${NO_FAILURE_SHOWN[f.name]})`)
  const post = async (body: Record<string, unknown>): Promise<Response> =>
    fetch(running.url + ROUTE_PATH, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const stepName = (i: number) => `${STEPS[i % STEPS.length]} (${fixtures[i]!.name})`
  // Earlier runs: main failed steps 0 and 1 the same way; the branch's previous commit step 2.
  const earlier: [string, string, number][] = [[MAIN_SHA, 'main', 0], [MAIN_SHA, 'main', 1], [PREVIOUS_SHA, BRANCH, 2]]
  for (const [sha, ref, i] of earlier) {
    const res = await post({
      repo: REPO, run_id: 8000 + i, job_id: 1, step_name: stepName(i), head_sha: sha, ref,
      conclusion: 'failure', log_tail: wireTail(fixtures[i]!.text),
    })
    console.log(`  ${res.status} earlier: ${ref} at ${sha.slice(0, 7)}, ${fixtures[i]!.name}`)
  }
  for (const [i, fixture] of fixtures.entries()) {
    // Each fixture becomes the failed step of its own run, so the prompt shows them all.
    const res = await post({
      repo: REPO, run_id: 9000 + i, job_id: 1, step_name: stepName(i), head_sha: SHA, ref: BRANCH,
      run_attempt: 1, conclusion: 'failure', log_tail: wireTail(fixture.text),
    })
    console.log(`  ${res.status} ${fixture.name} ${await res.text()}`)
  }
  const base = `Fix the failing CI run of ${REPO} at ${SHA} (branch ${BRANCH}).`
  const prompt = await buildFixCiPrompt(running.store, base, REPO, SHA, { maxBytes: 48 * 1024, log: consoleLogger })
  console.log(`\n===== fix-CI prompt (${Buffer.byteLength(prompt)} bytes) =====\n${prompt}\n===== end of prompt =====`)
  const unchanged = await buildFixCiPrompt(running.store, base, REPO, 'f'.repeat(40))
  console.log(`prompt for a commit with no stored logs is unchanged: ${unchanged === base}`)
  console.log('store stats:', running.store.stats())
} finally {
  await running.shutdown()
  rmSync(dir, { recursive: true, force: true })
}
