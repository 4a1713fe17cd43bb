// Run after the platform package is removed: require('citail') must throw one clear Error.
const assert = require('node:assert/strict')
assert.throws(() => require('citail'), (err) => {
  assert.ok(err instanceof Error)
  assert.equal(err.code, 'NO_NATIVE_MODULE')
  assert.equal(err.platform, 'linux-x64-gnu')
  assert.match(err.message, /on linux-x64-gnu/)
  assert.match(err.message, /citail-linux-x64-gnu is not installed/)
  assert.match(err.message, /build it from source/)
  assert.ok(err.cause instanceof Error, 'the loader error is kept as the cause')
  console.log(`ok missing binary: ${err.message.slice(0, 120)}…`)
  return true
})
