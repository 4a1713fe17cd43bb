// Fix-CI prompt enrichment: append stored log tails, never block a dispatch.
import { renderPromptBlock, type CiLog, type CiLogStore, type FailureHistory, type OlderSteps } from '../../index.js'
import type { Logger } from './log.js'

export interface PromptOptions {
  /** Byte budget of the appended block (default 64 KiB). */
  maxBytes?: number
  /**
   * Most rows read for one commit (default 50, the newest): a retry loop gone wrong can leave
   * thousands, and the prompt cannot name them all anyway.
   */
  maxRows?: number
  /** Where to report a store failure; the prompt is returned unchanged either way. */
  log?: Logger
}

/** Default of `PromptOptions.maxRows`. */
export const DEFAULT_MAX_ROWS = 50

/** Default of `PromptOptions.maxBytes`: the byte budget of the appended block. */
export const DEFAULT_MAX_BYTES = 64 * 1024

/** How many of the steps beyond `maxRows` the block names (all are counted). */
const OLDER_NAMED = 20

/**
 * The live rows of (repo, headSha) a dispatch reads (the newest `maxRows`) and the block it
 * appends (`''` when there are none). When the read stopped at `maxRows`, the older steps it
 * did not read are counted and named in the block's closing note: nothing is left out
 * silently. What the store remembers of each row's failure (`historyFor`: the same failure on
 * other commits, on this branch before, on earlier attempts, or new) is one line per step that
 * has something to say. Throws what the store throws (`INVALID_FIELD` for a bad repo or SHA):
 * `buildFixCiPrompt` swallows it, the read route reports it.
 */
export async function ciLogBlock(
  store: CiLogStore,
  repo: string,
  headSha: string,
  options: Pick<PromptOptions, 'maxBytes' | 'maxRows'> = {},
): Promise<{ rows: CiLog[]; older: OlderSteps; history: FailureHistory[]; block: string }> {
  const limit = options.maxRows ?? DEFAULT_MAX_ROWS
  const rows = await store.logsFor(repo, headSha, { limit })
  const oldest = rows[0]
  const older: OlderSteps =
    oldest !== undefined && rows.length >= limit
      ? await store.stepsBefore(oldest, { names: OLDER_NAMED })
      : { count: 0, newest: [] }
  const history = rows.length === 0 ? [] : await store.historyFor(rows)
  const block =
    rows.length === 0 ? '' : renderPromptBlock(rows, { maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES, older, history })
  return { rows, older, history, block }
}

/**
 * `basePrompt` followed by the stored CI log tails of (repo, headSha). Returns `basePrompt`
 * byte-for-byte unchanged when there are no rows, and when the store throws: the enrichment is
 * additive and must never stop a dispatch.
 */
export async function buildFixCiPrompt(
  store: CiLogStore,
  basePrompt: string,
  repo: string,
  headSha: string,
  options: PromptOptions = {},
): Promise<string> {
  try {
    const { block } = await ciLogBlock(store, repo, headSha, options)
    return basePrompt + block
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; field?: unknown }
    if (e.code === 'INVALID_FIELD') {
      // The caller's argument, not the store: say which one and what it was.
      const value = e.field === 'repo' ? repo : headSha
      options.log?.('warn', 'fix-ci prompt sent without CI logs: bad argument', {
        code: e.code, field: e.field, value: String(value).slice(0, 200), message: String(e.message),
      })
    } else {
      options.log?.('warn', 'fix-ci prompt sent without CI logs: store failed', { code: e.code, message: String(e.message) })
    }
    return basePrompt
  }
}
