//! Resident memory of a process serving a store of about 1 GB, against the page cache it was
//! configured with ([`Options::cache_bytes`]).
//!
//! It builds the store once (fixture rows after citail's pipeline, created over the last 15
//! days, so a fifteenth of them are past the 14-day retention), then, for each cache size, runs
//! a fresh child process that plays a server's day on it:
//! - opens the store with the default options (the integrity check reads the whole file);
//! - prunes (the expired fifteenth goes);
//! - runs lookups of commits spread over the whole file, bursts of concurrent durable ingests
//!   and a stats call, interleaved.
//!
//! The child reports its resident size (`VmRSS`) before opening, after opening and at the end,
//! and its peak (`VmHWM`), from `/proc/self/status`. "Growth" is the peak minus the size before
//! opening: what holding the store costs.
//!
//! Run: `cargo run --release -p citail-examples --bin memory` (about 1 GB of temporary disk, a
//! few minutes), or `-- --quick` (a 16 MB store: proves it works). Prints a Markdown table.

use citail::{Options, Store};
use citail_tests::{clean_payloads, log, sha};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc::channel;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;
/// Commits in the store get ten rows each, like a failing matrix.
const ROWS_PER_SHA: u64 = 10;
/// Cache sizes tried, in MiB; 32 is the default.
const CACHES_MIB: &[usize] = &[8, 32, 128];
/// The child's workload: rounds of (lookups, one burst).
const ROUNDS: usize = 200;
const LOOKUPS_PER_ROUND: u64 = 50;
const BURST: u64 = 64;

fn main() -> Result<(), citail::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, path, cache_mib, rows] = args.as_slice() {
        if mode == "--serve" {
            let parse = |s: &str| s.parse::<u64>().expect("a number");
            return serve(Path::new(path), parse(cache_mib) as usize, parse(rows));
        }
    }
    let target_bytes: u64 = if args.iter().any(|a| a == "--quick") {
        16 << 20
    } else {
        1 << 30
    };
    let dir = std::env::temp_dir().join(format!("citail-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run(&dir.join("store.redb"), target_bytes);
    std::fs::remove_dir_all(&dir)?;
    result
}

fn run(path: &Path, target_bytes: u64) -> Result<(), citail::Error> {
    let rows = build(path, target_bytes)?;
    let file_mb = std::fs::metadata(path)?.len() as f64 / 1e6;
    println!(
        "A store of {rows} rows, {file_mb:.0} MB on disk; one child process per cache size.\n"
    );
    println!(
        "| cache | before open | after open | end | peak | growth (peak − before open) | growth − cache |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &cache in CACHES_MIB {
        let out = Command::new(std::env::current_exe()?)
            .args(["--serve", &path.display().to_string()])
            .args([cache.to_string(), rows.to_string()])
            .output()?;
        assert!(
            out.status.success(),
            "the child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = String::from_utf8_lossy(&out.stdout);
        let kib: Vec<u64> = report
            .split_whitespace()
            .map(|n| n.parse().expect("KiB figures"))
            .collect();
        let [before, opened, end, peak] = kib[..] else {
            panic!("unexpected child report {report:?}");
        };
        let growth = peak.saturating_sub(before);
        println!(
            "| {cache} MiB | {} | {} | {} | {} | {} | {:+.1} MiB |",
            mib(before),
            mib(opened),
            mib(end),
            mib(peak),
            mib(growth),
            (growth as f64 - (cache << 10) as f64) / 1024.0,
        );
    }
    Ok(())
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Row `n` of the store: its commit, step and payload.
fn row_of(n: u64, payloads: &[String]) -> (String, String, &str) {
    let payload = &payloads[(n % payloads.len() as u64) as usize];
    (
        sha(n / ROWS_PER_SHA),
        format!("step {}", n % ROWS_PER_SHA),
        payload,
    )
}

/// Fills a fresh store (non-durable commits) until its file holds `target_bytes`, with creation
/// times spread over the last 15 days, oldest first; closes it cleanly. Returns the rows written.
fn build(path: &Path, target_bytes: u64) -> Result<u64, citail::Error> {
    let store = Store::open(path, Options::default().durable(false))?;
    let payloads = clean_payloads();
    let average = payloads.iter().map(String::len).sum::<usize>() / payloads.len();
    // Compressed tails take about a third of their text on disk; aim there, then top up.
    let mut rows = target_bytes / (average as u64 / 3).max(1);
    let now = citail::now_ms();
    let mut written = 0;
    loop {
        post_rows(&store, &payloads, written..rows, |n| {
            now - 15 * DAY_MS + n * 15 * DAY_MS / rows
        })?;
        written = rows;
        if store.stats()?.file_bytes >= target_bytes {
            return Ok(written);
        }
        rows += rows / 10;
    }
}

/// Submits rows `rows` (see [`row_of`]) without waiting for each, so group commit takes them
/// together; at most 4,096 wait for their acknowledgement at a time. Returns once all are
/// acknowledged; the first error wins.
fn post_rows(
    store: &Store,
    payloads: &[String],
    rows: std::ops::Range<u64>,
    created_at: impl Fn(u64) -> u64,
) -> Result<(), citail::Error> {
    let (acks, acked) = channel();
    for n in rows.clone() {
        let (head, step, tail) = row_of(n, payloads);
        let acks = acks.clone();
        store.submit(
            store.ticket(),
            &log("acme/widgets", &head, &step, tail),
            created_at(n),
            move |result| drop(acks.send(result.map(|_| ()))),
        );
        if n - rows.start >= 4_096 {
            acked.recv().expect("the writer acknowledges")?;
        }
    }
    drop(acks);
    acked.into_iter().try_for_each(|result| result)
}

/// The child: opens the store with `cache_mib` of cache and runs the workload, then prints its
/// resident size before opening, after opening and at the end, and its peak, in KiB.
fn serve(path: &Path, cache_mib: usize, rows: u64) -> Result<(), citail::Error> {
    let payloads = clean_payloads();
    let before = status_kib("VmRSS:");
    let store = Store::open(path, Options::default().cache_bytes(cache_mib << 20))?;
    let opened = status_kib("VmRSS:");
    store.prune()?;
    let commits = rows / ROWS_PER_SHA;
    let mut next_row = rows;
    for round in 0..ROUNDS as u64 {
        for k in 0..LOOKUPS_PER_ROUND {
            // Commits spread over the whole file, a different stretch every round.
            let commit = (round * LOOKUPS_PER_ROUND + k) * 7919 % commits.max(1);
            std::hint::black_box(store.logs_for("acme/widgets", &sha(commit))?);
        }
        let burst = next_row..next_row + BURST;
        next_row = burst.end;
        post_rows(&store, &payloads, burst, |_| citail::now_ms())?;
        if round % 50 == 0 {
            store.stats()?;
        }
    }
    let end = status_kib("VmRSS:");
    let peak = status_kib("VmHWM:");
    println!("{before} {opened} {end} {peak}");
    Ok(())
}

/// A field of `/proc/self/status` in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the field is there")
}
