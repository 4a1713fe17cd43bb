'use strict'
// See tools/npm-stubs/README.md: citail builds only the host's native module.
throw new Error('@napi-rs/wasm-tools is stubbed out in the citail workspace: cross-compilation and WASM builds are not supported here')
