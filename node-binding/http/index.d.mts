// Types of citail/http as an ES module.
export * from './lib/index.js'
