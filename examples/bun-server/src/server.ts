// The internal ci-log HTTP server: one route on loopback, plus its janitor and shutdown.
import { randomUUID } from 'node:crypto'
import { CiLogStore } from 'citail'
import type { Server } from 'bun'
import { createCiLogHandler, type Logger } from 'citail/http'
import { startJanitor, type Janitor } from './janitor'
import { requireToken, type ServerConfig } from './config'

export const ROUTE_PATH = '/internal/ci-log'

/**
 * The path of a request target, without query or fragment. Never throws: Bun hands over a
 * relative target (`/internal/ci-log`) when the request had no usable `Host` header, where
 * `new URL(req.url)` would throw before any authentication.
 */
export function pathOf(url: string): string {
  let target = url
  const scheme = target.indexOf('://')
  if (scheme !== -1) {
    const slash = target.indexOf('/', scheme + 3)
    target = slash === -1 ? '/' : target.slice(slash)
  }
  const end = target.search(/[?#]/)
  return end === -1 ? target : target.slice(0, end)
}

export interface RunningServer {
  server: Server<undefined>
  store: CiLogStore
  janitor: Janitor
  /** `http://127.0.0.1:<port>` */
  url: string
  /** Stops accepting requests, stops the janitor, closes the store. Idempotent. */
  shutdown(): Promise<void>
}

/** Opens the store, starts the route and the janitor. Throws `ConfigError` on a weak token. */
export function startServer(config: ServerConfig, log: Logger, store?: CiLogStore): RunningServer {
  requireToken(config.token)
  const db = store ?? CiLogStore.open(config.storePath, { recoverCorrupt: config.recoverCorrupt ?? true })
  if (db.recovered !== null) {
    log('error', 'ci-log store file was damaged: moved it aside and started with an empty store', {
      store: config.storePath, moved_to: db.recovered.movedTo, reason: db.recovered.reason,
    })
  }
  if (config.watchedRepos.size === 0) {
    log('warn', 'no watched repositories: every POST will be refused 404 UNKNOWN_REPO; set CITAIL_WATCHED_REPOS=owner/name,...', {
      store: config.storePath,
    })
  }
  const handleCiLog = createCiLogHandler({
    store: db,
    token: config.token,
    isWatched: (repo) => config.watchedRepos.has(repo),
    maxBodyBytes: config.maxBodyBytes,
    logger: log,
  })
  const server = Bun.serve({
    hostname: config.hostname,
    port: config.port,
    // Backstop for the route's own streaming limit.
    maxRequestBodySize: config.maxBodyBytes * 2,
    // Never Bun's development error page: it shows source paths and lines to any client.
    development: false,
    fetch(req) {
      if (pathOf(req.url) !== ROUTE_PATH) return new Response('not found', { status: 404 })
      return handleCiLog(req)
    },
    // A bug that escapes the route: a bare 500 with an id to find the details in the log.
    error(err) {
      const requestId = randomUUID()
      log('error', 'ci-log request failed', { request_id: requestId, message: String(err?.message), stack: err?.stack })
      return Response.json({ error: { code: 'INTERNAL', message: 'internal error', request_id: requestId } }, { status: 500 })
    },
  })
  const janitor = startJanitor(db, config.pruneIntervalMs, log)
  let closed: Promise<void> | null = null
  const shutdown = (): Promise<void> => {
    closed ??= (async () => {
      janitor.stop()
      await server.stop()
      db.close()
      log('info', 'ci-log server stopped')
    })()
    return closed
  }
  const url = `http://${config.hostname}:${server.port}`
  log('info', 'ci-log server listening', { url: url + ROUTE_PATH, store: config.storePath, watched: [...config.watchedRepos] })
  return { server, store: db, janitor, url, shutdown }
}
