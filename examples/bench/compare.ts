// citail's binding against the stores a Bun server's author would pick instead, side by side in
// one run on the same machine and the same payloads: bun:sqlite with the original design's
// `ci_logs` schema (WAL, synchronous FULL and NORMAL) and lmdb-js (an embedded key-value store
// whose async puts are batched into one durable transaction).
//
//   bun examples/bench/compare.ts [--quick] [--write BENCHMARKS.md]
//
// Payloads: every fixture log in tests/fixtures, run through citail's own pipeline first, so
// each engine stores the same text. Medians of several repetitions, with min–max.
import { Database } from 'bun:sqlite'
import { closeSync, fsyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { open as openLmdb } from 'lmdb'
import { CiLogStore } from 'citail'

const QUICK = process.argv.includes('--quick')
const writeAt = process.argv.indexOf('--write')
const OUT = writeAt > 0 ? process.argv[writeAt + 1] : undefined
const ROOT = join(import.meta.dir, '..', '..')

/** Sizes of each workload; quick mode only proves the harness works. */
const SIZE = QUICK
  ? { reps: 1, storeReps: 1, sequential: 50, bursts: 3, lookupRows: 500, lookups: 200, expired: 1_000, live: 100, fsyncMs: 200, growthDays: 16, growthPerDay: 20 }
  : { reps: 5, storeReps: 2, sequential: 500, bursts: 20, lookupRows: 10_000, lookups: 2_000, expired: 100_000, live: 10_000, fsyncMs: 2_000, growthDays: 30, growthPerDay: 1_000 }
const BURST = 64
const T0 = Date.UTC(2026, 0, 1)
const DAY = 24 * 60 * 60 * 1000
/** citail's default retention, applied by the peers' queries too. */
const RETENTION = 14 * DAY
const REPO = 'acme/widgets'

type Row = {
  repo: string; head_sha: string; run_id: string; job_id: string; step_name: string
  conclusion: string; log_tail: string
}

const work = mkdtempSync(join(tmpdir(), 'citail-bench-'))
let fileNo = 0
const freshPath = (name: string) => join(work, `${fileNo++}-${name}`)

// ---------------------------------------------------------------------------------------------
// Payloads

function loadPayloads(): string[] {
  const dir = join(ROOT, 'tests', 'fixtures')
  const scratch = CiLogStore.open(freshPath('payloads.redb'))
  const sha = 'f'.repeat(40)
  const names = readdirSync(dir).filter((n) => n !== 'SOURCES.md').sort()
  names.forEach((name, i) => {
    const raw = readFileSync(join(dir, name), 'utf8')
    // What the step script posts: the last 60 KiB, from a line boundary.
    const start = Math.max(0, raw.length - 60 * 1024)
    const cut = start === 0 ? 0 : raw.indexOf('\n', start) + 1
    scratch.ingestSync({ repo: REPO, head_sha: sha, run_id: '1', job_id: '1', step_name: `f${i}`, conclusion: 'failure', log_tail: raw.slice(cut) }, { createdAt: T0 })
  })
  const tails = scratch.logsForSync(REPO, sha, { now: T0 }).map((r) => r.log_tail)
  scratch.close()
  return tails
}

const payloads = loadPayloads()
const avgPayload = payloads.reduce((n, t) => n + Buffer.byteLength(t), 0) / payloads.length
const shaOf = (n: number) => n.toString(16).padStart(40, '0')
/** Row `i`: ten rows per commit, payloads in turn, every row its own step. */
const rowOf = (i: number, shaBase = 0): Row => ({
  repo: REPO, head_sha: shaOf(shaBase + Math.floor(i / 10)), run_id: String(1000 + i), job_id: '1',
  step_name: `step ${i % 10}`, conclusion: 'failure', log_tail: payloads[i % payloads.length]!,
})

// ---------------------------------------------------------------------------------------------
// Engines, each with the same operations

interface Engine {
  name: string
  ingest(row: Row, createdAt: number): Promise<unknown> | unknown
  /** A failing matrix posting at once: the way a Bun server would run `n` requests. */
  burst(rows: Row[], createdAt: number): Promise<unknown> | unknown
  logsFor(repo: string, sha: string, now: number): unknown[] | Promise<unknown[]>
  /** The same lookup on the calling thread, where the engine has one. */
  logsForSync?(repo: string, sha: string, now: number): unknown[]
  prune(now: number): Promise<number> | number
  /** Loads rows as fast as the engine can (not measured). */
  load(rows: Row[], createdAt: (i: number) => number): Promise<void> | void
  bytes(): number
  /** Average rows per write transaction so far, where the engine reports it. */
  rowsPerCommit?(): number
  close(): void
}

/** citail as the server runs it; with `raw`, the hygiene pipeline off (normalise, redact,
 * highlights), to separate the cost of storing from the cost of cleaning. */
function citail(raw = false): Engine {
  const path = freshPath('citail.redb')
  const options = raw ? { normalize: false, stripTimestamps: false, redactSecrets: false, maxHighlights: 0 } : {}
  const store = CiLogStore.open(path, options)
  return {
    name: raw ? 'citail, no pipeline' : 'citail',
    ingest: (row, createdAt) => store.ingest(row, { createdAt }),
    burst: (rows, createdAt) => Promise.all(rows.map((row) => store.ingest(row, { createdAt }))),
    logsFor: (repo, sha, now) => store.logsFor(repo, sha, { now }),
    logsForSync: (repo, sha, now) => store.logsForSync(repo, sha, { now }),
    prune: (now) => store.prune({ now }),
    async load(rows, createdAt) {
      // A second handle on the same file with fsync off for the bulk load (not measured).
      const loader = CiLogStore.open(path, { ...options, durable: false })
      for (let i = 0; i < rows.length; i += 256) {
        await Promise.all(rows.slice(i, i + 256).map((row, j) => loader.ingest(row, { createdAt: createdAt(i + j) })))
      }
      loader.close()
    },
    bytes: () => store.stats().file_bytes,
    rowsPerCommit: () => { const c = store.commitStats(); return c.rows / Math.max(1, c.transactions) },
    close: () => store.close(),
  }
}

function sqlite(synchronous: 'FULL' | 'NORMAL'): Engine {
  const path = freshPath(`sqlite-${synchronous}.db`)
  const db = new Database(path, { create: true })
  db.exec('PRAGMA journal_mode = WAL')
  db.exec(`PRAGMA synchronous = ${synchronous}`)
  db.exec(`CREATE TABLE ci_logs (
    id INTEGER PRIMARY KEY, repo TEXT NOT NULL, head_sha TEXT NOT NULL, run_id TEXT NOT NULL,
    job_id TEXT NOT NULL, step_name TEXT NOT NULL, conclusion TEXT NOT NULL,
    log_tail TEXT NOT NULL, created_at INTEGER NOT NULL)`)
  db.exec('CREATE INDEX ci_logs_repo_sha ON ci_logs (repo, head_sha)')
  db.exec('CREATE INDEX ci_logs_created_at ON ci_logs (created_at)')
  const insert = db.prepare(`INSERT INTO ci_logs (repo, head_sha, run_id, job_id, step_name, conclusion, log_tail, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
  const select = db.prepare(`SELECT * FROM ci_logs WHERE repo = ? AND head_sha = ? AND created_at >= ?
    ORDER BY created_at, id`)
  const remove = db.prepare('DELETE FROM ci_logs WHERE created_at < ?')
  const put = (r: Row, createdAt: number) => insert.run(r.repo, r.head_sha, r.run_id, r.job_id, r.step_name, r.conclusion, r.log_tail, createdAt)
  return {
    name: `bun:sqlite ${synchronous}`,
    ingest: put,
    burst: (rows, createdAt) => { for (const row of rows) put(row, createdAt) },
    logsFor: (repo, sha, now) => select.all(repo, sha, now - RETENTION),
    prune: (now) => remove.run(now - RETENTION).changes,
    load: (rows, createdAt) => db.transaction(() => rows.forEach((r, i) => put(r, createdAt(i))))(),
    bytes() {
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
      return statSync(path).size
    },
    close: () => db.close(),
  }
}

function lmdb(): Engine {
  const path = freshPath('lmdb')
  const root = openLmdb({ path, compression: false })
  // Rows by (repo, sha, created_at, id); a time index by (created_at, id) for the prune.
  const rows = root.openDB({ name: 'rows' })
  const byTime = root.openDB({ name: 'by_time' })
  let id = 0
  const put = (r: Row, createdAt: number) => {
    const n = ++id
    byTime.put([createdAt, n], [r.repo, r.head_sha])
    return rows.put([r.repo, r.head_sha, createdAt, n], r)
  }
  return {
    name: 'lmdb-js',
    ingest: put,
    burst: (batch, createdAt) => Promise.all(batch.map((r) => put(r, createdAt))),
    logsFor: (repo, sha, now) => [...rows.getRange({ start: [repo, sha, now - RETENTION], end: [repo, sha, Number.MAX_SAFE_INTEGER] }).map(({ value }) => value)],
    async prune(now) {
      const expired = [...byTime.getRange({ end: [now - RETENTION] })]
      await root.transaction(() => {
        for (const { key, value } of expired) {
          const [createdAt, n] = key as [number, number]
          const [repo, sha] = value as [string, string]
          rows.remove([repo, sha, createdAt, n])
          byTime.remove(key)
        }
      })
      return expired.length
    },
    async load(batch, createdAt) {
      for (let i = 0; i < batch.length; i += 1024) await Promise.all(batch.slice(i, i + 1024).map((r, j) => put(r, createdAt(i + j))))
    },
    bytes: () => statSync(join(path, 'data.mdb')).size,
    close: () => { void root.close() },
  }
}

const ENGINES: Array<() => Engine> = [() => citail(), () => citail(true), () => sqlite('FULL'), () => sqlite('NORMAL'), lmdb]

// ---------------------------------------------------------------------------------------------
// Measuring

type Stat = { median: number; min: number; max: number }
function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { median, min: s[0]!, max: s.at(-1)! }
}

async function repeat(f: () => Promise<number>): Promise<Stat> {
  const xs: number[] = []
  for (let r = 0; r < SIZE.reps; r++) xs.push(await f())
  return stat(xs)
}

/** Sequential durable ingest: one row per commit, each awaited before the next. Rows/s. */
async function sequential(make: () => Engine): Promise<number> {
  const e = make()
  const t = performance.now()
  for (let i = 0; i < SIZE.sequential; i++) await e.ingest(rowOf(i), T0 + i)
  const rate = SIZE.sequential / ((performance.now() - t) / 1000)
  e.close()
  return rate
}

/** Bursts of 64 concurrent ingests. Rows/s, and the event loop's largest gap (ms). */
async function bursts(make: () => Engine): Promise<{ rate: number; gap: number; perCommit: number }> {
  const e = make()
  let last = performance.now()
  let gap = 0
  let spinning = true
  const spin = () => {
    const now = performance.now()
    gap = Math.max(gap, now - last)
    last = now
    if (spinning) setImmediate(spin)
  }
  setImmediate(spin)
  await new Promise((r) => setImmediate(r))
  const t = performance.now()
  for (let b = 0; b < SIZE.bursts; b++) {
    await e.burst(Array.from({ length: BURST }, (_, i) => rowOf(b * BURST + i)), T0 + b)
  }
  const rate = (SIZE.bursts * BURST) / ((performance.now() - t) / 1000)
  // One more turn, so a burst that blocked the loop to the end is counted.
  await new Promise((r) => setImmediate(r))
  spinning = false
  const perCommit = e.rowsPerCommit?.() ?? NaN
  e.close()
  return { rate, gap, perCommit }
}

/** A store of `lookupRows` rows; per-call time (µs) of a lookup of a SHA with 10 rows and of
 * one with none; bytes on disk per row. */
async function lookups(make: () => Engine): Promise<{ ten: number; none: number; tenSync: number; noneSync: number; bytesPerRow: number }> {
  const e = make()
  await e.load(Array.from({ length: SIZE.lookupRows }, (_, i) => rowOf(i)), (i) => T0 + i)
  const target = shaOf(7) // rows 70..79
  const missing = shaOf(1 << 30)
  const now = T0 + SIZE.lookupRows
  const found = await e.logsFor(REPO, target, now)
  if (found.length !== 10) throw new Error(`${e.name}: expected 10 rows, got ${found.length}`)
  const time = async (sha: string) => {
    const t = performance.now()
    for (let i = 0; i < SIZE.lookups; i++) await e.logsFor(REPO, sha, now)
    return ((performance.now() - t) * 1000) / SIZE.lookups
  }
  const ten = await time(target)
  const none = await time(missing)
  // Engines without a separate sync call are sync already.
  const lookupSync = e.logsForSync ?? ((repo: string, sha: string, at: number) => e.logsFor(repo, sha, at) as unknown[])
  const timeSync = (sha: string) => {
    const t = performance.now()
    for (let i = 0; i < SIZE.lookups; i++) lookupSync(REPO, sha, now)
    return ((performance.now() - t) * 1000) / SIZE.lookups
  }
  const tenSync = timeSync(target)
  const noneSync = timeSync(missing)
  const bytesPerRow = e.bytes() / SIZE.lookupRows
  e.close()
  return { ten, none, tenSync, noneSync, bytesPerRow }
}

/** Prune of `expired` rows among `live` ones (ms). */
async function prune(make: () => Engine): Promise<number> {
  const e = make()
  const total = SIZE.expired + SIZE.live
  // Expired rows are 20 days old, live ones 1 day old.
  await e.load(Array.from({ length: total }, (_, i) => rowOf(i)), (i) => (i < SIZE.expired ? T0 : T0 + 19 * DAY) + i)
  const t = performance.now()
  const deleted = await e.prune(T0 + 20 * DAY + total)
  const ms = performance.now() - t
  if (deleted !== SIZE.expired) throw new Error(`${e.name}: pruned ${deleted}, expected ${SIZE.expired}`)
  e.close()
  return ms
}

/** Simulated days of a server's life: `growthPerDay` rows a day in bursts of 8, a prune every
 * 10 simulated minutes, the 14-day retention. File bytes (MB) after day 15 (the first day rows
 * expire) and after the last day: a file that levels off grows no more between the two. */
async function growth(make: () => Engine): Promise<{ day15: number; end: number }> {
  const e = make()
  const slots = 144 // ten-minute prune intervals a day
  let posted = 0
  let day15 = NaN
  for (let day = 0; day < SIZE.growthDays; day++) {
    for (let slot = 0; slot < slots; slot++) {
      const at = T0 + day * DAY + slot * 10 * 60 * 1000
      const due = Math.round(((day * slots + slot + 1) * SIZE.growthPerDay) / slots)
      while (posted < due) {
        const n = Math.min(8, due - posted)
        await e.burst(Array.from({ length: n }, (_, k) => rowOf(posted + k, 1 << 20)), at)
        posted += n
      }
      await e.prune(at)
    }
    if (day === 14) day15 = e.bytes() / 1e6
  }
  const end = e.bytes() / 1e6
  e.close()
  return { day15, end }
}

/** The disk's fsync rate: rewrite 4 KiB and fsync, for a while. */
function fsyncRate(): number {
  const path = freshPath('fsync')
  const fd = openSync(path, 'w')
  const page = Buffer.alloc(4096, 1)
  let n = 0
  const t = performance.now()
  while (performance.now() - t < SIZE.fsyncMs) {
    writeSync(fd, page, 0, page.length, 0)
    fsyncSync(fd)
    n++
  }
  const rate = n / ((performance.now() - t) / 1000)
  closeSync(fd)
  return rate
}

// ---------------------------------------------------------------------------------------------
// The run

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const range = (s: Stat, digits = 0) => `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`

const fsyncs = fsyncRate()
type Result = {
  seq: Stat; burst: Stat; gap: Stat; perCommit: Stat; ten: Stat; none: Stat; tenSync: Stat; noneSync: Stat; bytes: Stat; prune: Stat
  day15: Stat; dayEnd: Stat
}
const results = new Map<string, Result>()
for (const make of ENGINES) {
  const name = make().name
  process.stderr.write(`bench: ${name}\n`)
  const seq = await repeat(() => sequential(make))
  const burstRuns: Array<Awaited<ReturnType<typeof bursts>>> = []
  for (let r = 0; r < SIZE.reps; r++) burstRuns.push(await bursts(make))
  const lookupRuns: Array<Awaited<ReturnType<typeof lookups>>> = []
  for (let r = 0; r < SIZE.storeReps; r++) lookupRuns.push(await lookups(make))
  const pruneRuns: number[] = []
  for (let r = 0; r < SIZE.storeReps; r++) pruneRuns.push(await prune(make))
  // Deterministic sizes: one run.
  const grown = await growth(make)
  results.set(name, {
    seq,
    burst: stat(burstRuns.map((b) => b.rate)),
    gap: stat(burstRuns.map((b) => b.gap)),
    perCommit: stat(burstRuns.map((b) => b.perCommit)),
    ten: stat(lookupRuns.map((l) => l.ten)),
    none: stat(lookupRuns.map((l) => l.none)),
    tenSync: stat(lookupRuns.map((l) => l.tenSync)),
    noneSync: stat(lookupRuns.map((l) => l.noneSync)),
    bytes: stat(lookupRuns.map((l) => l.bytesPerRow)),
    prune: stat(pruneRuns),
    day15: stat([grown.day15]),
    dayEnd: stat([grown.end]),
  })
}
rmSync(work, { recursive: true, force: true })

const mine = results.get('citail')!
const peers = [...results.keys()].filter((n) => n !== 'citail')
const rows: Array<[string, string, (r: Result) => Stat, number, boolean]> = [
  // label, unit, pick, digits, higher is better
  ['sequential durable ingest', 'rows/s', (r) => r.seq, 0, true],
  [`bursts of ${BURST} concurrent ingests`, 'rows/s', (r) => r.burst, 0, true],
  ['event loop, largest gap during bursts', 'ms', (r) => r.gap, 1, false],
  ['`logsFor` (async), SHA with 10 rows', 'µs', (r) => r.ten, 1, false],
  ['`logsFor` (async), SHA with none', 'µs', (r) => r.none, 1, false],
  ['`logsForSync`, SHA with 10 rows', 'µs', (r) => r.tenSync, 1, false],
  ['`logsForSync`, SHA with none', 'µs', (r) => r.noneSync, 1, false],
  [`prune of ${fmt(SIZE.expired)} expired rows among ${fmt(SIZE.live)}`, 'ms', (r) => r.prune, 0, false],
  [`bytes on disk per row after ${fmt(SIZE.lookupRows)} rows`, 'B', (r) => r.bytes, 0, false],
  [`file after 15 simulated days of ${fmt(SIZE.growthPerDay)} rows a day, a prune every 10 minutes`, 'MB', (r) => r.day15, 1, false],
  [`same file after ${SIZE.growthDays} days (levelled off if no larger)`, 'MB', (r) => r.dayEnd, 1, false],
]

const lines: string[] = []
lines.push('| workload | unit | ' + ['citail', ...peers].join(' | ') + ' | ' + peers.map((p) => `citail ÷ ${p}`).join(' | ') + ' |')
lines.push('|' + ' --- |'.repeat(2 + 1 + peers.length * 2))
for (const [label, unit, pick, digits, higherBetter] of rows) {
  const cells = ['citail', ...peers].map((n) => range(pick(results.get(n)!), digits))
  const ratios = peers.map((p) => {
    const ratio = pick(mine).median / pick(results.get(p)!).median
    const of = higherBetter ? '' : unit === 'B' || unit === 'MB' ? ' the bytes' : ' the time'
    return `${fmt(ratio, 2)}×${of}`
  })
  lines.push(`| ${label} | ${unit} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`)
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${fmt(totalmem() / 2 ** 30)} GiB RAM, Bun ${Bun.version}, ${process.platform}-${process.arch}`
const report = `Measured by \`bash scripts/bench.sh\`${QUICK ? ' --quick' : ''} on ${new Date().toISOString().slice(0, 10)}: ${machine}.
Disk: ${fmt(fsyncs)} fsyncs/s (4 KiB rewrite + fsync, same run): the ceiling for one-row durable commits.
Payloads: the ${payloads.length} fixture logs after citail's pipeline, ${fmt(avgPayload / 1024, 1)} KiB on average.
Medians of ${SIZE.reps} runs (lookup, bytes and prune: ${SIZE.storeReps}, each on a freshly built store; the simulated days: one), min–max in brackets; ratios compare medians.

${lines.join('\n')}

citail's group commit during the bursts: ${fmt(mine.perCommit.median, 1)} rows per write transaction (median of runs).
`
process.stdout.write(report)

if (OUT) {
  const path = join(ROOT, OUT)
  const previous = readFileSync(path, 'utf8')
  const begin = '<!-- bench:begin -->'
  const end = '<!-- bench:end -->'
  const from = previous.indexOf(begin)
  const to = previous.indexOf(end)
  if (from < 0 || to < 0) throw new Error(`${OUT} has no ${begin} … ${end} section`)
  writeFileSync(path, previous.slice(0, from + begin.length) + '\n' + report + previous.slice(to))
}
