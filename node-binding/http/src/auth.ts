// Bearer-token check in constant time.
import { createHash, timingSafeEqual } from 'node:crypto'

/** The shortest token `createCiLogHandler` accepts: 32 characters. */
export const MIN_TOKEN_LENGTH = 32

/**
 * True when `authorization` is exactly `Bearer <token>`. Both sides are hashed to 32 bytes first,
 * so the comparison takes the same time whatever the length or content of the presented token.
 */
export function bearerMatches(authorization: string | null, token: string): boolean {
  const presented = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : ''
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b) && presented.length > 0
}
