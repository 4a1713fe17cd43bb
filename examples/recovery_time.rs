//! How long opening a store takes after `kill -9`, by store size, and what redb's quick repair
//! ([`Options::quick_repair`]) costs and saves.
//!
//! For each size it builds a store of fixture rows, then measures, median of `TRIALS`:
//! - opening after a clean close, with and without `verify_on_open` (the default verifies);
//! - opening after a child process that opened the store and committed one durable row was
//!   SIGKILLed: redb must repair the file. With quick repair off (the default) the repair walks
//!   every table to rebuild the allocator state; with it on, the last commit recorded that state;
//! - one durable ingest into the store of that size, with quick repair off and on (blocks of
//!   rows alternated, so drift in the machine hits both alike).
//!
//! Run: `cargo run --release -p citail-examples --bin recovery-time` (10k, 100k and 1M rows: a
//! few minutes and about 4 GB of temporary disk), or `-- --quick` (2,000 rows: proves it works).
//! Prints a Markdown table.

use citail::{Options, Store};
use citail_tests::{load_fixtures, log, sha, Fixture};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

const TRIALS: usize = 3;
/// Durable ingests per block in the commit-cost measure; blocks alternate quick repair off/on.
const COMMIT_BLOCK: usize = 50;
const COMMIT_BLOCKS: usize = 4;

fn main() -> Result<(), citail::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, path, quick] = args.as_slice() {
        if mode == "--child" {
            return child(Path::new(path), quick == "1");
        }
    }
    let sizes: &[u64] = if args.iter().any(|a| a == "--quick") {
        &[2_000]
    } else {
        &[10_000, 100_000, 1_000_000]
    };
    println!(
        "| rows | file | open, clean, no verify | open, clean, verify (default) | open after kill -9, no verify | same, quick repair on | after kill -9, defaults | durable ingest, quick repair off | on |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &rows in sizes {
        let dir =
            std::env::temp_dir().join(format!("citail-recovery-{}-{rows}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("store.redb");
        let result = measure(&path, rows);
        std::fs::remove_dir_all(&dir)?;
        let m = result?;
        println!(
            "| {rows} | {:.0} MB | {} | {} | {} | {} | {} | {} | {} |",
            m.file_bytes as f64 / 1e6,
            ms(m.clean),
            ms(m.clean_verified),
            ms(m.killed),
            ms(m.killed_quick),
            ms(m.killed_default),
            ms(m.ingest),
            ms(m.ingest_quick),
        );
    }
    Ok(())
}

struct Measured {
    file_bytes: u64,
    clean: Duration,
    clean_verified: Duration,
    killed: Duration,
    killed_quick: Duration,
    killed_default: Duration,
    ingest: Duration,
    ingest_quick: Duration,
}

fn measure(path: &Path, rows: u64) -> Result<Measured, citail::Error> {
    build(path, rows)?;
    let no_verify = || Options::default().verify_on_open(false);
    let file_bytes = std::fs::metadata(path)?.len();
    let clean = median(TRIALS, || timed_open(path, no_verify()))?;
    let clean_verified = median(TRIALS, || timed_open(path, Options::default()))?;
    let killed = median(TRIALS, || {
        kill_while_open(path, false)?;
        timed_open(path, no_verify())
    })?;
    let killed_quick = median(TRIALS, || {
        kill_while_open(path, true)?;
        timed_open(path, no_verify())
    })?;
    let killed_default = median(TRIALS, || {
        kill_while_open(path, false)?;
        timed_open(path, Options::default())
    })?;
    let (ingest, ingest_quick) = commit_cost(path)?;
    Ok(Measured {
        file_bytes,
        clean,
        clean_verified,
        killed,
        killed_quick,
        killed_default,
        ingest,
        ingest_quick,
    })
}

/// Fills a fresh store with `rows` fixture rows (non-durable commits, one durable at the end),
/// then closes it cleanly.
fn build(path: &Path, rows: u64) -> Result<(), citail::Error> {
    let store = Store::open(path, Options::default().durable(false))?;
    let fixtures: Vec<Fixture> = load_fixtures();
    let count = fixtures.len() as u64;
    let now = citail::now_ms();
    let (acks, acked) = channel();
    for n in 0..rows {
        let fixture = &fixtures[(n % count) as usize];
        let head = sha(n / count);
        let acks = acks.clone();
        store.submit(
            store.ticket(),
            &log("acme/widgets", &head, &fixture.name, fixture.wire_tail()),
            now,
            move |result| drop(acks.send(result.map(|_| ()))),
        );
        // Keep the queue bounded: wait for the oldest acknowledgement every 4,096 rows.
        if n >= 4_096 {
            acked.recv().expect("the writer acknowledges")?;
        }
    }
    drop(acks);
    for result in acked {
        result?;
    }
    drop(store);
    let store = Store::open(path, Options::default().verify_on_open(false))?;
    store.ingest(&log("acme/widgets", &sha(u64::MAX), "last", "done\n"))?;
    Ok(())
}

fn timed_open(path: &Path, options: Options) -> Result<Duration, citail::Error> {
    let started = Instant::now();
    let store = Store::open(path, options)?;
    let took = started.elapsed();
    drop(store);
    Ok(took)
}

/// Runs this program as a child that opens the store, commits one durable row and says so;
/// SIGKILLs it then, leaving the file as a crash leaves it.
fn kill_while_open(path: &Path, quick_repair: bool) -> Result<(), citail::Error> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--child")
        .arg(path)
        .arg(if quick_repair { "1" } else { "0" })
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line)?;
    assert_eq!(line.trim_end(), "ready", "the child did not get ready");
    child.kill()?;
    child.wait()?;
    Ok(())
}

fn child(path: &Path, quick_repair: bool) -> Result<(), citail::Error> {
    let options = Options::default()
        .verify_on_open(false)
        .quick_repair(quick_repair);
    let store = Store::open(path, options)?;
    let step = format!("crash-{}", std::process::id());
    store.ingest(&log("acme/widgets", &sha(u64::MAX - 1), &step, "boom\n"))?;
    println!("ready");
    std::thread::sleep(Duration::from_secs(600));
    Ok(())
}

/// Median time of one durable ingest into the store at `path`, with quick repair off and on.
fn commit_cost(path: &Path) -> Result<(Duration, Duration), citail::Error> {
    let mut off = Vec::new();
    let mut on = Vec::new();
    let fixtures = load_fixtures();
    for block in 0..COMMIT_BLOCKS * 2 {
        let quick = block % 2 == 1;
        let store = Store::open(
            path,
            Options::default().verify_on_open(false).quick_repair(quick),
        )?;
        for n in 0..COMMIT_BLOCK {
            let fixture = &fixtures[n % fixtures.len()];
            let head = sha(u64::MAX - 2 - block as u64);
            let started = Instant::now();
            store.ingest(&log(
                "acme/widgets",
                &head,
                &fixture.name,
                fixture.wire_tail(),
            ))?;
            if quick { &mut on } else { &mut off }.push(started.elapsed());
        }
    }
    Ok((middle(off), middle(on)))
}

fn median(
    trials: usize,
    mut run: impl FnMut() -> Result<Duration, citail::Error>,
) -> Result<Duration, citail::Error> {
    let times = (0..trials).map(|_| run()).collect::<Result<Vec<_>, _>>()?;
    Ok(middle(times))
}

fn middle(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}
