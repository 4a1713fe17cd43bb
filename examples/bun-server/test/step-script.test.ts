// The Forgejo step script against hostile logs and hostile arguments, with jq and with the
// python3 fallback: it never executes anything it reads, always exits 0, and sends valid JSON
// whose fields are exactly what it was given (or sends nothing).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SCRIPT = join(import.meta.dir, '..', '..', 'forgejo', 'post-ci-log.sh')
const SHA = 'ab'.repeat(20)
const TOKEN = 't'.repeat(40)
const MAX_BYTES = 61440
/** What the script runs besides jq and python3. */
const TOOLS = ['bash', 'curl', 'mktemp', 'wc', 'tail', 'head', 'od', 'tr', 'sed', 'mv', 'cat', 'rm']

let dir: string
let server: ReturnType<typeof Bun.serve>
/** Raw bodies the capture server received, in order. */
const bodies: Uint8Array[] = []
/** A PATH with everything the script needs but jq, so it takes the python3 branch. */
let pythonOnlyPath: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'citail-step-script-'))
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      bodies.push(new Uint8Array(await req.arrayBuffer()))
      return Response.json({ id: bodies.length }, { status: 201 })
    },
  })
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  for (const tool of TOOLS) {
    symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool))
  }
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
  symlinkSync(python, join(bin, 'python3'))
  pythonOnlyPath = bin
})
afterAll(() => {
  server.stop(true)
  rmSync(dir, { recursive: true, force: true })
})

interface Sent {
  status: number
  stderr: string
  body: Record<string, unknown> | null
}

/** Runs the script once in `dir` (so a relative `touch` would land there) and returns what it sent. */
async function post(builder: 'jq' | 'python3', stepId: string, log: Uint8Array | string, env: Record<string, string> = {}): Promise<Sent> {
  const logFile = join(dir, 'step.log')
  writeFileSync(logFile, log)
  const before = bodies.length
  const child = Bun.spawn(['bash', SCRIPT, stepId, logFile], {
    cwd: dir,
    env: {
      PATH: builder === 'jq' ? process.env.PATH! : pythonOnlyPath,
      CI_LOG_URL: `http://127.0.0.1:${server.port}`, CI_LOG_TOKEN: TOKEN,
      GITHUB_REPOSITORY: 'acme/widgets', GITHUB_RUN_ID: '812', GITHUB_JOB: 'test', GITHUB_SHA: SHA, ...env,
    },
    stdout: 'ignore',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => child.kill(), 30_000)
  const [status, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
  clearTimeout(timer)
  expect(bodies.length - before).toBeLessThanOrEqual(1)
  const raw = bodies.length > before ? bodies[bodies.length - 1]! : null
  // Valid UTF-8 and valid JSON, or nothing at all.
  const body = raw === null ? null : (JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) as Record<string, unknown>)
  return { status, stderr, body }
}

const MARKERS = ['pwned-1', 'pwned-2', 'pwned-3', 'pwned-4', 'pwned-5', 'pwned-6']
const HOSTILE_TEXT = [
  'error: $(touch pwned-1)',
  'error: `touch pwned-2`',
  'x; touch pwned-3 && touch pwned-3 | touch pwned-3',
  "quotes ' \" \\' \\\" \\\\ and ${IFS} ${PATH:0:1} $((1+1)) !! !$",
  'printf formats %s %n %x %99999999d \\x41 \\0',
  '<?xml?> <script>alert(1)</script> {"json": "inside"} \\u0000',
].join('\n') + '\n'

for (const builder of ['jq', 'python3'] as const) {
  describe(`post-ci-log.sh with ${builder}`, () => {
    test('shell metacharacters in the log, the step id and the environment are sent as text, never run', async () => {
      const stepId = 'test $(touch pwned-4) `touch pwned-5` %n%s'
      const sent = await post(builder, stepId, HOSTILE_TEXT, { CI_LOG_JOB_ID: 'job;touch pwned-6' })
      expect(sent.status).toBe(0)
      expect(sent.body).toEqual({
        repo: 'acme/widgets', run_id: '812', job_id: 'job;touch pwned-6', step_name: stepId,
        head_sha: SHA, conclusion: 'failure', log_tail: HOSTILE_TEXT,
      })
      expect(sent.stderr).toContain('post-ci-log: sent the tail')
      expect(sent.stderr).not.toContain(TOKEN)
      for (const marker of MARKERS) expect(existsSync(join(dir, marker))).toBe(false)
      expect(readdirSync(dir).filter((f) => f.startsWith('pwned'))).toEqual([])
    })

    test('invalid UTF-8 becomes U+FFFD; NUL, CR and other control bytes travel as JSON escapes', async () => {
      const log = new Uint8Array([
        ...Buffer.from('before\n'), 0xff, 0xfe, ...Buffer.from(' bad '), 0xe2, 0x82, 0x0a,
        ...Buffer.from('nul:'), 0x00, ...Buffer.from(':end\r\n'), 0x1b, ...Buffer.from('[31mred'), 0x1b,
        ...Buffer.from('[0m\rredraw\n'), 0xed, 0xa0, 0x80, ...Buffer.from(' surrogate\n'),
      ])
      const sent = await post(builder, 'test', log)
      expect(sent.status).toBe(0)
      const tail = sent.body?.log_tail as string
      expect(tail.startsWith('before\n')).toBe(true)
      expect(tail).toContain('\ufffd')
      expect(tail).toContain(' bad ')
      expect(tail).toContain('nul:\u0000:end\r\n')
      expect(tail).toContain('\u001b[31mred\u001b[0m\rredraw\n')
      expect(tail.endsWith(' surrogate\n')).toBe(true)
      expect(tail).not.toMatch(/[\ud800-\udfff]/) // no lone surrogate survives
    })

    test('a multi-megabyte single line is cut to its last 60 KiB', async () => {
      const line = 'y'.repeat(3 * 1024 * 1024 - 7) + ' FAILED'
      const sent = await post(builder, 'test', line)
      expect(sent.status).toBe(0)
      const tail = sent.body?.log_tail as string
      expect(tail.length).toBe(MAX_BYTES)
      expect(line.endsWith(tail)).toBe(true)
    })

    test('a big log is cut to 60 KiB starting on a line boundary', async () => {
      const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i} ${'z'.repeat(i % 50)}`)
      const log = lines.join('\n') + '\n'
      const sent = await post(builder, 'test', log)
      const tail = sent.body?.log_tail as string
      expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(MAX_BYTES)
      expect(Buffer.byteLength(tail)).toBeGreaterThan(MAX_BYTES - 100)
      expect(log.endsWith(tail)).toBe(true)
      expect(log[log.length - tail.length - 1]).toBe('\n')
    })

    test('an empty log is sent as an empty tail', async () => {
      const sent = await post(builder, 'test', '')
      expect(sent.status).toBe(0)
      expect(sent.body?.log_tail).toBe('')
    })
  })
}

test('with neither jq nor python3 the script sends nothing and exits 0', async () => {
  const bare = join(dir, 'bare-bin')
  mkdirSync(bare)
  for (const tool of TOOLS) {
    symlinkSync(join(pythonOnlyPath, tool), join(bare, tool))
  }
  const logFile = join(dir, 'step.log')
  writeFileSync(logFile, 'boom\n')
  const before = bodies.length
  const child = Bun.spawn(['bash', SCRIPT, 'test', logFile], {
    cwd: dir, env: { PATH: bare, CI_LOG_URL: `http://127.0.0.1:${server.port}`, CI_LOG_TOKEN: TOKEN, GITHUB_SHA: SHA },
    stdout: 'ignore', stderr: 'pipe',
  })
  const [status, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
  expect(status).toBe(0)
  expect(stderr).toContain('neither jq nor python3')
  expect(bodies.length).toBe(before)
})
