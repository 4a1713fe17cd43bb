// Reading a request without trusting it: a bounded body, a query that never throws.

/** The store's `log_tail` limit (its `maxInputBytes` default), in UTF-8 bytes of the string. */
export const MAX_LOG_TAIL_BYTES = 64 * 1024

/**
 * 400 KiB: every `log_tail` the store accepts, however JSON escapes it, plus the envelope. One
 * byte of log costs at most 6 bytes of JSON (a control character such as ESC becomes `\u001b`;
 * `ensure_ascii` encoders write `\uXXXX` for each 2- or 3-byte character and a 12-byte pair for
 * each 4-byte one), and the other fields are bounded by the store's validation (under 8 KiB even
 * escaped). A tail over the store's limit is still refused, with 413 `PAYLOAD_TOO_LARGE`.
 */
export const DEFAULT_MAX_BODY_BYTES = 6 * MAX_LOG_TAIL_BYTES + 16 * 1024

export const TOO_LARGE = Symbol('too large')
export const NOT_UTF8 = Symbol('not utf-8')
/** The client closed the connection before its whole body arrived: nobody reads the answer. */
export const CLIENT_GONE = Symbol('client gone')

/** The body as text, reading at most `limit` bytes of it: never buffers more than that. */
export async function readBounded(
  req: Request,
  limit: number,
): Promise<string | typeof TOO_LARGE | typeof NOT_UTF8 | typeof CLIENT_GONE> {
  const declared = req.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) return TOO_LARGE
  if (req.body === null) return ''
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>
    try {
      chunk = await reader.read()
    } catch (err) {
      // The runtime errors the body stream when the connection closes mid-body, and aborts the
      // request's signal; any other stream failure is the server's to look at.
      if (req.signal?.aborted === true) return CLIENT_GONE
      throw err
    }
    const { done, value } = chunk
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => {})
      return TOO_LARGE
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return NOT_UTF8
  }
}

/** The query parameters of a request target; never throws (the target may be relative). */
export function queryOf(url: string): URLSearchParams {
  const start = url.indexOf('?')
  if (start === -1) return new URLSearchParams()
  const end = url.indexOf('#', start)
  return new URLSearchParams(url.slice(start + 1, end === -1 ? undefined : end))
}
