// The package's CommonJS entry point. `native.js` is napi-rs' generated loader (it picks the
// `.node` file next to it or the platform package `citail-<platform>`); this file only turns its
// failure into one Error that says which platform is missing and how to build for it.
'use strict'

let native
try {
  native = require('./native.js')
} catch (cause) {
  throw noNativeModule(cause)
}
defineLookups(native.CiLogStore)
module.exports = native

/**
 * `logsFor` and `logsForSync` (typed in `dts-header.d.ts`). The native methods return the rows
 * packed in two typed arrays, and `unpackRows` builds the objects here: one N-API call per
 * property and one UTF-8 conversion per string cost a 10-row lookup about a quarter of its time
 * in Bun.
 *
 * `logsFor` answers a lookup that finds nothing on this thread: `hasLogsSync` reads one index key
 * (a few microseconds), where the thread-pool round trip costs about 50. Everything else (rows
 * found, a bad argument, a closed store) goes to the native method, which resolves or rejects as
 * documented, so `logsFor` still never throws.
 */
function defineLookups(CiLogStore) {
  const { logsForPacked, logsForPackedSync } = CiLogStore.prototype
  define(CiLogStore.prototype, 'logsFor', function logsFor(repo, headSha, opts) {
    try {
      if (!this.hasLogsSync(repo, headSha, opts)) return Promise.resolve([])
    } catch {
      // The native method reports it, as a rejection.
    }
    return logsForPacked.call(this, repo, headSha, opts).then(unpackRows)
  })
  define(CiLogStore.prototype, 'logsForSync', function logsForSync(repo, headSha, opts) {
    return unpackRows(logsForPackedSync.call(this, repo, headSha, opts))
  })
}

function define(prototype, name, value) {
  Object.defineProperty(prototype, name, { value, writable: true, configurable: true })
}

/** Keeps a leading U+FEFF: it is part of the stored text, not a byte order mark to drop. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * The `CiLog` objects of a native lookup's `[text, numbers]`, in the layout `packed.rs` documents:
 * `text` is UTF-8, the labels (repo ... conclusion, then the highlights' text, per row) then the
 * tails; `numbers` starts with the row count and the labels' byte length. Labels are sliced from
 * one decoded string by UTF-16 length; each tail is decoded on its own, so no row's tail keeps
 * another string's memory alive.
 */
function unpackRows([text, numbers]) {
  const count = numbers[0]
  const labelBytes = numbers[1]
  const labels = utf8.decode(text.subarray(0, labelBytes))
  const rows = new Array(count)
  let at = 0
  let tailAt = labelBytes
  let n = 2
  const label = (units) => labels.slice(at, (at += units))
  for (let r = 0; r < count; r++) {
    const id = numbers[n]
    const created_at = numbers[n + 1]
    const truncated = numbers[n + 2] === 1
    const original_bytes = numbers[n + 3]
    const original_lines = numbers[n + 4]
    const repo = label(numbers[n + 5])
    const head_sha = label(numbers[n + 6])
    const run_id = label(numbers[n + 7])
    const job_id = label(numbers[n + 8])
    const step_name = label(numbers[n + 9])
    const conclusion = label(numbers[n + 10])
    const optional = (units) => (units < 0 ? null : label(units))
    const fingerprint = optional(numbers[n + 11])
    const ref = optional(numbers[n + 12])
    const command = optional(numbers[n + 13])
    const run_attempt = numbers[n + 14] < 0 ? null : numbers[n + 14]
    const log_tail = utf8.decode(text.subarray(tailAt, (tailAt += numbers[n + 15])))
    const highlights = new Array(numbers[n + 16])
    n += 17
    for (let h = 0; h < highlights.length; h++, n += 3) {
      highlights[h] = { line: numbers[n], text: label(numbers[n + 2]), repeats: numbers[n + 1] }
    }
    rows[r] = {
      id, repo, head_sha, run_id, job_id, step_name, conclusion, log_tail, created_at,
      truncated, original_bytes, original_lines, highlights, fingerprint, ref, run_attempt,
      command,
    }
  }
  return rows
}

/**
 * The error thrown when no native module loads: `code` is `NO_NATIVE_MODULE`, `platform` the
 * napi-rs name of this platform (`linux-x64-gnu`, `darwin-arm64`, ...), `cause` the loader's own
 * error with every path it tried.
 */
function noNativeModule(cause) {
  const platform = platformName()
  const pkg = `citail-${platform}`
  const prebuilt = Object.keys(require('./package.json').optionalDependencies || {})
    .map((name) => name.slice('citail-'.length))
  const why = isResolvable(`${pkg}/package.json`)
    ? `the package ${pkg} is installed but its binary did not load (${loadFailure(pkg)})`
    : prebuilt.includes(platform)
      ? `the optional dependency ${pkg} is not installed: reinstall without --omit=optional / --no-optional`
      : `no prebuilt binary exists for ${platform} (prebuilt: ${prebuilt.length > 0 ? prebuilt.join(', ') : 'none in this checkout'})`
  const error = new Error(
    `citail: cannot load its native module on ${platform}: ${why}. ` +
      'To build it from source (Rust toolchain and Node 20): clone the citail repository, run ' +
      '`npm ci && npm run build` there, then either install its node-binding folder ' +
      '(`npm i <checkout>/node-binding`) or point NAPI_RS_NATIVE_LIBRARY_PATH at the built ' +
      `\`node-binding/citail.${platform}.node\`.`,
  )
  error.code = 'NO_NATIVE_MODULE'
  error.platform = platform
  error.cause = cause
  return error
}

/** napi-rs' name for this platform: `<os>-<arch>`, plus the C library or ABI where it matters. */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') return `${platform}-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `${platform}-${arch}-msvc`
  return `${platform}-${arch}`
}

function isMusl() {
  try {
    const report = process.report && process.report.getReport()
    return !(report && report.header && report.header.glibcVersionRuntime)
  } catch {
    return false
  }
}

function isResolvable(request) {
  try {
    require.resolve(request)
    return true
  } catch {
    return false
  }
}

/** Why `request` does not load, in one line (the dynamic linker's message, usually). */
function loadFailure(request) {
  try {
    require(request)
    return 'it loads now: a second attempt succeeded'
  } catch (e) {
    return String((e && e.message) || e).split('\n')[0]
  }
}
