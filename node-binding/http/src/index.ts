// citail/http: the ci-log route as a Fetch-API handler and the fix-CI prompt builder, for any
// server that speaks Request/Response (Bun.serve, Hono, Elysia, Node adapters).
export { createCiLogHandler, STATUS_BY_CODE, type CiLogHandler, type CiLogHandlerOptions } from './handler.js'
export { buildFixCiPrompt, ciLogBlock, DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, type PromptOptions } from './prompt.js'
export { bearerMatches, MIN_TOKEN_LENGTH } from './auth.js'
export { DEFAULT_MAX_BODY_BYTES, MAX_LOG_TAIL_BYTES } from './body.js'
export { consoleLogger, silentLogger, type Level, type Logger } from './log.js'
