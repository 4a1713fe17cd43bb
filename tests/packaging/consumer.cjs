// CommonJS consumer: require('citail') and require('citail/http').
const { exercise } = require('./exercise.cjs')
exercise(require('citail'), require('citail/http'), `${process.versions.bun ? 'bun' : 'node'} require`).catch((err) => {
  console.error(err)
  process.exit(1)
})
