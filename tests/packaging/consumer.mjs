// ES module consumer: named imports, and the same objects as require() sees.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as citail from 'citail'
import * as http from 'citail/http'
import { CiLogStore, renderPromptBlock } from 'citail'
import { createCiLogHandler } from 'citail/http'
import exercise from './exercise.cjs'

const require = createRequire(import.meta.url)
const runtime = process.versions.bun ? 'bun' : 'node'
for (const [name, esm, cjs] of [['citail', citail, require('citail')], ['citail/http', http, require('citail/http')]]) {
  const esmNames = Object.keys(esm).filter((key) => key !== 'default').sort()
  assert.deepEqual(esmNames, Object.keys(cjs).sort(), `${name}: import and require export different names`)
  for (const key of esmNames) assert.equal(esm[key], cjs[key], `${name}: import and require disagree on ${key}`)
}
assert.equal(typeof CiLogStore.open, 'function')
assert.equal(typeof renderPromptBlock, 'function')
assert.equal(typeof createCiLogHandler, 'function')
await exercise.exercise(citail, http, `${runtime} import`)
