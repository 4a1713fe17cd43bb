// One structured log line per event, so operators can grep and parse them.

export type Level = 'info' | 'warn' | 'error'

/** Receives one event: a fixed message and its fields (never a secret, never a log tail). */
export type Logger = (level: Level, message: string, fields?: Record<string, unknown>) => void

/** Writes `<ISO time> <level> <message> {json fields}` to stderr. */
export const consoleLogger: Logger = (level, message, fields) => {
  const extra = fields === undefined ? '' : ` ${JSON.stringify(fields)}`
  process.stderr.write(`${new Date().toISOString()} ${level} ${message}${extra}\n`)
}

/** Discards everything. */
export const silentLogger: Logger = () => {}
