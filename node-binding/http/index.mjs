// citail/http as an ES module: the same objects as the CommonJS build in lib/.
import http from './lib/index.js'

export const {
  createCiLogHandler, STATUS_BY_CODE, buildFixCiPrompt, ciLogBlock, DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS,
  bearerMatches, MIN_TOKEN_LENGTH, DEFAULT_MAX_BODY_BYTES, MAX_LOG_TAIL_BYTES, consoleLogger, silentLogger,
} = http
