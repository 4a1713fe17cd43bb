// The package's ES module entry point (`import … from 'citail'`): the same objects as the
// CommonJS entry, so a program that mixes `import` and `require` shares one native module.
import native from './index.js'

export const { CiLogStore, findHighlights, isCiLogError, renderPromptBlock, truncateTail, __napiBindingTarget } = native
export default native
