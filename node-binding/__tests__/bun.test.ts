// Runs the shared API spec under `bun test`.
import { describe, test } from 'bun:test'
// @ts-ignore -- plain ESM module shared with the Node runner
import { defineSpec } from './spec.mjs'
// @ts-ignore -- plain ESM module shared with the Node runner
import { defineHttpSpec } from './http-spec.mjs'

// bun test stops a test after 5 s by default; the kill -9 trials take longer. Node has no limit.
defineSpec({ describe, test: (name: string, fn: () => unknown) => test(name, fn as () => void, 60_000) })
defineHttpSpec({ describe, test })
