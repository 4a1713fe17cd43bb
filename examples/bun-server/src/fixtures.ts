// The real-log fixture corpus in tests/fixtures/ (attribution in tests/fixtures/SOURCES.md).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { truncateTail } from 'citail'

export const FIXTURE_DIR = join(import.meta.dir, '..', '..', '..', 'tests', 'fixtures')

export interface Fixture {
  name: string
  text: string
}

/** Log bytes as text: UTF-16LE when they start with its byte-order mark, else lossy UTF-8. */
export function decodeLog(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2))
  return new TextDecoder('utf-8').decode(bytes)
}

/** Every fixture log, sorted by name. */
export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((name) => name !== 'SOURCES.md')
    .sort()
    .map((name) => ({ name, text: decodeLog(readFileSync(join(FIXTURE_DIR, name))) }))
}

/** Bytes of a log the workflow step script posts (see examples/forgejo/post-ci-log.sh). */
export const WIRE_MAX_BYTES = 60 * 1024

/**
 * What the workflow step script posts for a log: its last 60 KiB; when that cuts a line and more
 * than one line follows, without the partial first line.
 */
export function wireTail(text: string): string {
  const cut = truncateTail(text, Number.MAX_SAFE_INTEGER, WIRE_MAX_BYTES)
  if (cut.length === text.length || text[text.length - cut.length - 1] === '\n') return cut
  const breaks = cut.split('\n').length - 1
  return breaks < 2 ? cut : cut.slice(cut.indexOf('\n') + 1)
}
