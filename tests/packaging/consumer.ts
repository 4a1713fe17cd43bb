// Type-checked (never run) under moduleResolution node16, nodenext and bundler; as a .ts file in
// a CommonJS package it resolves the `require` types, and package-test.sh copies it to
// consumer.mts, which resolves the `import` types.
import { CiLogStore, isCiLogError, renderPromptBlock, type CiLog, type CiLogErrorCode, type IngestResult } from 'citail'
import { buildFixCiPrompt, createCiLogHandler, type CiLogHandler, type Logger } from 'citail/http'

export async function consume(path: string): Promise<string> {
  const store: CiLogStore = CiLogStore.open(path, { retentionMs: 14 * 24 * 3600 * 1000 })
  const logger: Logger = (level, message) => void `${level} ${message}`
  const handler: CiLogHandler = createCiLogHandler({
    store, token: 'x'.repeat(32), isWatched: async (repo: string) => repo.startsWith('acme/'), logger,
  })
  // @ts-expect-error -- the token is a string: the types are real, not `any`
  createCiLogHandler({ store, token: 32, isWatched: () => true })
  const res: Response = await handler(new Request('http://127.0.0.1/internal/ci-log'))
  const result: IngestResult = await store.ingest({ repo: 'acme/widgets' })
  const rows: CiLog[] = await store.logsFor('acme/widgets', 'f'.repeat(40), { limit: 10 })
  try {
    store.prune()
  } catch (err: unknown) {
    if (isCiLogError(err)) {
      const code: CiLogErrorCode = err.code
      return code
    }
  }
  return (await buildFixCiPrompt(store, 'base', 'acme/widgets', 'f'.repeat(40))) + renderPromptBlock(rows) + res.status + result.id
}
