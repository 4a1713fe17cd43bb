//! Re-posting a step replaces it; expired rows are hidden, then pruned through the time index.
mod common;

use citail::{NewLog, Options};
use citail_tests::sha;
use common::{log, temp_store, DAY};

#[test]
fn posting_the_same_step_again_replaces_it() {
    let (_dir, store) = temp_store(Options::default());
    let head = sha(1);
    let first = store
        .ingest_at(&log("acme/app", &head, "test", "first\n"), 10)
        .expect("first");
    let other = store
        .ingest_at(&log("acme/app", &head, "lint", "lint\n"), 11)
        .expect("other");
    // Same identity, sha in upper case: still the same step.
    let upper = head.to_ascii_uppercase();
    let second = store
        .ingest_at(&log("acme/app", &upper, "test", "second\n"), 12)
        .expect("second");
    assert!(!first.replaced && !other.replaced && second.replaced);
    assert!(second.id > first.id);
    let rows = store.logs_for_at("acme/app", &head, 13).expect("lookup");
    let tails: Vec<&str> = rows.iter().map(|r| r.log_tail.as_str()).collect();
    assert_eq!(tails, ["lint\n", "second\n"]);
    let stats = store.stats().expect("stats");
    assert_eq!((stats.rows, stats.stored_bytes), (2, 12));
    // A different job or run is a different step.
    let other_run = NewLog {
        run_id: "101",
        ..log("acme/app", &head, "test", "rerun\n")
    };
    assert!(!store.ingest_at(&other_run, 14).expect("run").replaced);
    assert_eq!(
        store
            .logs_for_at("acme/app", &head, 15)
            .expect("lookup")
            .len(),
        3
    );
}

#[test]
fn lookups_are_scoped_to_repo_and_sha() {
    let (_dir, store) = temp_store(Options::default());
    store
        .ingest_at(&log("acme/app", &sha(1), "t", "a"), 1)
        .expect("a");
    store
        .ingest_at(&log("acme/app", &sha(2), "t", "b"), 1)
        .expect("b");
    store
        .ingest_at(&log("acme/app2", &sha(1), "t", "c"), 1)
        .expect("c");
    let rows = store.logs_for_at("acme/app", &sha(1), 2).expect("lookup");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].log_tail, "a");
    assert!(store
        .logs_for_at("other/repo", &sha(1), 2)
        .expect("none")
        .is_empty());
}

#[test]
fn expired_rows_are_hidden_then_pruned() {
    let (_dir, store) = temp_store(Options::default());
    let head = sha(5);
    store
        .ingest_at(&log("acme/app", &head, "old", "old\n"), DAY)
        .expect("old");
    store
        .ingest_at(&log("acme/app", &head, "new", "new\n"), 10 * DAY)
        .expect("new");
    // At day 15 + 1 ms the first row is past 14 days; the second is not.
    let now = 15 * DAY + 1;
    let rows = store.logs_for_at("acme/app", &head, now).expect("lookup");
    assert_eq!(
        rows.iter()
            .map(|r| r.step_name.as_str())
            .collect::<Vec<_>>(),
        ["new"]
    );
    assert_eq!(
        store.stats().expect("stats").rows,
        2,
        "hidden, not yet deleted"
    );
    // Exactly at the boundary the row is still live.
    assert_eq!(
        store
            .logs_for_at("acme/app", &head, 15 * DAY)
            .expect("lookup")
            .len(),
        2
    );
    assert_eq!(store.prune_at(now).expect("prune"), 1);
    assert_eq!(store.prune_at(now).expect("prune again"), 0);
    let stats = store.stats().expect("stats");
    assert_eq!(
        (stats.rows, stats.oldest_created_at, stats.newest_created_at),
        (1, Some(10 * DAY), Some(10 * DAY))
    );
    // The pruned step's identity is gone too: re-posting it is not a replacement.
    assert!(
        !store
            .ingest_at(&log("acme/app", &head, "old", "again\n"), now)
            .expect("again")
            .replaced
    );
}

#[test]
fn prune_clears_a_backlog_larger_than_one_batch() {
    let (_dir, store) = temp_store(Options::default().durable(false));
    for i in 0..1_300u64 {
        let step = format!("s{i}");
        store
            .ingest_at(&log("acme/app", &sha(i % 7), &step, "x\n"), i)
            .expect("ingest");
    }
    store
        .ingest_at(&log("acme/app", &sha(1), "fresh", "y\n"), 20 * DAY)
        .expect("fresh");
    assert_eq!(store.prune_at(20 * DAY).expect("prune"), 1_300);
    let stats = store.stats().expect("stats");
    assert_eq!((stats.rows, stats.stored_bytes), (1, 2));
}

#[test]
fn retention_is_configurable() {
    let (_dir, store) = temp_store(Options::default().retention_ms(1_000));
    store
        .ingest_at(&log("acme/app", &sha(1), "t", "x"), 5_000)
        .expect("ingest");
    assert_eq!(
        store
            .logs_for_at("acme/app", &sha(1), 6_000)
            .expect("live")
            .len(),
        1
    );
    assert!(store
        .logs_for_at("acme/app", &sha(1), 6_001)
        .expect("expired")
        .is_empty());
}

/// A tail that starts with a highlight naming row `i` and compresses to more than one chunk.
fn numbered_tail(i: u64) -> String {
    let mut state = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut tail = format!("error: row {i} failed\n");
    for _ in 0..160 {
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            tail.push_str(&format!("{state:016x}"));
        }
        tail.push('\n');
    }
    tail
}

/// Ingests rows 0..count, row `i` at `created_at(i)` (ids follow `i`); prunes at 20 days and
/// checks that exactly the expired rows went, with every entry of theirs, and that each live row
/// reads back whole.
fn prune_and_check(count: u64, live: impl Fn(u64) -> bool) {
    let (_dir, store) = temp_store(Options::default().durable(false));
    let created_at = |i: u64| if live(i) { 20 * DAY + i } else { i };
    for i in 0..count {
        let (step, tail) = (format!("s{i}"), numbered_tail(i));
        store
            .ingest_at(&log("acme/app", &sha(i % 3), &step, &tail), created_at(i))
            .expect("ingest");
    }
    let expired = (0..count).filter(|&i| !live(i)).count() as u64;
    assert_eq!(store.prune_at(20 * DAY).expect("prune"), expired);
    let report = store.check().expect("check");
    assert!(report.is_clean(), "{:?}", report.problems);
    let mut found = 0;
    for commit in 0..3 {
        for row in store
            .logs_for_at("acme/app", &sha(commit), 20 * DAY)
            .expect("lookup")
        {
            let i: u64 = row.step_name[1..].parse().expect("step number");
            assert!(live(i), "row {i} should have been pruned");
            assert_eq!(row.log_tail, numbered_tail(i));
            assert_eq!(row.highlights[0].text, format!("error: row {i} failed"));
            found += 1;
        }
    }
    assert_eq!(found, count - expired);
    assert_eq!(store.stats().expect("stats").rows, count - expired);
}

#[test]
fn prune_keeps_live_rows_whose_ids_sit_among_the_expired() {
    // Dense ids: each batch's tails and highlights go by id range, around the live rows.
    prune_and_check(700, |i| i % 5 == 0);
}

#[test]
fn prune_deletes_scattered_expired_rows_one_by_one() {
    // One expired row in ten: ids too sparse for a range pass.
    prune_and_check(2_000, |i| i % 10 != 0);
}
