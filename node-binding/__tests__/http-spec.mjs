// The spec of `citail/http`: the route handler and the prompt builder, driven with Fetch-API
// Request objects (no server). It runs unchanged under `node --test` and `bun test`.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const { CiLogStore } = require('../index.js')
const http = require('../http/lib/index.js')
const { buildFixCiPrompt, ciLogBlock, createCiLogHandler, DEFAULT_MAX_BODY_BYTES } = http

const TOKEN = 't'.repeat(40)
const SHA = '0123456789abcdef0123456789abcdef01234567'
const URL_BASE = 'http://127.0.0.1/internal/ci-log'

function payload(overrides = {}) {
  return {
    repo: 'acme/widgets', run_id: '812', job_id: '3', step_name: 'test', head_sha: SHA,
    conclusion: 'failure', log_tail: 'running 3 tests\ntest parse ... FAILED\n', ...overrides,
  }
}

function post(body, headers = { authorization: `Bearer ${TOKEN}` }) {
  return new Request(URL_BASE, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

function get(query, headers = { authorization: `Bearer ${TOKEN}` }) {
  return new Request(`${URL_BASE}?${query}`, { headers })
}

/** Runs `fn` with a store in a fresh temp folder, then closes the store and removes the folder. */
async function withStore(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'citail-http-'))
  const store = CiLogStore.open(join(dir, 'ci-logs.redb'))
  try {
    return await fn(store)
  } finally {
    store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Collects log lines. */
function recorder() {
  const lines = []
  const log = (level, message, fields) => lines.push({ level, message, fields })
  return { lines, log }
}

export function defineHttpSpec({ describe, test }) {
  describe('citail/http createCiLogHandler', () => {
    test('refuses bad options at once with INVALID_OPTION naming the option', async () => {
      await withStore(async (store) => {
        const good = { store, token: TOKEN, isWatched: () => true }
        for (const [override, field] of [
          [{ store: undefined }, 'store'], [{ token: 'short' }, 'token'], [{ token: 42 }, 'token'],
          [{ isWatched: new Set(['acme/widgets']) }, 'isWatched'], [{ maxBodyBytes: 0 }, 'maxBodyBytes'],
          [{ maxBodyBytes: 1.5 }, 'maxBodyBytes'], [{ logger: 'console' }, 'logger'],
        ]) {
          assert.throws(() => createCiLogHandler({ ...good, ...override }), (err) => {
            assert.equal(err.code, 'INVALID_OPTION')
            assert.equal(err.field, field)
            return true
          })
        }
        assert.throws(() => createCiLogHandler(undefined), (err) => err.code === 'INVALID_OPTION')
      })
    })

    test('an async isWatched decides: 201 and stored for a watched repo, 404 and nothing stored otherwise', async () => {
      await withStore(async (store) => {
        const asked = []
        const handler = createCiLogHandler({
          store, token: TOKEN,
          isWatched: async (repo) => { asked.push(repo); await new Promise((r) => setTimeout(r, 5)); return repo === 'acme/widgets' },
        })
        let res = await handler(post(payload()))
        assert.equal(res.status, 201)
        const result = await res.json()
        assert.equal(result.stored_lines, 2)
        res = await handler(post(payload({ repo: 'someone/else' })))
        assert.equal(res.status, 404)
        assert.equal((await res.json()).error.code, 'UNKNOWN_REPO')
        assert.deepEqual(asked, ['acme/widgets', 'someone/else'])
        assert.equal((await store.logsFor('acme/widgets', SHA)).length, 1)
        assert.equal((await store.logsFor('someone/else', SHA)).length, 0)
      })
    })

    test('isWatched rejecting is a logged 503 WATCH_CHECK_FAILED; unauthenticated requests never reach it', async () => {
      await withStore(async (store) => {
        const { lines, log } = recorder()
        let calls = 0
        const handler = createCiLogHandler({
          store, token: TOKEN, logger: log,
          isWatched: async () => { calls += 1; throw new Error('watch table unreachable') },
        })
        let res = await handler(post(payload()))
        assert.equal(res.status, 503)
        assert.equal((await res.json()).error.code, 'WATCH_CHECK_FAILED')
        assert.equal(calls, 1)
        assert.equal(lines.at(-1).level, 'error')
        assert.equal(lines.at(-1).fields.message, 'watch table unreachable')
        res = await handler(post(payload(), {}))
        assert.equal(res.status, 401)
        res = await handler(post(payload(), { authorization: `Bearer ${TOKEN}x` }))
        assert.equal(res.status, 401)
        assert.equal(calls, 1)
        assert.equal((await store.logsFor('acme/widgets', SHA)).length, 0)
      })
    })

    test('a throwing logger does not fail the request', async () => {
      await withStore(async (store) => {
        const handler = createCiLogHandler({
          store, token: TOKEN, isWatched: () => true, logger: () => { throw new Error('log sink down') },
        })
        const res = await handler(post(payload()))
        assert.equal(res.status, 201)
        assert.equal((await store.logsFor('acme/widgets', SHA)).length, 1)
      })
    })

    test('a body stream that fails is a bare 500 with a request id; the details go to the log only', async () => {
      await withStore(async (store) => {
        const { lines, log } = recorder()
        const handler = createCiLogHandler({ store, token: TOKEN, isWatched: () => true, logger: log })
        const body = new ReadableStream({ pull(controller) { controller.error(new Error('connection reset at /srv/secret/path')) } })
        const req = new Request(URL_BASE, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body, duplex: 'half' })
        const res = await handler(req)
        assert.equal(res.status, 500)
        const text = await res.text()
        const { error } = JSON.parse(text)
        assert.equal(error.code, 'INTERNAL')
        assert.equal(error.message, 'internal error')
        assert.match(error.request_id, /^[0-9a-f-]{36}$/)
        assert.ok(!text.includes('/srv/secret/path'), text)
        const logged = lines.find((l) => l.fields?.request_id === error.request_id)
        assert.ok(logged, 'the failure is logged under its request id')
        assert.match(String(logged.fields.message), /connection reset/)
      })
    })

    test('maxBodyBytes: a larger body is 413 without being stored', async () => {
      await withStore(async (store) => {
        const handler = createCiLogHandler({ store, token: TOKEN, isWatched: () => true, maxBodyBytes: 1024 })
        const res = await handler(post(payload({ log_tail: 'x'.repeat(2048) })))
        assert.equal(res.status, 413)
        assert.equal((await res.json()).error.code, 'PAYLOAD_TOO_LARGE')
        assert.equal((await store.logsFor('acme/widgets', SHA)).length, 0)
        assert.ok(DEFAULT_MAX_BODY_BYTES > 6 * 64 * 1024)
      })
    })

    test('GET answers the rows and the block ciLogBlock renders, within the prompt options', async () => {
      await withStore(async (store) => {
        for (const step of ['build', 'lint', 'test']) await store.ingest(payload({ step_name: step, log_tail: `error in ${step}\n` }))
        const handler = createCiLogHandler({ store, token: TOKEN, isWatched: () => false, prompt: { maxRows: 2 } })
        const res = await handler(get(`repo=acme/widgets&head_sha=${SHA}`))
        assert.equal(res.status, 200)
        assert.equal(res.headers.get('cache-control'), 'no-store')
        const body = await res.json()
        const expected = await ciLogBlock(store, 'acme/widgets', SHA, { maxRows: 2 })
        assert.equal(body.prompt, expected.block)
        assert.deepEqual(body.rows.map((r) => r.step_name), ['lint', 'test'])
        // The step beyond maxRows is not lost: counted, named, and said in the block.
        assert.equal(body.older.count, 1)
        assert.deepEqual(body.older.newest.map((s) => s.step_name), ['build'])
        assert.ok(body.prompt.includes('_Not read, older than the 2 steps read: 1 step: step `build`'), body.prompt)
        const missing = await handler(get('repo=acme/widgets'))
        assert.equal(missing.status, 400)
        assert.equal((await missing.json()).error.field, 'head_sha')
        const bad = await handler(get('repo=acme/widgets&head_sha=nope'))
        assert.equal(bad.status, 400)
        assert.equal((await bad.json()).error.field, 'head_sha')
      })
    })
  })

  describe('citail/http buildFixCiPrompt', () => {
    test('appends the block, and leaves the prompt byte-identical with no rows or a failed store', async () => {
      const base = 'Fix the failing CI run.\n'
      const closed = await withStore(async (store) => {
        assert.equal(await buildFixCiPrompt(store, base, 'acme/widgets', SHA), base)
        await store.ingest(payload())
        const enriched = await buildFixCiPrompt(store, base, 'acme/widgets', SHA)
        assert.ok(enriched.startsWith(base) && enriched.length > base.length)
        assert.ok(enriched.includes('test parse ... FAILED'))
        return store
      })
      const { lines, log } = recorder()
      assert.equal(await buildFixCiPrompt(closed, base, 'acme/widgets', SHA, { log }), base)
      assert.equal(lines.at(-1).fields.code, 'STORE_CLOSED')
    })
  })
}
