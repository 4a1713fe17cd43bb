//! A model-based store target: arbitrary ingests, re-posts, lookups, prunes and reopens with a
//! fake clock, checked against a `BTreeMap` of what the store should hold.
#![no_main]
use arbitrary::Arbitrary;
use citail::{NewLog, Options, Store};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

const RETENTION: u64 = 1_000;

#[derive(Arbitrary, Debug)]
enum Op {
    Ingest {
        commit: u8,
        run: u8,
        step: u8,
        at: u16,
        lines: u8,
    },
    Lookup {
        commit: u8,
        now: u16,
    },
    Prune {
        now: u16,
    },
    Reopen,
}

fn sha(n: u8) -> String {
    format!("{:040x}", u64::from(n % 3))
}

fuzz_target!(|ops: Vec<Op>| {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("model.redb");
    let options = Options::default().retention_ms(RETENTION).durable(false);
    let mut store = Some(Store::open(&path, options.clone()).expect("open"));
    // identity -> (created_at, tail)
    let mut model: BTreeMap<(u8, u8, u8), (u64, String)> = BTreeMap::new();
    for op in ops.into_iter().take(80) {
        let s = store.as_ref().expect("open store");
        match op {
            Op::Ingest {
                commit,
                run,
                step,
                at,
                lines,
            } => {
                let (commit, run, step, at) = (commit % 3, run % 2, step % 4, u64::from(at));
                let tail: String = (0..lines)
                    .map(|i| format!("{commit}-{run}-{step}-{at} line {i}\n"))
                    .collect();
                let (head, run_id, step_name) =
                    (sha(commit), run.to_string(), format!("step {step}"));
                let log = NewLog {
                    repo: "acme/app",
                    run_id: &run_id,
                    job_id: "1",
                    step_name: &step_name,
                    head_sha: &head,
                    conclusion: "failure",
                    log_tail: &tail, ..Default::default() 
                };
                let done = s.ingest_at(&log, at).expect("ingest");
                assert_eq!(done.replaced, model.contains_key(&(commit, run, step)));
                let kept = citail::truncate_tail(&tail, 200, 32 * 1024).to_owned();
                assert_eq!(done.stored_bytes, kept.len());
                model.insert((commit, run, step), (at, kept));
            }
            Op::Lookup { commit, now } => {
                let (commit, now) = (commit % 3, u64::from(now));
                let rows = s
                    .logs_for_at("acme/app", &sha(commit), now)
                    .expect("lookup");
                let mut got: Vec<(u64, String)> = rows
                    .iter()
                    .map(|r| (r.created_at, r.log_tail.clone()))
                    .collect();
                let mut want: Vec<(u64, String)> = model
                    .iter()
                    .filter(|((c, _, _), (at, _))| *c == commit && at + RETENTION >= now)
                    .map(|(_, v)| v.clone())
                    .collect();
                got.sort();
                want.sort();
                assert_eq!(got, want);
            }
            Op::Prune { now } => {
                let now = u64::from(now);
                let before = model.len();
                model.retain(|_, (at, _)| *at + RETENTION >= now);
                assert_eq!(
                    s.prune_at(now).expect("prune"),
                    (before - model.len()) as u64
                );
            }
            Op::Reopen => {
                drop(store.take());
                store = Some(Store::open(&path, options.clone()).expect("reopen"));
            }
        }
        let stats = store.as_ref().expect("store").stats().expect("stats");
        assert_eq!(stats.rows, model.len() as u64);
        assert_eq!(
            stats.oldest_created_at,
            model.values().map(|(at, _)| *at).min()
        );
    }
});
