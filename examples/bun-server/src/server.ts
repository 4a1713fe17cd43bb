// The internal ci-log HTTP server: one route on loopback, plus its janitor and shutdown.
import { CiLogStore } from 'citail'
import type { Server } from 'bun'
import { startJanitor, type Janitor } from './janitor'
import type { Logger } from './log'
import { handleCiLog } from './route'
import { requireToken, type ServerConfig } from './config'

export const ROUTE_PATH = '/internal/ci-log'

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
  const db = store ?? CiLogStore.open(config.storePath)
  const deps = { store: db, token: config.token, watchedRepos: config.watchedRepos, maxBodyBytes: config.maxBodyBytes, log }
  const server = Bun.serve({
    hostname: config.hostname,
    port: config.port,
    // Backstop for the route's own streaming limit.
    maxRequestBodySize: config.maxBodyBytes * 2,
    fetch(req) {
      const { pathname } = new URL(req.url)
      if (pathname !== ROUTE_PATH) return new Response('not found', { status: 404 })
      return handleCiLog(req, deps)
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
