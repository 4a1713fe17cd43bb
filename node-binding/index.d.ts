// Types of the CommonJS entry point (`require('citail')`): everything the native module exports.
export * from './native'
