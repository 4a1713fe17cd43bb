// Fix-CI prompt enrichment: append stored log tails, never block a dispatch.
import { renderPromptBlock, type CiLogStore } from 'citail'
import type { Logger } from './log'

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

export const DEFAULT_MAX_ROWS = 50

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
    const rows = await store.logsFor(repo, headSha, { limit: options.maxRows ?? DEFAULT_MAX_ROWS })
    if (rows.length === 0) return basePrompt
    return basePrompt + renderPromptBlock(rows, { maxBytes: options.maxBytes ?? 64 * 1024 })
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown }
    options.log?.('warn', 'fix-ci prompt sent without CI logs: store failed', { code: e.code, message: String(e.message) })
    return basePrompt
  }
}
