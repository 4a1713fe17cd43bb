//! Model-based property test: random ingests (with re-posts and re-run attempts), lookups (with
//! failure history) and prunes against a plain `BTreeMap` model of what the store should hold.
mod common;

use citail::{NewLog, Options};
use citail_tests::sha;
use common::log;
use proptest::prelude::*;
use std::collections::BTreeMap;

const RETENTION: u64 = 1_000;

#[derive(Debug, Clone)]
enum Op {
    /// Ingest step `step` of run `run` (attempt `attempt`: 0 not sent, else that number) for
    /// commit `commit` at time `at` with a tail of `lines`.
    Ingest {
        commit: u64,
        run: u8,
        attempt: u8,
        step: u8,
        at: u64,
        lines: usize,
    },
    /// Look up a commit at time `now`.
    Lookup { commit: u64, now: u64 },
    /// Prune at time `now`.
    Prune { now: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3u64, 0..2u8, 0..3u8, 0..4u8, 0..3_000u64, 0..300usize)
            .prop_map(|(commit, run, attempt, step, at, lines)| Op::Ingest { commit, run, attempt, step, at, lines }),
        2 => (0..3u64, 0..4_000u64).prop_map(|(commit, now)| Op::Lookup { commit, now }),
        1 => (0..4_000u64).prop_map(|now| Op::Prune { now }),
    ]
}

/// The model: identity (commit, run, attempt, step) → (created_at, tail). An attempt not sent is
/// the first.
type Model = BTreeMap<(u64, u8, u8, u8), (u64, String)>;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("CITAIL_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).map_or(64, |n: u32| n / 32).max(16)
    ))]

    #[test]
    fn store_matches_a_btreemap_model(ops in proptest::collection::vec(op(), 1..60)) {
        let (_dir, store) = common::temp_store(Options::default().retention_ms(RETENTION).durable(false));
        let mut model = Model::new();
        for op in ops {
            match op {
                Op::Ingest { commit, run, attempt, step, at, lines } => {
                    let tail: String = (0..lines).map(|i| format!("{commit}-{run}-{step}-{at} line {i}\n")).collect();
                    let (head, run_id, step_name) = (sha(commit), run.to_string(), format!("step {step}"));
                    let run_attempt = (attempt > 0).then_some(u32::from(attempt));
                    let new = NewLog { run_id: &run_id, run_attempt, ..log("acme/app", &head, &step_name, &tail) };
                    let done = store.ingest_at(&new, at).expect("ingest");
                    let kept = citail::truncate_tail(&tail, 200, 32 * 1024).to_owned();
                    let key = (commit, run, attempt.max(1), step);
                    prop_assert_eq!(done.replaced, model.contains_key(&key));
                    prop_assert_eq!(done.stored_bytes, kept.len());
                    model.insert(key, (at, kept));
                }
                Op::Lookup { commit, now } => {
                    let rows = store.logs_for_at("acme/app", &sha(commit), now).expect("lookup");
                    prop_assert!(rows.windows(2).all(|w| (w[0].created_at, w[0].id) < (w[1].created_at, w[1].id)), "oldest first");
                    let mut expected: Vec<(u64, &str)> = model
                        .iter()
                        .filter(|((c, _, _, _), (at, _))| *c == commit && *at + RETENTION >= now)
                        .map(|(_, (at, tail))| (*at, tail.as_str()))
                        .collect();
                    expected.sort_by_key(|(at, _)| *at);
                    let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.created_at, r.log_tail.as_str())).collect();
                    // Same created_at: order by id, i.e. ingest order; compare as multisets per time.
                    prop_assert_eq!(sorted(got), sorted(expected));
                    // Every tail here masks to the same failure lines (`#-#-#-# line #`) of the
                    // same step name (`step #`): a row with a tail shares its fingerprint with
                    // every other live row that has one, and one without has none.
                    let history = store.history_at(&rows, now).expect("history");
                    let others = model
                        .iter()
                        .filter(|((c, _, _, _), (at, tail))| *c != commit && *at + RETENTION >= now && !tail.is_empty())
                        .map(|((c, _, _, _), _)| *c)
                        .collect::<std::collections::BTreeSet<u64>>()
                        .len() as u64;
                    for (row, h) in rows.iter().zip(&history) {
                        prop_assert_eq!(h.id, row.id);
                        prop_assert_eq!(h.fingerprint.is_some(), !row.log_tail.is_empty());
                        let expected_others = if row.log_tail.is_empty() { 0 } else { others };
                        prop_assert_eq!(h.other_commits, expected_others);
                    }
                }
                Op::Prune { now } => {
                    let before = model.len();
                    model.retain(|_, (at, _)| *at + RETENTION >= now);
                    prop_assert_eq!(store.prune_at(now).expect("prune"), (before - model.len()) as u64);
                }
            }
            let stats = store.stats().expect("stats");
            prop_assert_eq!(stats.rows, model.len() as u64);
            prop_assert_eq!(stats.stored_bytes, model.values().map(|(_, t)| t.len() as u64).sum::<u64>());
            prop_assert_eq!(stats.oldest_created_at, model.values().map(|(at, _)| *at).min());
        }
        prop_assert!(store.check().expect("check").is_clean());
    }
}

fn sorted(mut v: Vec<(u64, &str)>) -> Vec<(u64, &str)> {
    v.sort_unstable();
    v
}
