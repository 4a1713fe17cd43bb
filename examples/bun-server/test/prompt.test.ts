// buildFixCiPrompt and the janitor.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CiLogStore } from 'citail'
import { startJanitor } from '../src/janitor'
import { buildFixCiPrompt, type Logger } from 'citail/http'
import { payload, REPO, SHA } from './harness'

const BASE = 'Fix the failing CI run.\n\nDetails: …'
const DAY = 24 * 60 * 60 * 1000
const T0 = Date.UTC(2026, 0, 1)
let dir: string
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'citail-prompt-')) })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('buildFixCiPrompt', () => {
  test('appends the stored tails, each inside its fence', async () => {
    const store = CiLogStore.open(join(dir, 'a.redb'))
    store.ingestSync(payload({ log_tail: 'FAIL src/app.test.ts\n```\nnot a fence end\n' }))
    const prompt = await buildFixCiPrompt(store, BASE, REPO, SHA)
    expect(prompt.startsWith(BASE)).toBe(true)
    // The one highlight is marked where the log shows it, not printed twice.
    expect(prompt).toContain('\n````\n▶ L1: FAIL src/app.test.ts\n```\nnot a fence end\n````\n')
    expect(prompt).toContain('\nLines that name the failure, from the whole log: L1, marked ▶ in the log below.\n')
    store.close()
  })

  test('returns the base prompt byte-for-byte when there are no rows', async () => {
    const store = CiLogStore.open(join(dir, 'b.redb'))
    expect(await buildFixCiPrompt(store, BASE, REPO, SHA)).toBe(BASE)
    store.close()
  })

  test('returns the base prompt unchanged when the store throws, and logs why', async () => {
    const store = CiLogStore.open(join(dir, 'c.redb'))
    store.ingestSync(payload())
    store.close()
    const seen: string[] = []
    const log: Logger = (_level, _message, fields) => seen.push(String(fields?.code))
    expect(await buildFixCiPrompt(store, BASE, REPO, SHA, { log })).toBe(BASE)
    expect(seen).toEqual(['STORE_CLOSED'])
    const open = CiLogStore.open(join(dir, 'd.redb'))
    expect(await buildFixCiPrompt(open, BASE, 'not a repo', SHA)).toBe(BASE)
    open.close()
  })

  test('a malformed argument is logged as a bad argument, naming the field and the value', async () => {
    const store = CiLogStore.open(join(dir, 'e.redb'))
    const seen: { message: string; fields?: Record<string, unknown> }[] = []
    const log: Logger = (_level, message, fields) => seen.push({ message, fields })
    expect(await buildFixCiPrompt(store, BASE, REPO, 'not-a-sha', { log })).toBe(BASE)
    expect(seen).toHaveLength(1)
    expect(seen[0]?.message).toContain('bad argument')
    expect(seen[0]?.message).not.toContain('store failed')
    expect(seen[0]?.fields).toMatchObject({ code: 'INVALID_FIELD', field: 'headSha', value: 'not-a-sha' })
    store.close()
  })
})

describe('janitor', () => {
  test('prunes on its interval and logs what it removed', async () => {
    const store = CiLogStore.open(join(dir, 'j.redb'))
    store.ingestSync(payload({ step_name: 'old' }), { createdAt: T0 + DAY })
    store.ingestSync(payload({ step_name: 'new' }), { createdAt: T0 + 20 * DAY })
    const lines: Array<[string, unknown]> = []
    const log: Logger = (_level, message, fields) => lines.push([message, fields?.deleted])
    const janitor = startJanitor(store, 20, log, () => T0 + 16 * DAY)
    const deadline = Date.now() + 5000
    while (lines.length === 0 && Date.now() < deadline) await Bun.sleep(10)
    janitor.stop()
    expect(lines[0]).toEqual(['janitor pruned expired ci-log rows', 1])
    expect(store.stats().rows).toBe(1)
    store.close()
  })

  test('a failing prune is logged, not thrown', async () => {
    const store = CiLogStore.open(join(dir, 'k.redb'))
    store.close()
    const levels: string[] = []
    const janitor = startJanitor(store, 60_000, (level) => levels.push(level))
    expect(await janitor.runOnce()).toBe(0)
    janitor.stop()
    expect(levels).toEqual(['error'])
  })
})
