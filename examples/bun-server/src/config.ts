// Server configuration from the environment, checked once at start-up.
import { DEFAULT_MAX_BODY_BYTES, MIN_TOKEN_LENGTH } from 'citail/http'

/** Everything the ci-log server needs to run. */
export interface ServerConfig {
  /** Shared secret the workflows send as `Authorization: Bearer <token>`; at least 32 characters. */
  token: string
  /** Repositories (`owner/name`) whose logs are accepted; any other repo is answered 404. */
  watchedRepos: ReadonlySet<string>
  /** Path of the citail store file. */
  storePath: string
  /** Loopback address to bind. Internal only: never a public interface. */
  hostname: string
  /** TCP port; 0 picks a free one. */
  port: number
  /** Request bodies above this many bytes are answered 413 without being buffered. */
  maxBodyBytes: number
  /** How often the janitor prunes expired rows, in milliseconds. */
  pruneIntervalMs: number
  /**
   * On a damaged store file, move it aside (`<file>.corrupt-<time>`) and start with an empty
   * store, logging it at error level, instead of refusing to start. Default true.
   */
  recoverCorrupt?: boolean
}

export { DEFAULT_MAX_BODY_BYTES, MAX_LOG_TAIL_BYTES, MIN_TOKEN_LENGTH } from 'citail/http'
export const DEFAULT_PRUNE_INTERVAL_MS = 10 * 60 * 1000

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/** Checks a token is present and long enough; throws `ConfigError` otherwise. */
export function requireToken(token: string | undefined): string {
  if (token === undefined || token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `CLAUDE_HOOKS_INTERNAL_TOKEN must be set to at least ${MIN_TOKEN_LENGTH} characters; refusing to start`,
    )
  }
  return token
}

/**
 * Reads the configuration from environment variables:
 * `CLAUDE_HOOKS_INTERNAL_TOKEN` (required), `CITAIL_WATCHED_REPOS` (comma-separated `owner/name`),
 * `CITAIL_STORE_PATH` (default `./ci-logs.redb`), `CITAIL_PORT` (default 8787),
 * `CITAIL_PRUNE_INTERVAL_MS` (default 10 minutes), `CITAIL_RECOVER_CORRUPT` (`0` refuses to start on
 * a damaged store file instead of moving it aside).
 */
export function loadConfig(env: Record<string, string | undefined>): ServerConfig {
  const token = requireToken(env.CLAUDE_HOOKS_INTERNAL_TOKEN)
  const watchedRepos = new Set(
    (env.CITAIL_WATCHED_REPOS ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0),
  )
  return {
    token,
    watchedRepos,
    storePath: env.CITAIL_STORE_PATH ?? './ci-logs.redb',
    hostname: '127.0.0.1',
    port: positiveInt(env.CITAIL_PORT, 8787, 'CITAIL_PORT'),
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    pruneIntervalMs: positiveInt(env.CITAIL_PRUNE_INTERVAL_MS, DEFAULT_PRUNE_INTERVAL_MS, 'CITAIL_PRUNE_INTERVAL_MS'),
    recoverCorrupt: env.CITAIL_RECOVER_CORRUPT !== '0',
  }
}

function positiveInt(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got ${raw}`)
  return n
}
