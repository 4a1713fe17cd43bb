// What every consumer does with the installed packages, whichever way it loaded them: open a
// store in a temp folder, post a log through the citail/http handler, read it back, render the
// prompt block and the fix-CI prompt. Throws on any difference.
'use strict'
const assert = require('node:assert/strict')
const { mkdtempSync, rmSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join } = require('node:path')

const REPO = 'acme/widgets'
const SHA = '0123456789abcdef0123456789abcdef01234567'
const TOKEN = 'k'.repeat(40)

async function exercise(citail, http, label) {
  const dir = mkdtempSync(join(tmpdir(), 'citail-consumer-'))
  const store = citail.CiLogStore.open(join(dir, 'ci-logs.redb'))
  try {
    const handler = http.createCiLogHandler({ store, token: TOKEN, isWatched: async (repo) => repo === REPO })
    const res = await handler(new Request('http://127.0.0.1/internal/ci-log', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        repo: REPO, run_id: '812', job_id: '3', step_name: 'test', head_sha: SHA, conclusion: 'failure',
        log_tail: 'running 3 tests\ntest parse ... FAILED\nerror: test failed, to rerun pass `--lib`\n',
      }),
    }))
    assert.equal(res.status, 201, await res.clone().text())
    const rows = await store.logsFor(REPO, SHA)
    assert.equal(rows.length, 1)
    assert.match(rows[0].log_tail, /test parse \.\.\. FAILED/)
    const history = await store.historyFor(rows)
    assert.equal(history[0].is_new, true)
    const block = citail.renderPromptBlock(rows, { history })
    assert.match(block, /```[\s\S]*test parse \.\.\. FAILED[\s\S]*```/)
    assert.match(block, /_History: new: /)
    const base = 'Fix the failing CI run.\n'
    assert.equal(await http.buildFixCiPrompt(store, base, REPO, SHA), base + block)
    assert.equal(await http.buildFixCiPrompt(store, base, REPO, 'f'.repeat(40)), base)
    assert.equal(citail.truncateTail('a\nb\nc\n', 1), 'c\n')
    console.log(`ok ${label}: stored row ${rows[0].id}, block of ${block.length} bytes`)
  } finally {
    store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

module.exports = { exercise }
