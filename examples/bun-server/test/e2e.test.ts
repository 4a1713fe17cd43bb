// End to end: a real failing shell step, the Forgejo step script, the route, the prompt.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildFixCiPrompt } from 'citail/http'
import { REPO, startHarness, type Harness } from './harness'

const SCRIPT = join(import.meta.dir, '..', '..', 'forgejo', 'post-ci-log.sh')
const HEAD = 'ab'.repeat(20)
const LEAKED_PASSWORD = 'pA55w0rd-9f8e7d6c5b4a'
let h: Harness

/**
 * Runs the step script without blocking the event loop (the server under test runs in this
 * process, so a synchronous spawn would leave the script's request unanswered).
 */
async function runScript(args: readonly string[], env: Record<string, string | undefined>): Promise<{ status: number; stderr: string }> {
  const child = Bun.spawn(['bash', SCRIPT, ...args], { env: { PATH: process.env.PATH, ...env }, stdout: 'ignore', stderr: 'pipe' })
  const timer = setTimeout(() => child.kill(), 20_000)
  const [status, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
  clearTimeout(timer)
  return { status, stderr }
}
beforeAll(() => { h = startHarness() })
afterAll(async () => { await h.stop() })

test('a failed step reaches the fix-CI prompt within 10 s', async () => {
  // The "step": a script that prints a test failure (with backticks, quotes, a tab, a control
  // character, non-ASCII, colour codes, a progress redraw and a leaked token) and exits 1, its
  // output captured the way the workflow tees it.
  const logFile = join(h.dir, 'test.log')
  const step = spawnSync('bash', ['-c', `
    set -o pipefail
    { echo 'error[E0425]: cannot find value \`x\` in this scope'
      for i in $(seq 1 420); do echo "ok $i"; done
      printf 'downloading 10%%\\rdownloading 100%%\\n'
      echo "remote: https://ci:${'$'}{LEAKED}@git.example.com/acme/widgets.git"
      printf '\\033[31mFAIL\\033[0m src/parse.test.ts > parses "quoted" \`code\`\\t✗ résumé \\001\\n'
      echo '\`\`\`'
      echo 'Tests: 1 failed, 300 passed'
      exit 1; } 2>&1 | tee ${JSON.stringify(logFile)} > /dev/null
  `], { env: { PATH: process.env.PATH, LEAKED: LEAKED_PASSWORD } })
  expect(step.status).toBe(1)

  const base = 'Fix the failing CI run.'
  expect(await buildFixCiPrompt(h.store, base, REPO, HEAD)).toBe(base)

  const started = Date.now()
  const post = await runScript(['test', logFile], {
    CI_LOG_URL: h.url, CI_LOG_TOKEN: h.token,
    GITHUB_REPOSITORY: REPO, GITHUB_RUN_ID: '4242', GITHUB_JOB: 'check', GITHUB_SHA: HEAD,
  })
  expect(post.status).toBe(0)
  expect(post.stderr).toContain('sent the tail of step test')
  expect(post.stderr).not.toContain(h.token)

  let prompt = base
  while (prompt === base && Date.now() - started < 10_000) {
    prompt = await buildFixCiPrompt(h.store, base, REPO, HEAD)
    if (prompt === base) await Bun.sleep(50)
  }
  expect(Date.now() - started).toBeLessThan(10_000)
  const rows = await h.store.logsFor(REPO, HEAD)
  expect(rows.length).toBe(1)
  expect(rows[0]).toMatchObject({ run_id: '4242', job_id: 'check', step_name: 'test', conclusion: 'failure' })
  // The step script sent the whole log (under 60 KiB); the store kept its last 200 lines and
  // found the cause, printed before 420 lines of noise, among the highlights.
  const row = rows[0]!
  expect(row.original_lines).toBe(426)
  expect(row.log_tail).not.toContain('E0425')
  expect(row.highlights[0]).toEqual({ line: 1, text: 'error[E0425]: cannot find value `x` in this scope', repeats: 1 })
  expect(prompt).toContain('\nL1: error[E0425]: cannot find value `x` in this scope\n')
  const tail = row.log_tail
  expect(tail.endsWith('```\nTests: 1 failed, 300 passed\n')).toBe(true)
  // Normalised: colour codes, the redraw's first frame and the control character are gone.
  expect(tail).toContain('\ndownloading 100%\n')
  expect(tail).toContain('\nFAIL src/parse.test.ts > parses "quoted" `code`\t✗ résumé \n')
  // Redacted before storage, so neither the store nor the prompt ever holds the password.
  expect(tail).toContain('remote: https://ci:[REDACTED:url-credentials]@git.example.com/')
  expect(prompt).not.toContain(LEAKED_PASSWORD)
  expect(prompt).not.toMatch(/[\u001b\r]/)
  // The tail sits inside a fence longer than any backtick run in it.
  expect(prompt.startsWith(base)).toBe(true)
  // The highlights the tail shows (lines 424 and 426) are marked there, not printed twice.
  const marked = tail
    .replace('\nFAIL src/parse.test.ts', '\n▶ L424: FAIL src/parse.test.ts')
    .replace('\nTests: 1 failed', '\n▶ L426: Tests: 1 failed')
  expect(prompt).toContain('\n````\n' + marked + '````\n')
  expect(prompt).toContain('\nAnd L424, L426, marked ▶ in the log below.\n')
})

test('the step script exits 0 whatever happens', async () => {
  const env = { CI_LOG_URL: 'http://127.0.0.1:9', CI_LOG_TOKEN: 'x'.repeat(40), GITHUB_SHA: HEAD }
  const logFile = join(h.dir, 'x.log')
  writeFileSync(logFile, 'boom\n')
  for (const [args, extra] of [
    [[], {}],
    [['test', join(h.dir, 'missing.log')], {}],
    [['test', logFile], {}], // nothing listens on port 9
    [['test', logFile], { CI_LOG_TOKEN: '' }],
    [['test', logFile], { CI_LOG_URL: h.url, CI_LOG_TOKEN: 'w'.repeat(40) }], // 401
  ] as const) {
    const r = await runScript(args, { ...env, ...extra })
    expect(r.status).toBe(0)
    expect(r.stderr).toMatch(/^post-ci-log: /)
  }
})
