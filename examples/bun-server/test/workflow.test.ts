// The reusable workflow (examples/forgejo/ci.yml) as a Bun project would copy it: its checks are
// Bun's, each tees its log where the mirror step looks, and the mirror step, run as written,
// posts exactly the failed steps' logs through the real route.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO, startHarness, type Harness } from './harness'

const FORGEJO = join(import.meta.dir, '..', '..', 'forgejo')
const HEAD = 'cd'.repeat(20)

interface Step { id?: string; name?: string; uses?: string; run?: string; env?: Record<string, string>; if?: string }
const workflow = Bun.YAML.parse(readFileSync(join(FORGEJO, 'ci.yml'), 'utf8')) as { jobs: { check: { steps: Step[] } } }
const steps = workflow.jobs.check.steps
const checks = steps.filter((s) => s.id !== undefined)
const mirror = steps.find((s) => s.name === 'Mirror failed step logs')

let h: Harness
beforeAll(() => { h = startHarness() })
afterAll(async () => { await h.stop() })

test("the checks are a Bun project's, and each tees its log where the mirror step reads it", () => {
  expect(steps.some((s) => s.uses?.startsWith('oven-sh/setup-bun@'))).toBe(true)
  const run = (id: string) => checks.find((s) => s.id === id)?.run ?? ''
  expect(run('setup')).toContain('bun install --frozen-lockfile')
  expect(run('typecheck')).toContain('tsc --noEmit')
  expect(run('lint')).toContain('biome ci')
  expect(run('test')).toContain('bun test')
  for (const step of checks) {
    expect(step.run).toContain('set -o pipefail')
    expect(step.run).toContain(`tee "$CI_LOGS/${step.id}.log"`)
    expect(mirror?.env?.[`OUTCOME_${step.id?.replaceAll('-', '_')}`]).toBe(`\${{ steps.${step.id}.outcome }}`)
  }
  expect(mirror?.if).toBe('failure()')
})

test('the mirror step, run as written, posts the failed steps and only those', async () => {
  const work = mkdtempSync(join(tmpdir(), 'citail-workflow-'))
  try {
    mkdirSync(join(work, '.forgejo'))
    copyFileSync(join(FORGEJO, 'post-ci-log.sh'), join(work, '.forgejo', 'post-ci-log.sh'))
    const logs = join(work, 'ci-logs')
    mkdirSync(logs)
    // A secret with no recognisable shape, as the workflow holds it: only masking by value finds it.
    const shapeless = 'q7Lw-no-shape-Zt2'
    for (const step of checks) writeFileSync(join(logs, `${step.id}.log`), `${step.id}: error: it broke with ${shapeless}\n`)
    const outcomes: Record<string, string> = {}
    for (const step of checks) {
      outcomes[`OUTCOME_${step.id?.replaceAll('-', '_')}`] = step.id === 'typecheck' || step.id === 'test' ? 'failure' : 'success'
    }
    const child = Bun.spawn(['bash', '-c', mirror?.run ?? 'exit 9'], {
      cwd: work,
      env: {
        PATH: process.env.PATH, CI_LOGS: logs, CI_LOG_URL: h.url, CI_LOG_TOKEN: h.token, CI_LOG_HEAD_SHA: HEAD,
        GITHUB_REPOSITORY: REPO, GITHUB_RUN_ID: '77', GITHUB_JOB: 'check', ...outcomes,
        // What `${{ toJSON(secrets) }}` gives the step.
        CI_LOG_SECRETS: JSON.stringify({ CI_LOG_TOKEN: h.token, FORGEGRAPH_TOKEN: shapeless }),
      },
      stdout: 'ignore', stderr: 'pipe',
    })
    const timer = setTimeout(() => child.kill(), 20_000)
    const [status, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
    clearTimeout(timer)
    expect(status).toBe(0)
    const stored = (await h.store.logsFor(REPO, HEAD)).map((row) => [row.step_name, row.log_tail])
    const masked = 'error: it broke with [REDACTED:workflow-secret]\n'
    expect(stored.sort()).toEqual([['test', `test: ${masked}`], ['typecheck', `typecheck: ${masked}`]])
    expect(mirror?.env?.CI_LOG_SECRETS).toBe('${{ toJSON(secrets) }}')
    expect(stderr).not.toContain(h.token)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
})
