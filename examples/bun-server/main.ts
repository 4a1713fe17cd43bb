// Production entry point: configuration from the environment, graceful shutdown on signals.
//   CLAUDE_HOOKS_INTERNAL_TOKEN=... CITAIL_WATCHED_REPOS=acme/app bun examples/bun-server/main.ts
import { loadConfig } from './src/config'
import { consoleLogger } from 'citail/http'
import { startServer, type RunningServer } from './src/server'

let running: RunningServer
try {
  running = startServer(loadConfig(process.env), consoleLogger)
} catch (err) {
  const e = err as { code?: unknown; message?: unknown; name?: unknown }
  const path = process.env.CITAIL_STORE_PATH ?? './ci-logs.redb'
  const why =
    e.code === 'STORE_LOCKED'
      ? `the store file ${path} is held by another process (another ci-log server?); stop it, or set CITAIL_STORE_PATH to another file`
      : e.code === 'NOT_A_STORE'
        ? `${String(e.message)}; check CITAIL_STORE_PATH (the file was left as it is)`
        : String(e.message)
  consoleLogger('error', `ci-log server not started: ${why}`, { code: typeof e.code === 'string' ? e.code : e.name })
  process.exit(1)
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    consoleLogger('info', `received ${signal}, shutting down`)
    void running.shutdown().then(() => process.exit(0))
  })
}
