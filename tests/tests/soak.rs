//! Concurrency soak: writer, reader, prune and handle-churn threads hammer one file for a
//! bounded time (`CITAIL_SOAK_SECS`, default 4, longer until a minimum of posts, reads and
//! prunes is done), on a logical clock so rows expire while it
//! runs. Then, after a final prune and a reopen:
//! - every acknowledged row is there, byte for byte, unless it expired or a later post of its
//!   step (a larger id) replaced it;
//! - each step has at most one row, and nothing else is stored;
//! - readers never saw two rows of one step, rows out of time order, or a tail that was not the
//!   one posted under that id;
//! - no thread hangs (each must finish within 60 s of the stop signal) and the file checks clean.
use citail::{Options, Store};
use citail_tests::{log, sha};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// 2026-01-01T00:00:00Z: the logical clock's start.
const T0: u64 = 1_767_225_600_000;
/// Logical milliseconds a row lives; the clock advances 1 ms per ingest.
const RETENTION: u64 = 400;
const SHAS: u64 = 4;
const STEPS: u64 = 300;
const WRITERS: u64 = 4;
const READERS: u64 = 2;
const REPO: &str = "acme/soak";
/// The least work a soak must do before it stops; it runs past `CITAIL_SOAK_SECS` until done.
const MIN_POSTS: u64 = 1000;
const MIN_READS: u64 = 100;
const MIN_PRUNES: u64 = 10;
/// A soak that has not done its minimum by then stops and fails: something is far too slow.
const MAX_SECS: u64 = 120;

/// One acknowledged post.
#[derive(Clone)]
struct Acked {
    sha: String,
    step: String,
    id: u64,
    created_at: u64,
}

fn tail_of(step: &str, id: u64) -> String {
    format!("{step} posted as row {id}\nerror: step failed\n")
}

struct Shared {
    store: Store,
    path: std::path::PathBuf,
    /// Ticket and clock are taken together, so a later id never has an earlier time.
    order: Mutex<()>,
    clock: AtomicU64,
    stop: AtomicBool,
    reads: AtomicU64,
    prunes: AtomicU64,
}

impl Shared {
    /// Posts one row through `store` and waits for its acknowledgement.
    fn post(&self, store: &Store, sha: &str, step: &str) -> Acked {
        let (ticket, created_at) = {
            let _order = self.order.lock().expect("order");
            (store.ticket(), self.clock.fetch_add(1, Ordering::SeqCst))
        };
        let id = ticket.id();
        let (done, result) = channel();
        store.submit(
            ticket,
            &log(REPO, sha, step, &tail_of(step, id)),
            created_at,
            move |r| drop(done.send(r)),
        );
        result
            .recv()
            .expect("acknowledged")
            .unwrap_or_else(|err| panic!("post of {step} as {id} failed: {err}"));
        Acked {
            sha: sha.to_owned(),
            step: step.to_owned(),
            id,
            created_at,
        }
    }
}

/// What one soak thread does until the stop; returns the posts it had acknowledged.
type Work = Box<dyn FnOnce(&Shared) -> Vec<Acked> + Send>;

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn writer(shared: &Shared, seed: u64) -> Vec<Acked> {
    let mut state = seed | 1;
    let mut acked = Vec::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let sha = sha(xorshift(&mut state) % SHAS);
        let step = format!("step-{}", xorshift(&mut state) % STEPS);
        acked.push(shared.post(&shared.store, &sha, &step));
    }
    acked
}

fn reader(shared: &Shared, seed: u64) -> Vec<Acked> {
    let mut state = seed | 1;
    while !shared.stop.load(Ordering::Relaxed) {
        let sha = sha(xorshift(&mut state) % SHAS);
        let now = shared.clock.load(Ordering::SeqCst);
        let rows = shared
            .store
            .logs_for_at(REPO, &sha, now)
            .expect("lookup during the soak");
        let mut steps = std::collections::HashSet::new();
        for pair in rows.windows(2) {
            assert!(
                pair[0].created_at <= pair[1].created_at,
                "rows out of order"
            );
        }
        for row in &rows {
            assert!(
                steps.insert(row.step_name.clone()),
                "two rows of {}",
                row.step_name
            );
            assert_eq!(
                row.log_tail,
                tail_of(&row.step_name, row.id),
                "a tail under the wrong id"
            );
        }
        shared.reads.fetch_add(1, Ordering::Relaxed);
    }
    Vec::new()
}

fn pruner(shared: &Shared) -> Vec<Acked> {
    while !shared.stop.load(Ordering::Relaxed) {
        shared
            .store
            .prune_at(shared.clock.load(Ordering::SeqCst))
            .expect("prune during the soak");
        shared.prunes.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(2));
    }
    Vec::new()
}

/// Opens a second handle on the file, posts through it, drops it: sharing and closing race the
/// other threads.
fn churn(shared: &Shared) -> Vec<Acked> {
    let mut acked = Vec::new();
    let mut round = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        let other = Store::open(&shared.path, Options::default()).expect("a second handle");
        for n in 0..5 {
            acked.push(shared.post(&other, &sha(round % SHAS), &format!("churn-{round}-{n}")));
        }
        drop(other);
        round += 1;
    }
    acked
}

#[test]
fn writers_readers_pruner_and_handle_churn_lose_nothing_acknowledged() {
    let seconds: u64 = std::env::var("CITAIL_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("soak.redb");
    let options = || Options::default().retention_ms(RETENTION);
    let shared = Arc::new(Shared {
        store: Store::open(&path, options()).expect("open"),
        path: path.clone(),
        order: Mutex::new(()),
        clock: AtomicU64::new(T0),
        stop: AtomicBool::new(false),
        reads: AtomicU64::new(0),
        prunes: AtomicU64::new(0),
    });

    let (finished, finishes) = channel();
    let spawn = |name: String, work: Work| {
        let (shared, finished) = (Arc::clone(&shared), finished.clone());
        std::thread::spawn(move || {
            let acked = work(&shared);
            finished.send((name, acked)).expect("report");
        });
    };
    for w in 0..WRITERS {
        spawn(
            format!("writer {w}"),
            Box::new(move |s| writer(s, 0x9E37 + w)),
        );
    }
    for r in 0..READERS {
        spawn(
            format!("reader {r}"),
            Box::new(move |s| reader(s, 0x51ED + r)),
        );
    }
    spawn("pruner".into(), Box::new(pruner));
    spawn("churn".into(), Box::new(churn));
    drop(finished);

    // Run for `seconds`, and on a slow or busy machine longer, until the minimum of work below
    // has been done: the soak's strength is counted in operations, not in seconds.
    let started = Instant::now();
    let enough = |s: &Shared| {
        s.clock.load(Ordering::SeqCst) - T0 > MIN_POSTS
            && s.reads.load(Ordering::Relaxed) > MIN_READS
            && s.prunes.load(Ordering::Relaxed) > MIN_PRUNES
    };
    while started.elapsed() < Duration::from_secs(seconds)
        || (!enough(&shared) && started.elapsed() < Duration::from_secs(MAX_SECS))
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    shared.stop.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut acked = Vec::new();
    let mut done = Vec::new();
    loop {
        match finishes.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((name, rows)) => {
                done.push(name);
                acked.extend(rows);
            }
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                panic!("a thread hung: only {done:?} finished within 60 s of the stop")
            }
        }
    }
    assert_eq!(
        done.len() as u64,
        WRITERS + READERS + 2,
        "a thread panicked: {done:?}"
    );

    // The last post (largest id) of each step is the one that must be kept, unless expired.
    let now = shared.clock.load(Ordering::SeqCst);
    let cutoff = now - RETENTION;
    let mut winners: HashMap<(String, String), Acked> = HashMap::new();
    for post in &acked {
        let key = (post.sha.clone(), post.step.clone());
        if winners.get(&key).is_none_or(|w| w.id < post.id) {
            winners.insert(key, post.clone());
        }
    }
    shared.store.prune_at(now).expect("final prune");
    let (reads, prunes) = (
        shared.reads.load(Ordering::Relaxed),
        shared.prunes.load(Ordering::Relaxed),
    );
    drop(
        Arc::try_unwrap(shared)
            .ok()
            .expect("every thread has ended"),
    );

    let store = Store::open(&path, options()).expect("reopen");
    let mut kept = 0u64;
    for n in 0..SHAS {
        let head = sha(n);
        let rows: HashMap<String, citail::CiLog> = store
            .logs_for_at(REPO, &head, now)
            .expect("lookup")
            .into_iter()
            .map(|row| (row.step_name.clone(), row))
            .collect();
        let mut expected = 0;
        for ((sha, step), winner) in &winners {
            if *sha != head {
                continue;
            }
            let row = rows.get(step);
            if winner.created_at < cutoff {
                assert!(row.is_none(), "{step} expired but is still there");
                continue;
            }
            expected += 1;
            let row = row.unwrap_or_else(|| panic!("acknowledged {step} (id {}) lost", winner.id));
            assert_eq!(row.id, winner.id, "{step}: not the last post kept");
            assert_eq!(row.log_tail, tail_of(step, winner.id));
        }
        assert_eq!(rows.len(), expected, "rows nobody posted last under {head}");
        kept += expected as u64;
    }
    assert_eq!(
        store.stats().expect("stats").rows,
        kept,
        "expired rows left after the final prune"
    );
    assert!(store.check().expect("check").is_clean());
    let expired = winners.values().filter(|w| w.created_at < cutoff).count();
    println!(
        "soak {seconds} s: {} posts acknowledged, {} steps, {kept} kept, {expired} expired, {reads} reads, {prunes} prunes",
        acked.len(),
        winners.len(),
    );
    assert!(
        acked.len() as u64 > MIN_POSTS && reads > MIN_READS && prunes > MIN_PRUNES && expired > 0,
        "the soak barely ran in {MAX_SECS} s"
    );
}
