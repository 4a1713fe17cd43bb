//! Helpers shared by the integration test files (`mod common;`).
#![allow(dead_code)]

use citail::{NewLog, Options, Store};
use tempfile::TempDir;

pub const DAY: u64 = 24 * 60 * 60 * 1000;

/// A fresh store in its own temporary folder; keep the `TempDir` alive as long as the store.
pub fn temp_store(options: Options) -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("citail.redb"), options).expect("open store");
    (dir, store)
}

pub fn log<'a>(repo: &'a str, sha: &'a str, step: &'a str, tail: &'a str) -> NewLog<'a> {
    NewLog {
        repo,
        run_id: "100",
        job_id: "7",
        step_name: step,
        head_sha: sha,
        conclusion: "failure",
        log_tail: tail,
    }
}
