// Starts a real server on an ephemeral loopback port with a store in a temp folder.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_MAX_BODY_BYTES } from '../src/config'
import { silentLogger, type Logger } from 'citail/http'
import { ROUTE_PATH, startServer, type RunningServer } from '../src/server'

export const REPO = 'acme/widgets'
export const SHA = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00'

export interface Harness extends RunningServer {
  token: string
  endpoint: string
  dir: string
  post(body: string | null, headers?: Record<string, string>): Promise<Response>
  stop(): Promise<void>
}

export function startHarness(log: Logger = silentLogger): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'citail-route-'))
  const token = randomBytes(24).toString('hex')
  const running = startServer(
    {
      token, watchedRepos: new Set([REPO]), storePath: join(dir, 'ci-logs.redb'), hostname: '127.0.0.1',
      port: 0, maxBodyBytes: DEFAULT_MAX_BODY_BYTES, pruneIntervalMs: 10 * 60 * 1000,
    },
    log,
  )
  const endpoint = running.url + ROUTE_PATH
  return {
    ...running, token, endpoint, dir,
    post: (body, headers = {}) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body,
      }),
    stop: async () => {
      await running.shutdown()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    repo: REPO, run_id: '812', job_id: '3', step_name: 'test', head_sha: SHA,
    conclusion: 'failure', log_tail: 'error: expected 2, got 3\n', ...overrides,
  }
}
