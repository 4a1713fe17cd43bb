// The ci-log route as a Fetch-API handler. POST: authenticate, bound the body, parse, check the
// repo, store. GET ?repo=…&head_sha=…: authenticate, return the live rows and the prompt block a
// dispatch would append (for operators: `citail show --url`).
import { randomUUID } from 'node:crypto'
import type { CiLogStore } from '../../index.js'
import { bearerMatches, MIN_TOKEN_LENGTH } from './auth.js'
import { CLIENT_GONE, DEFAULT_MAX_BODY_BYTES, NOT_UTF8, queryOf, readBounded, TOO_LARGE } from './body.js'
import { silentLogger, type Logger } from './log.js'
import { ciLogBlock, type PromptOptions } from './prompt.js'

export interface CiLogHandlerOptions {
  /** The open store rows are written to and read from. */
  store: CiLogStore
  /** Shared secret the workflows send as `Authorization: Bearer <token>`; at least 32 characters. */
  token: string
  /**
   * Whether logs of `repo` (`owner/name`) are accepted; any other repo is answered 404
   * `UNKNOWN_REPO`. May be async (a database lookup); when it throws or rejects the request is
   * answered 503 `WATCH_CHECK_FAILED` and nothing is stored.
   */
  isWatched: (repo: string) => boolean | Promise<boolean>
  /** Request bodies above this many bytes are answered 413 without being buffered (default 400 KiB). */
  maxBodyBytes?: number
  /** Receives one line per stored, refused or failed request (default: discards them). */
  logger?: Logger
  /** Budget and row limit of the block the GET answer holds (the dispatch defaults). */
  prompt?: Pick<PromptOptions, 'maxBytes' | 'maxRows'>
}

/** A Fetch-API handler: mounts in `Bun.serve`, Hono (`c.req.raw`), Elysia, Node fetch adapters. */
export type CiLogHandler = (req: Request) => Promise<Response>

/** HTTP status for each citail error code; anything unknown is a 500. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_FIELD: 400,
  PAYLOAD_TOO_LARGE: 413,
  STORE_LOCKED: 503,
  STORE_CLOSED: 503,
  CORRUPT: 503,
  NOT_A_STORE: 503,
  STORAGE: 503,
  SCHEMA_TOO_NEW: 503,
}

/**
 * The handler of the ci-log route. It answers whatever request it is given: mount it at
 * `/internal/ci-log` (routing is the server's job). It never throws and never answers an
 * unauthenticated request with anything but 401 (405 for a method other than GET and POST);
 * an unexpected failure after authentication is a bare 500 with a `request_id` to find the
 * details in the log. Throws `INVALID_OPTION` at once for a missing store, a short token or a
 * bad limit.
 */
export function createCiLogHandler(options: CiLogHandlerOptions): CiLogHandler {
  const deps = checkedOptions(options)
  return async (req) => {
    if (req.method !== 'POST' && req.method !== 'GET') {
      return problem(405, 'METHOD_NOT_ALLOWED', 'use POST to store, GET to read')
    }
    if (!bearerMatches(req.headers.get('authorization'), deps.token)) {
      return problem(401, 'UNAUTHORIZED', 'missing or wrong bearer token')
    }
    try {
      return req.method === 'GET' ? await readCiLog(req, deps) : await storeCiLog(req, deps)
    } catch (err) {
      const requestId = randomUUID()
      const e = err as { message?: unknown; stack?: unknown }
      if (req.signal?.aborted === true) {
        // The client went away: nothing for an operator to act on, and nobody reads the answer.
        deps.log('info', 'ci-log request abandoned: the client closed the connection', { request_id: requestId, message: String(e?.message) })
        return problem(400, 'CLIENT_GONE', 'the client closed the connection')
      }
      deps.log('error', 'ci-log request failed', { request_id: requestId, message: String(e?.message), stack: e?.stack })
      return json(500, { error: { code: 'INTERNAL', message: 'internal error', request_id: requestId } })
    }
  }
}

/** The options once checked, with their defaults filled in. */
interface Deps extends Pick<CiLogHandlerOptions, 'store' | 'token' | 'isWatched'> {
  maxBodyBytes: number
  log: Logger
  prompt: NonNullable<CiLogHandlerOptions['prompt']>
}

function checkedOptions(options: CiLogHandlerOptions): Deps {
  const invalid = (field: string, message: string): Error =>
    Object.assign(new Error(`createCiLogHandler: ${message}`), { code: 'INVALID_OPTION', field })
  if (typeof options !== 'object' || options === null) throw invalid('options', 'options must be an object')
  if (typeof options.store?.ingest !== 'function') throw invalid('store', 'store must be an open CiLogStore')
  if (typeof options.token !== 'string' || options.token.length < MIN_TOKEN_LENGTH) {
    throw invalid('token', `token must be a string of at least ${MIN_TOKEN_LENGTH} characters`)
  }
  if (typeof options.isWatched !== 'function') throw invalid('isWatched', 'isWatched must be a function')
  if (options.logger !== undefined && typeof options.logger !== 'function') throw invalid('logger', 'logger must be a function')
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw invalid('maxBodyBytes', 'maxBodyBytes must be a positive integer')
  }
  return {
    store: options.store, token: options.token, isWatched: options.isWatched, maxBodyBytes,
    log: neverThrows(options.logger ?? silentLogger), prompt: options.prompt ?? {},
  }
}

/** A logger that throws must not turn a stored row into a failed request. */
function neverThrows(logger: Logger): Logger {
  return (level, message, fields) => {
    try {
      logger(level, message, fields)
    } catch {
      // The request's answer does not depend on its log line.
    }
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}

function problem(status: number, code: string, message: string, field?: string): Response {
  return json(status, { error: field === undefined ? { code, message } : { code, message, field } })
}

/** Maps a store error to a problem response, logging it. */
function storeFailure(err: unknown, deps: Deps, what: string): Response {
  const e = err as { code?: unknown; message?: unknown; field?: unknown }
  const code = typeof e.code === 'string' ? e.code : 'INTERNAL'
  const status = STATUS_BY_CODE[code] ?? 500
  deps.log(status >= 500 ? 'error' : 'warn', what, { code, message: String(e.message) })
  return problem(status, code, String(e.message), typeof e.field === 'string' ? e.field : undefined)
}

async function storeCiLog(req: Request, deps: Deps): Promise<Response> {
  const encoding = req.headers.get('content-encoding')
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') {
    return problem(415, 'UNSUPPORTED_ENCODING', 'send the body uncompressed')
  }
  const text = await readBounded(req, deps.maxBodyBytes)
  if (text === TOO_LARGE) {
    deps.log('warn', 'ci-log refused: body over limit', { limit: deps.maxBodyBytes })
    return problem(413, 'PAYLOAD_TOO_LARGE', `body is over ${deps.maxBodyBytes} bytes`)
  }
  if (text === CLIENT_GONE) {
    deps.log('info', 'ci-log request abandoned: the client closed the connection before its body arrived')
    return problem(400, 'CLIENT_GONE', 'the client closed the connection')
  }
  if (text === NOT_UTF8) return problem(400, 'BAD_JSON', 'body is not valid UTF-8')
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch {
    return problem(400, 'BAD_JSON', 'body is not valid JSON')
  }
  const repo = typeof payload === 'object' && payload !== null ? (payload as { repo?: unknown }).repo : undefined
  if (typeof repo === 'string') {
    let watched: boolean
    try {
      watched = await deps.isWatched(repo)
    } catch (err) {
      deps.log('error', 'ci-log refused: isWatched failed', { repo, message: String((err as { message?: unknown })?.message) })
      return problem(503, 'WATCH_CHECK_FAILED', 'could not check whether the repo is watched; retry later')
    }
    if (watched !== true) return problem(404, 'UNKNOWN_REPO', `repo ${repo} is not watched`)
  }
  try {
    const result = await deps.store.ingest(payload)
    const body = payload as Record<string, unknown>
    deps.log('info', 'ci-log stored', {
      repo, head_sha: body.head_sha, step: body.step_name, id: result.id,
      bytes: result.stored_bytes, truncated: result.truncated, replaced: result.replaced,
      // Counts only, the secrets themselves are gone: what the step script masked before
      // posting, and what citail's rules redacted on ingest.
      masked_at_source: result.masked_at_source, redactions: result.redactions,
    })
    return json(201, result)
  } catch (err) {
    return storeFailure(err, deps, 'ci-log refused')
  }
}

/**
 * GET: the live rows of (repo, head_sha) a dispatch reads (the newest `maxRows`), oldest first;
 * `older`, the steps it did not read (counted, the newest named); `history`, what the store
 * remembers of each row's failure (as `historyFor` returns it); and the block a fix-CI
 * dispatch would append (`''` with no rows). Any repo may be read, watched or not: reading is not ingesting.
 */
async function readCiLog(req: Request, deps: Deps): Promise<Response> {
  const query = queryOf(req.url)
  const repo = query.get('repo')
  const headSha = query.get('head_sha')
  if (repo === null || headSha === null) {
    return problem(400, 'INVALID_FIELD', 'give ?repo=owner/name&head_sha=…', repo === null ? 'repo' : 'head_sha')
  }
  try {
    const { rows, older, history, block } = await ciLogBlock(deps.store, repo, headSha, deps.prompt)
    return json(200, { rows, older, history, prompt: block }, { 'cache-control': 'no-store' })
  } catch (err) {
    // The binding names its argument `headSha`; the caller wrote the query parameter `head_sha`.
    const e = err as { field?: unknown }
    if (e.field === 'headSha') e.field = 'head_sha'
    return storeFailure(err, deps, 'ci-log read refused')
  }
}
