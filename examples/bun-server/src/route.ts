// /internal/ci-log. POST: authenticate, bound the body, parse, check the repo, store.
// GET ?repo=…&head_sha=…: authenticate, return the live rows and the prompt block a dispatch
// would append (for operators: `citail show --url`).
import type { CiLogStore } from 'citail'
import { bearerMatches } from './auth'
import type { Logger } from './log'
import { ciLogBlock } from './prompt'

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

/** The query parameters of a request target; never throws (the target may be relative). */
function queryOf(url: string): URLSearchParams {
  const start = url.indexOf('?')
  if (start === -1) return new URLSearchParams()
  const end = url.indexOf('#', start)
  return new URLSearchParams(url.slice(start + 1, end === -1 ? undefined : end))
}

/** Maps a store error to a problem response, logging it. */
function storeFailure(err: unknown, deps: RouteDeps, what: string): Response {
  const e = err as { code?: unknown; message?: unknown; field?: unknown }
  const code = typeof e.code === 'string' ? e.code : 'INTERNAL'
  const status = STATUS_BY_CODE[code] ?? 500
  deps.log(status >= 500 ? 'error' : 'warn', what, { code, message: String(e.message) })
  return problem(status, code, String(e.message), typeof e.field === 'string' ? e.field : undefined)
}

/** Handles one request to the ci-log route. */
export async function handleCiLog(req: Request, deps: RouteDeps): Promise<Response> {
  if (req.method !== 'POST' && req.method !== 'GET') {
    return problem(405, 'METHOD_NOT_ALLOWED', 'use POST to store, GET to read')
  }
  if (!bearerMatches(req.headers.get('authorization'), deps.token)) {
    return problem(401, 'UNAUTHORIZED', 'missing or wrong bearer token')
  }
  if (req.method === 'GET') return readCiLog(req, deps)
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
    return storeFailure(err, deps, 'ci-log refused')
  }
}

/**
 * GET: the live rows of (repo, head_sha), oldest first, and the block a fix-CI dispatch would
 * append (`''` with no rows). Any repo may be read, watched or not: reading is not ingesting.
 */
async function readCiLog(req: Request, deps: RouteDeps): Promise<Response> {
  const query = queryOf(req.url)
  const repo = query.get('repo')
  const headSha = query.get('head_sha')
  if (repo === null || headSha === null) {
    return problem(400, 'INVALID_FIELD', 'give ?repo=owner/name&head_sha=…', repo === null ? 'repo' : 'head_sha')
  }
  try {
    const { rows, block } = await ciLogBlock(deps.store, repo, headSha)
    return new Response(JSON.stringify({ rows, prompt: block }), {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    })
  } catch (err) {
    // The binding names its argument `headSha`; the caller wrote the query parameter `head_sha`.
    const e = err as { field?: unknown }
    if (e.field === 'headSha') e.field = 'head_sha'
    return storeFailure(err, deps, 'ci-log read refused')
  }
}
