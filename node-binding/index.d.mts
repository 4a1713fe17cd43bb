// Types of the ES module entry point (`import … from 'citail'`).
export * from './native.js'
import * as native from './native.js'
export default native
