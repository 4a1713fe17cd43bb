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

/** What the workflow step script posts for a log: its last 200 lines, at most 60 KiB. */
export function wireTail(text: string): string {
  return truncateTail(text, 200, 60 * 1024)
}
