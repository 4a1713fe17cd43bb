// Runs the shared API spec under Node's built-in test runner.
import { describe, test } from 'node:test'
import { defineHttpSpec } from './http-spec.mjs'
import { defineSpec } from './spec.mjs'

defineSpec({ describe, test })
defineHttpSpec({ describe, test })
