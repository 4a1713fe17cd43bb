// Production entry point: configuration from the environment, graceful shutdown on signals.
//   CLAUDE_HOOKS_INTERNAL_TOKEN=... CITAIL_WATCHED_REPOS=acme/app bun examples/bun-server/main.ts
import { loadConfig } from './src/config'
import { consoleLogger } from './src/log'
import { startServer } from './src/server'

const running = startServer(loadConfig(process.env), consoleLogger)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    consoleLogger('info', `received ${signal}, shutting down`)
    void running.shutdown().then(() => process.exit(0))
  })
}
