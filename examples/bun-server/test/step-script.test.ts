// The Forgejo step script against hostile logs and hostile arguments, with jq and with the
// python3 fallback: it never executes anything it reads, always exits 0, and sends valid JSON
// whose fields are exactly what it was given (or sends nothing).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SCRIPT = join(import.meta.dir, '..', '..', 'forgejo', 'post-ci-log.sh')
const SHA = 'ab'.repeat(20)
const TOKEN = 't'.repeat(40)
const MAX_BYTES = 61440
/** What the script runs besides jq and python3. */
const TOOLS = ['bash', 'curl', 'mktemp', 'wc', 'tail', 'head', 'od', 'tr', 'sed', 'mv', 'cat', 'rm', 'grep']

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
async function post(
  builder: 'jq' | 'python3',
  stepId: string,
  log: Uint8Array | string,
  env: Record<string, string> = {},
  command?: string,
): Promise<Sent> {
  const logFile = join(dir, 'step.log')
  writeFileSync(logFile, log)
  const args = ['bash', SCRIPT, stepId, logFile]
  if (command !== undefined) {
    const commandFile = join(dir, 'step.cmd')
    writeFileSync(commandFile, command)
    args.push(commandFile)
  }
  const before = bodies.length
  const child = Bun.spawn(args, {
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

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex')
}

/** Percent-encoding of every byte but `A-Z a-z 0-9 - _ . ~` (Python's `quote(v, safe="")`). */
function percentStrict(value: string): string {
  return encodeURIComponent(value).replace(/[!*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
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

    test('ref, run attempt and command are sent when known; the command is masked like the log', async () => {
      const secret = `s3cr3t-${randomHex(12)}`
      const command = `curl -H "x-key: ${secret}" https://example.invalid\nbun test $(touch pwned-1)\n`
      const sent = await post(
        builder, 'test', 'error: boom\n',
        { GITHUB_HEAD_REF: 'feature/x', GITHUB_REF_NAME: '12/merge', GITHUB_RUN_ATTEMPT: '2', CI_LOG_SECRETS: JSON.stringify({ KEY: secret }) },
        command,
      )
      expect(sent.status).toBe(0)
      expect(sent.body?.ref).toBe('feature/x')
      expect(sent.body?.run_attempt).toBe(2)
      expect(sent.body?.command).toBe(command.replace(secret, '[REDACTED:workflow-secret]'))
      expect(existsSync(join(dir, 'pwned-1'))).toBe(false)
      // An attempt that is not a whole number from 1 (act leaves it empty) is not sent; a
      // missing command file sends no command.
      for (const attempt of ['', '0', 'x1', '-1']) {
        const again = await post(builder, 'test', 'error: boom\n', { GITHUB_REF: 'refs/heads/main', GITHUB_RUN_ATTEMPT: attempt })
        expect(again.body?.ref).toBe('refs/heads/main')
        expect(again.body && 'run_attempt' in again.body).toBe(false)
        expect(again.body && 'command' in again.body).toBe(false)
      }
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

    test('the workflow\'s secrets are masked as is, per line, in base64, percent-encoded and JSON-escaped', async () => {
      const secret = `Zq7"pl@in/${randomHex(6)}!`
      const runtime = `rt-${randomHex(12)}`
      const multi = `-----BEGIN KEY-----\nline-one-${randomHex(8)}\nline-two-${randomHex(8)}`
      const [one, two] = multi.split('\n').slice(1) as [string, string]
      const log = [
        `connect ${secret}`,
        `Authorization: Basic ${Buffer.from(`user:${secret}`).toString('base64')}`,
        `GET /login?p=${encodeURIComponent(secret)}&strict=${percentStrict(secret)}`,
        `json ${JSON.stringify({ p: secret })}`,
        `fetched ${runtime} at run time; a key: ${one} then ${two}`,
        'short ab and abc stay, and so does ***',
      ].join('\n') + '\n'
      const secrets = JSON.stringify({ API_PASSWORD: secret, SHORT: 'ab', KEY: multi, NUM: 7 })
      const sent = await post(builder, 'test', log, { CI_LOG_SECRETS: secrets, FETCHED: runtime, CI_LOG_MASK_VARS: 'FETCHED, UNSET_VAR' })
      const tail = sent.body?.log_tail as string
      for (const piece of [secret, runtime, one, two, encodeURIComponent(secret), percentStrict(secret), JSON.stringify(secret).slice(1, -1)]) {
        expect(tail).not.toContain(piece)
      }
      // Not even the base64 characters that depend on the secret alone.
      expect(tail).not.toContain(Buffer.from(`user:${secret}`).toString('base64').slice(8, 20))
      expect(tail).toContain('connect [REDACTED:workflow-secret]\n')
      expect(tail).toContain('short ab and abc stay, and so does ***')
      expect(sent.stderr).toMatch(/\d+ value\(s\) masked/)
      for (const piece of [secret, runtime, one]) expect(sent.stderr).not.toContain(piece)
    })

    test('values the log declares with ::add-mask:: are masked everywhere, the declaration too', async () => {
      const value = `mask-${randomHex(10)}`
      const filler = 'x'.repeat(100) + '\n'
      // The declaration sits far above the part that is sent; the value shows in it.
      const log = `::add-mask::${value}\r\n` + filler.repeat(800) + `deploy with ${value}\n${Buffer.from(value).toString('base64')}\n`
      const sent = await post(builder, 'test', log)
      const tail = sent.body?.log_tail as string
      expect(tail).not.toContain(value)
      expect(tail).not.toContain(Buffer.from(value).toString('base64').slice(0, 12))
      expect(tail).toContain('deploy with [REDACTED:add-mask]\n')
      const short = await post(builder, 'test', '::add-mask::abc\nabc\n')
      expect(short.body?.log_tail).toBe('::add-mask::abc\nabc\n')
    })

    test('an empty or malformed secrets list is reported by its type and the post still goes out', async () => {
      for (const [given, said] of [['', null], ['{"a": ', 'not JSON'], ['"just-a-string"', 'string'], ['42', 'number'], ['[]', null]] as const) {
        const sent = await post(builder, 'test', 'boom just-a-string\n', { CI_LOG_SECRETS: given })
        expect(sent.status).toBe(0)
        expect(sent.body?.log_tail).toBe('boom just-a-string\n')
        if (said === null) expect(sent.stderr).not.toContain('CI_LOG_SECRETS')
        else expect(sent.stderr).toContain(`CI_LOG_SECRETS is not a JSON object or array (it is: ${said})`)
        expect(sent.stderr).toContain('post-ci-log: sent the tail')
      }
    })

    test('no secret value is ever an argument of a process the script starts', async () => {
      const secret = `argv-${randomHex(16)}`
      const logged = join(dir, `argv-${builder}.log`)
      const shims = join(dir, `shims-${builder}`)
      mkdirSync(shims, { recursive: true })
      const base = builder === 'jq' ? process.env.PATH! : pythonOnlyPath
      for (const tool of ['jq', 'python3', 'curl', 'grep', 'sed', 'tail', 'cat', 'wc', 'head', 'tr', 'od', 'mv', 'mktemp', 'rm']) {
        const real = execFileSync('bash', ['-c', `PATH='${base}' command -v ${tool} || true`], { encoding: 'utf8' }).trim()
        if (real === '') continue
        writeFileSync(join(shims, tool), `#!/bin/bash\nprintf '%s\\n' "${tool} $*" >> '${logged}'\nexec '${real}' "$@"\n`, { mode: 0o755 })
      }
      writeFileSync(logged, '')
      const sent = await post(builder, 'test', `::add-mask::${secret}-declared\nuse ${secret}\n`, {
        CI_LOG_SECRETS: JSON.stringify([secret]), PATH: `${shims}:${base}`,
      })
      expect(sent.body?.log_tail).toBe('::add-mask::[REDACTED:add-mask]\nuse [REDACTED:workflow-secret]\n')
      const argv = readFileSync(logged, 'utf8')
      expect(argv).toContain(builder === 'jq' ? 'jq ' : 'python3 ')
      expect(argv).not.toContain(secret)
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
