// Runs the shared API spec under Node's built-in test runner.
import { describe, test } from 'node:test'
import { defineSpec } from './spec.mjs'

defineSpec({ describe, test })
