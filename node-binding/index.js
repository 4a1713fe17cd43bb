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
answerEmptyLookupsHere(native.CiLogStore)
module.exports = native

/**
 * `logsFor` answers a lookup that finds nothing on this thread: `hasLogsSync` reads one index key
 * (a few microseconds), where the thread-pool round trip costs about 50. Everything else (rows
 * found, a bad argument, a closed store) goes to the native method, which resolves or rejects as
 * documented, so `logsFor` still never throws.
 */
function answerEmptyLookupsHere(CiLogStore) {
  const offThread = CiLogStore.prototype.logsFor
  Object.defineProperty(CiLogStore.prototype, 'logsFor', {
    value: function logsFor(repo, headSha, opts) {
      try {
        if (!this.hasLogsSync(repo, headSha, opts)) return Promise.resolve([])
      } catch {
        // The native method reports it, as a rejection.
      }
      return offThread.call(this, repo, headSha, opts)
    },
    writable: true,
    configurable: true,
  })
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
