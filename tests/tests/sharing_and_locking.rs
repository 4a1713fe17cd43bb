//! Threads share a store; two opens in a process share one database; another process is Locked.
mod common;

use citail::{Error, Options, Store};
use citail_tests::sha;
use common::log;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn concurrent_writers_and_readers() {
    let (_dir, store) = common::temp_store(Options::default());
    let store = Arc::new(store);
    let head = sha(77);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = Arc::clone(&store);
            let head = head.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let step = format!("w{w}-s{i}");
                    let tail = format!("writer {w} row {i}\n");
                    store
                        .ingest_at(&log("acme/app", &head, &step, &tail), 1_000)
                        .expect("ingest");
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let store = Arc::clone(&store);
            let head = head.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                for _ in 0..50 {
                    let rows = store.logs_for_at("acme/app", &head, 2_000).expect("lookup");
                    assert!(rows.len() >= last, "rows never disappear");
                    for row in &rows {
                        assert!(row.log_tail.starts_with("writer "), "whole rows only");
                    }
                    last = rows.len();
                }
            })
        })
        .collect();
    for t in writers.into_iter().chain(readers) {
        t.join().expect("thread");
    }
    let rows = store.logs_for_at("acme/app", &head, 2_000).expect("lookup");
    assert_eq!(rows.len(), 100);
    let mut ids: Vec<u64> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 100, "ids are unique");
}

#[test]
fn two_opens_in_one_process_share_the_database() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("shared.redb");
    let a = Store::open(&path, Options::default()).expect("a");
    // A different spelling of the same path.
    let b = Store::open(dir.path().join(".").join("shared.redb"), Options::default()).expect("b");
    a.ingest_at(&log("acme/app", &sha(1), "t", "from a"), 1)
        .expect("ingest");
    assert_eq!(
        b.logs_for_at("acme/app", &sha(1), 2).expect("lookup")[0].log_tail,
        "from a"
    );
    drop(a);
    assert_eq!(b.stats().expect("b still open").rows, 1);
    drop(b);
    // Closing the last handle releases the file: it opens again.
    let c = Store::open(&path, Options::default()).expect("reopen");
    assert_eq!(c.stats().expect("stats").rows, 1);
}

#[test]
fn open_and_close_race_on_one_path() {
    let dir = tempfile::tempdir().expect("dir");
    let path = Arc::new(dir.path().join("race.redb"));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let path = Arc::clone(&path);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let store = Store::open(path.as_path(), Options::default())
                        .expect("open never races a close");
                    store.stats().expect("stats");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
}

/// Set in the child process spawned by `a_second_process_gets_locked`.
const CHILD_PATH_VAR: &str = "CITAIL_TEST_LOCKED_CHILD_PATH";

#[test]
fn a_second_process_gets_locked() {
    if let Ok(path) = std::env::var(CHILD_PATH_VAR) {
        // Child: report what opening the held file gives, through the exit code.
        let started = Instant::now();
        let code = match Store::open(&path, Options::default()) {
            Err(Error::Locked { .. }) if started.elapsed() < Duration::from_secs(10) => 0,
            Err(Error::Locked { .. }) => 3,
            Ok(_) => 1,
            Err(_) => 2,
        };
        std::process::exit(code);
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("held.redb");
    let _held = Store::open(&path, Options::default()).expect("parent holds the file");
    let status = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "a_second_process_gets_locked", "--nocapture"])
        .env(CHILD_PATH_VAR, &path)
        .status()
        .expect("spawn child");
    assert_eq!(
        status.code(),
        Some(0),
        "child should see a prompt Locked error (1 = opened, 2 = other error, 3 = slow)"
    );
    let err = Error::Locked { path: path.clone() };
    assert!(err.to_string().contains("locked by another process"));
}
