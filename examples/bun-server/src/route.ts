// POST /internal/ci-log: authenticate, bound the body, parse, check the repo, store.
import type { CiLogStore } from 'citail'
import { bearerMatches } from './auth'
import type { Logger } from './log'

export interface RouteDeps {
  store: CiLogStore
  token: string
  watchedRepos: ReadonlySet<string>
  maxBodyBytes: number
  log: Logger
}

/** HTTP status for each citail error code; anything unknown is a 500. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_FIELD: 400,
  PAYLOAD_TOO_LARGE: 413,
  STORE_LOCKED: 503,
  STORE_CLOSED: 503,
  CORRUPT: 503,
  STORAGE: 503,
  SCHEMA_TOO_NEW: 503,
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

function problem(status: number, code: string, message: string, field?: string): Response {
  return json(status, { error: field === undefined ? { code, message } : { code, message, field } })
}

const TOO_LARGE = Symbol('too large')

const NOT_UTF8 = Symbol('not utf-8')

/** Reads at most `limit` bytes of the body; never buffers more than that. */
async function readBounded(req: Request, limit: number): Promise<string | typeof TOO_LARGE | typeof NOT_UTF8> {
  const declared = req.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) return TOO_LARGE
  if (req.body === null) return ''
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => {})
      return TOO_LARGE
    }
    chunks.push(value)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    return NOT_UTF8
  }
}

/** Handles one request to the ci-log route. */
export async function handleCiLog(req: Request, deps: RouteDeps): Promise<Response> {
  if (req.method !== 'POST') return problem(405, 'METHOD_NOT_ALLOWED', 'use POST')
  if (!bearerMatches(req.headers.get('authorization'), deps.token)) {
    return problem(401, 'UNAUTHORIZED', 'missing or wrong bearer token')
  }
  const encoding = req.headers.get('content-encoding')
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') {
    return problem(415, 'UNSUPPORTED_ENCODING', 'send the body uncompressed')
  }
  const text = await readBounded(req, deps.maxBodyBytes)
  if (text === TOO_LARGE) {
    deps.log('warn', 'ci-log refused: body over limit', { limit: deps.maxBodyBytes })
    return problem(413, 'PAYLOAD_TOO_LARGE', `body is over ${deps.maxBodyBytes} bytes`)
  }
  if (text === NOT_UTF8) return problem(400, 'BAD_JSON', 'body is not valid UTF-8')
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch {
    return problem(400, 'BAD_JSON', 'body is not valid JSON')
  }
  const repo = typeof payload === 'object' && payload !== null ? (payload as { repo?: unknown }).repo : undefined
  if (typeof repo === 'string' && !deps.watchedRepos.has(repo)) {
    return problem(404, 'UNKNOWN_REPO', `repo ${repo} is not watched`)
  }
  try {
    const result = await deps.store.ingest(payload)
    const body = payload as Record<string, unknown>
    deps.log('info', 'ci-log stored', {
      repo, head_sha: body.head_sha, step: body.step_name, id: result.id,
      bytes: result.stored_bytes, truncated: result.truncated, replaced: result.replaced,
      redactions: result.redactions, // a count only: the secrets themselves are gone
    })
    return json(201, result)
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; field?: unknown }
    const code = typeof e.code === 'string' ? e.code : 'INTERNAL'
    const status = STATUS_BY_CODE[code] ?? 500
    deps.log(status >= 500 ? 'error' : 'warn', 'ci-log refused', { code, message: String(e.message) })
    return problem(status, code, String(e.message), typeof e.field === 'string' ? e.field : undefined)
  }
}
