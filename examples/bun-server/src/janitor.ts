// Periodic pruning of rows past retention.
import type { CiLogStore } from 'citail'
import type { Logger } from 'citail/http'

export interface Janitor {
  /** Runs one prune now; resolves to the rows deleted (0 after a logged failure). */
  runOnce(): Promise<number>
  /** Stops the timer; an in-flight prune still finishes. */
  stop(): void
}

/**
 * Prunes every `intervalMs` and logs what it removed. `now` lets tests fix the clock; by
 * default the store uses the wall clock. A failing prune is logged and retried next interval.
 */
export function startJanitor(
  store: CiLogStore,
  intervalMs: number,
  log: Logger,
  now?: () => number,
): Janitor {
  let running: Promise<number> | null = null
  const runOnce = (): Promise<number> => {
    running ??= store
      .prune(now === undefined ? undefined : { now: now() })
      .then((deleted) => {
        log('info', 'janitor pruned expired ci-log rows', { deleted })
        return deleted
      })
      .catch((err: { code?: unknown; message?: unknown }) => {
        log('error', 'janitor prune failed', { code: err.code, message: String(err.message) })
        return 0
      })
      .finally(() => {
        running = null
      })
    return running
  }
  const timer = setInterval(() => void runOnce(), intervalMs)
  timer.unref?.()
  return { runOnce, stop: () => clearInterval(timer) }
}
