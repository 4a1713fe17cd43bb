//! citail against the stores a Rust server would use instead, in one run on the same payloads:
//! `rusqlite` (bundled SQLite, the original design's `ci_logs` table, WAL, `synchronous = FULL`)
//! and raw redb (one table keyed `(repo, head_sha, id)`, the tail bytes as the value, nothing
//! else): the floor under citail's own layout, so citail's overhead over the engine it is built
//! on is visible.
//!
//!   cargo bench -p citail-tests --bench peers
//!
//! Before the timings it prints what one durable one-row commit writes, per engine (from
//! `/proc/self/io`). Payloads: every fixture log's wire tail after citail's pipeline, as in
//! `examples/bench/compare.ts`, so every engine stores the same text. Figures and ratios are in
//! BENCHMARKS.md ("From Rust").
use citail::{NewLog, Options, Store};
use citail_tests::{clean_payloads, sha};
use divan::{black_box, Bencher};
use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use rusqlite::{params, Connection};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, LazyLock, Mutex};
use tempfile::TempDir;

const REPO: &str = "acme/widgets";
/// Rows in one burst: a failing matrix posting at once.
const BURST: usize = 64;
/// Threads posting a burst, as many as Node's default thread pool.
const POSTERS: usize = 4;
/// Rows per commit in the lookup store; the lookup reads one commit's 10 rows.
const ROWS_PER_SHA: u64 = 10;
/// Rows in the lookup store.
const LOOKUP_ROWS: u64 = 10_000;
/// The prune workload: expired rows among live ones.
const EXPIRED: u64 = 10_000;
const LIVE: u64 = 1_000;
/// Creation time of the live rows; the expired ones are older than the cutoff.
const NOW: u64 = 1_800_000_000_000;
const RETENTION: u64 = 14 * 24 * 60 * 60 * 1000;

/// The fixture logs after citail's pipeline: what every engine stores.
static PAYLOADS: LazyLock<Vec<String>> = LazyLock::new(clean_payloads);

/// Row `i`: ten rows per commit, the payloads in turn, every row its own step.
struct Row {
    head_sha: String,
    run_id: String,
    step_name: String,
    tail: &'static str,
}

fn row(i: u64) -> Row {
    let payloads: &'static [String] = &PAYLOADS;
    Row {
        head_sha: sha(i / ROWS_PER_SHA),
        run_id: (1000 + i).to_string(),
        step_name: format!("step {}", i % ROWS_PER_SHA),
        tail: &payloads[(i as usize) % payloads.len()],
    }
}

/// One engine, with the same operations on each.
trait Engine: Sync {
    fn open(path: &Path, durable: bool) -> Self;
    fn insert(&self, row: &Row, created_at: u64);
    /// Inserts a burst the way a server would: `POSTERS` threads, each request on its own.
    fn burst(&self, rows: &[Row], created_at: u64) {
        std::thread::scope(|scope| {
            for part in rows.chunks(rows.len().div_ceil(POSTERS)) {
                scope.spawn(move || part.iter().for_each(|r| self.insert(r, created_at)));
            }
        });
    }
    /// Every live row of one commit, tails as text.
    fn lookup(&self, head_sha: &str, now: u64) -> Vec<String>;
    fn prune(&self, now: u64) -> u64;
}

/// citail as a server runs it, with the hygiene pipeline on or off (see [`Mode`]).
struct Citail<M>(Store, std::marker::PhantomData<M>);

/// Whether citail runs its hygiene pipeline (normalise, redact, highlight).
trait Mode: Sync {
    const PIPELINE: bool;
}
/// The defaults.
struct WithPipeline;
/// Normalising, redaction and highlights off: the cost of storing alone.
struct NoPipeline;
impl Mode for WithPipeline {
    const PIPELINE: bool = true;
}
impl Mode for NoPipeline {
    const PIPELINE: bool = false;
}

impl<M> Citail<M> {
    fn new_log(row: &Row) -> NewLog<'_> {
        NewLog {
            repo: REPO,
            run_id: &row.run_id,
            job_id: "1",
            step_name: &row.step_name,
            head_sha: &row.head_sha,
            conclusion: "failure",
            log_tail: row.tail,
            ..Default::default()
        }
    }
}

impl<M: Mode> Engine for Citail<M> {
    fn open(path: &Path, durable: bool) -> Self {
        let mut options = Options::default().durable(durable);
        if !M::PIPELINE {
            options = options
                .normalize(false)
                .redact_secrets(false)
                .max_highlights(0);
        }
        Citail(
            Store::open(path, options).expect("open"),
            std::marker::PhantomData,
        )
    }

    fn insert(&self, row: &Row, created_at: u64) {
        self.0
            .ingest_at(&Self::new_log(row), created_at)
            .expect("ingest");
    }

    /// Each thread submits its rows without waiting (as the binding's thread pool does), so
    /// rows arriving during a commit join the next one; returns once all are on disk.
    fn burst(&self, rows: &[Row], created_at: u64) {
        let (sender, receiver) = mpsc::channel();
        std::thread::scope(|scope| {
            for part in rows.chunks(rows.len().div_ceil(POSTERS)) {
                let sender = sender.clone();
                scope.spawn(move || {
                    for r in part {
                        let sender = sender.clone();
                        let ticket = self.0.ticket();
                        self.0
                            .submit(ticket, &Self::new_log(r), created_at, move |res| {
                                let _ = sender.send(res.map(|_| ()));
                            });
                    }
                });
            }
        });
        drop(sender);
        assert_eq!(
            receiver.iter().map(|r| r.expect("ingest")).count(),
            rows.len()
        );
    }

    fn lookup(&self, head_sha: &str, now: u64) -> Vec<String> {
        let rows = self.0.logs_for_at(REPO, head_sha, now).expect("lookup");
        rows.into_iter().map(|r| r.log_tail).collect()
    }

    fn prune(&self, now: u64) -> u64 {
        self.0.prune_at(now).expect("prune")
    }
}

/// Raw redb: one table, `(repo, head_sha, id) → (created_at, tail bytes)`. No index, no
/// compression, no metadata: one write transaction per row, as citail's sequential case.
struct RawRedb {
    db: Database,
    durable: bool,
    next_id: AtomicU64,
}

impl RawRedb {
    /// Inserts `rows` in one write transaction, each under a fresh id.
    fn insert_in_one_transaction(&self, rows: &[Row], created_at: u64) {
        let mut tx = self.db.begin_write().expect("tx");
        if !self.durable {
            tx.set_durability(Durability::None).expect("durability");
        }
        {
            let mut table = tx.open_table(RAW_ROWS).expect("table");
            for row in rows {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                let key = (REPO, row.head_sha.as_str(), id);
                table
                    .insert(key, (created_at, row.tail.as_bytes()))
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
}

const RAW_ROWS: TableDefinition<(&str, &str, u64), (u64, &[u8])> = TableDefinition::new("rows");

impl Engine for RawRedb {
    fn open(path: &Path, durable: bool) -> Self {
        let db = Database::create(path).expect("open");
        let tx = db.begin_write().expect("tx");
        tx.open_table(RAW_ROWS).expect("table");
        tx.commit().expect("commit");
        RawRedb {
            db,
            durable,
            next_id: AtomicU64::new(1),
        }
    }

    fn insert(&self, row: &Row, created_at: u64) {
        self.insert_in_one_transaction(std::slice::from_ref(row), created_at);
    }

    fn lookup(&self, head_sha: &str, now: u64) -> Vec<String> {
        let tx = self.db.begin_read().expect("tx");
        let table = tx.open_table(RAW_ROWS).expect("table");
        let cutoff = now.saturating_sub(RETENTION);
        table
            .range((REPO, head_sha, 0)..=(REPO, head_sha, u64::MAX))
            .expect("range")
            .map(|entry| entry.expect("entry"))
            .filter(|(_, value)| value.value().0 >= cutoff)
            .map(|(_, value)| String::from_utf8(value.value().1.to_vec()).expect("utf-8"))
            .collect()
    }

    fn prune(&self, now: u64) -> u64 {
        let cutoff = now.saturating_sub(RETENTION);
        let tx = self.db.begin_write().expect("tx");
        let mut removed = 0;
        {
            let mut table = tx.open_table(RAW_ROWS).expect("table");
            table
                .retain(|_, (created_at, _)| {
                    let keep = created_at >= cutoff;
                    removed += u64::from(!keep);
                    keep
                })
                .expect("retain");
        }
        tx.commit().expect("commit");
        removed
    }
}

/// SQLite with the original design's schema, one connection shared as a server would.
struct Sqlite(Mutex<Connection>);

impl Engine for Sqlite {
    fn open(path: &Path, durable: bool) -> Self {
        let conn = Connection::open(path).expect("open");
        let synchronous = if durable { "FULL" } else { "OFF" };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous};
             CREATE TABLE IF NOT EXISTS ci_logs (
               id INTEGER PRIMARY KEY, repo TEXT NOT NULL, head_sha TEXT NOT NULL,
               run_id TEXT NOT NULL, job_id TEXT NOT NULL, step_name TEXT NOT NULL,
               conclusion TEXT NOT NULL, log_tail TEXT NOT NULL, created_at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS ci_logs_commit ON ci_logs (repo, head_sha);
             CREATE INDEX IF NOT EXISTS ci_logs_created ON ci_logs (created_at);"
        ))
        .expect("schema");
        Sqlite(Mutex::new(conn))
    }

    fn insert(&self, row: &Row, created_at: u64) {
        let conn = self.0.lock().expect("lock");
        conn.prepare_cached(
            "INSERT INTO ci_logs (repo, head_sha, run_id, job_id, step_name, conclusion, \
             log_tail, created_at) VALUES (?1, ?2, ?3, '1', ?4, 'failure', ?5, ?6)",
        )
        .expect("prepare")
        .execute(params![
            REPO,
            row.head_sha,
            row.run_id,
            row.step_name,
            row.tail,
            created_at as i64
        ])
        .expect("insert");
    }

    fn lookup(&self, head_sha: &str, now: u64) -> Vec<String> {
        let conn = self.0.lock().expect("lock");
        let mut statement = conn
            .prepare_cached(
                "SELECT id, repo, head_sha, run_id, job_id, step_name, conclusion, log_tail, \
                 created_at FROM ci_logs WHERE repo = ?1 AND head_sha = ?2 AND created_at >= ?3 \
                 ORDER BY created_at, id",
            )
            .expect("prepare");
        let cutoff = now.saturating_sub(RETENTION) as i64;
        statement
            .query_map(params![REPO, head_sha, cutoff], |r| {
                // Every column read, as citail returns every field.
                let _: (i64, String, String, String, String, String, String, i64) = (
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(8)?,
                );
                r.get::<_, String>(7)
            })
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    }

    fn prune(&self, now: u64) -> u64 {
        let conn = self.0.lock().expect("lock");
        let cutoff = now.saturating_sub(RETENTION) as i64;
        conn.execute("DELETE FROM ci_logs WHERE created_at < ?1", [cutoff])
            .expect("prune") as u64
    }
}

/// An engine on a fresh file in its own temporary directory.
struct Fresh<E> {
    engine: E,
    _dir: TempDir,
}

fn fresh<E: Engine>(durable: bool) -> Fresh<E> {
    let dir = tempfile::tempdir().expect("dir");
    Fresh {
        engine: E::open(&dir.path().join("store"), durable),
        _dir: dir,
    }
}

/// A fresh store holding `rows` rows (loaded with fsync off, not measured), reopened durable.
fn loaded<E: Engine>(rows: impl Iterator<Item = (u64, u64)>) -> Fresh<E> {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("store");
    {
        let loader = E::open(&path, false);
        let rows: Vec<(Row, u64)> = rows.map(|(i, at)| (row(i), at)).collect();
        // `POSTERS` threads, so citail's group commit takes their rows together.
        std::thread::scope(|scope| {
            for part in rows.chunks(rows.len().div_ceil(POSTERS)) {
                let loader = &loader;
                scope.spawn(move || part.iter().for_each(|(r, at)| loader.insert(r, *at)));
            }
        });
    }
    Fresh {
        engine: E::open(&path, true),
        _dir: dir,
    }
}

fn main() {
    print_write_cost();
    divan::main();
}

/// One durable row at a time, each awaited before the next.
#[divan::bench(types = [Citail<WithPipeline>, Citail<NoPipeline>, RawRedb, Sqlite], sample_count = 200, sample_size = 1)]
fn sequential_ingest<E: Engine>(bencher: Bencher) {
    let fresh = fresh::<E>(true);
    let mut i = 0;
    bencher.bench_local(|| {
        i += 1;
        fresh.engine.insert(&row(i), NOW);
    });
}

/// The rows of successive bursts: 64 new rows per call.
fn next_burst() -> impl FnMut() -> Vec<Row> {
    let mut next = 0;
    move || {
        next += BURST as u64;
        (next..next + BURST as u64).map(row).collect()
    }
}

/// 64 rows posted at once from four threads, returning when all are durable.
#[divan::bench(types = [Citail<WithPipeline>, Citail<NoPipeline>, RawRedb, Sqlite], sample_count = 40, sample_size = 1)]
fn burst_of_64<E: Engine>(bencher: Bencher) {
    let fresh = fresh::<E>(true);
    bencher
        .counter(divan::counter::ItemsCount::new(BURST))
        .with_inputs(next_burst())
        .bench_local_refs(|rows| fresh.engine.burst(rows, NOW));
}

/// The floor under group commit: a burst's 64 rows in one redb write transaction.
#[divan::bench(sample_count = 40, sample_size = 1)]
fn burst_of_64_redb_one_transaction(bencher: Bencher) {
    let fresh = fresh::<RawRedb>(true);
    bencher
        .counter(divan::counter::ItemsCount::new(BURST))
        .with_inputs(next_burst())
        .bench_local_refs(|rows| fresh.engine.insert_in_one_transaction(rows, NOW));
}

/// Every row of a commit with 10 rows, in a store of 10,000.
#[divan::bench(types = [Citail<WithPipeline>, RawRedb, Sqlite], sample_count = 200)]
fn lookup_of_10_rows<E: Engine>(bencher: Bencher) {
    let store = loaded::<E>((0..LOOKUP_ROWS).map(|i| (i, NOW)));
    let target = sha(LOOKUP_ROWS / ROWS_PER_SHA / 2);
    assert_eq!(store.engine.lookup(&target, NOW).len(), 10);
    bencher.bench_local(|| black_box(store.engine.lookup(black_box(&target), NOW)));
}

/// Prune of 10,000 expired rows among 1,000 live ones, each sample on a fresh store.
#[divan::bench(types = [Citail<WithPipeline>, RawRedb, Sqlite], sample_count = 5, sample_size = 1)]
fn prune_10k_of_11k<E: Engine>(bencher: Bencher) {
    let ages = move |i: u64| {
        if i < EXPIRED {
            NOW - RETENTION - 1 - (EXPIRED - i)
        } else {
            NOW
        }
    };
    bencher
        .with_inputs(|| loaded::<E>((0..EXPIRED + LIVE).map(|i| (i, ages(i)))))
        .bench_local_refs(|store| assert_eq!(store.engine.prune(NOW), EXPIRED));
}

/// Bytes this process has written (`wchar`: handed to `write`) and dirtied for the disk
/// (`write_bytes`), from `/proc/self/io`.
fn io_counters() -> Option<(u64, u64)> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let field = |name: &str| {
        io.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<u64>().ok())
    };
    Some((field("wchar:")?, field("write_bytes:")?))
}

/// What one durable one-row commit writes, per engine: 200 rows after 200 of warm-up.
fn print_write_cost() {
    fn measure<E: Engine>(name: &str) {
        let fresh = fresh::<E>(true);
        (0..200).for_each(|i| fresh.engine.insert(&row(i), NOW));
        let Some(before) = io_counters() else {
            println!("(/proc/self/io unreadable: no write counts)");
            return;
        };
        (200..400).for_each(|i| fresh.engine.insert(&row(i), NOW));
        let after = io_counters().unwrap_or(before);
        println!(
            "| {name} | {:.1} | {:.1} |",
            (after.0 - before.0) as f64 / 200.0 / 1024.0,
            (after.1 - before.1) as f64 / 200.0 / 1024.0,
        );
    }
    let avg = PAYLOADS.iter().map(String::len).sum::<usize>() / PAYLOADS.len();
    println!("What one durable one-row commit writes ({avg} B payloads on average):\n");
    println!("| engine | KiB written per row | KiB dirtied per row |\n|---|---:|---:|");
    measure::<Citail<WithPipeline>>("citail");
    measure::<Citail<NoPipeline>>("citail, no pipeline");
    measure::<RawRedb>("raw redb");
    measure::<Sqlite>("rusqlite FULL");
    println!();
}
