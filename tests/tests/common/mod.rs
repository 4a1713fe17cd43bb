//! Helpers shared by the integration test files (`mod common;`).
#![allow(dead_code)]

use citail::{Options, Store};
use tempfile::TempDir;

pub const DAY: u64 = 24 * 60 * 60 * 1000;

/// A fresh store in its own temporary folder; keep the `TempDir` alive as long as the store.
pub fn temp_store(options: Options) -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("citail.redb"), options).expect("open store");
    (dir, store)
}

pub use citail_tests::log;
