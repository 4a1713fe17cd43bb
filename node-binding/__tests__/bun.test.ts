// Runs the shared API spec under `bun test`.
import { describe, test } from 'bun:test'
// @ts-ignore -- plain ESM module shared with the Node runner
import { defineSpec } from './spec.mjs'

defineSpec({ describe, test })
