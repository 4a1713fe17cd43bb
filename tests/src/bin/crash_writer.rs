//! The child process of `tests/tests/kill9.rs`: ingests bursts of concurrent, durable ingests
//! into a store and prints `ack <step>` on stdout once each `ingest` has returned `Ok`, until it
//! is killed. Odd trials commit with [`Options::quick_repair`], so the parent's reopen after
//! the kill goes through redb's quick-repair path as well as its full repair.
//!
//!   crash-writer <store path> <trial number>
use citail::{Options, Store};
use citail_tests::{crash_tail, log, sha};
use std::io::Write as _;
use std::sync::{Arc, Mutex};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(trial)) = (args.next(), args.next()) else {
        eprintln!("usage: crash-writer <store path> <trial number>");
        std::process::exit(2);
    };
    let quick_repair = trial.parse::<u64>().is_ok_and(|n| n % 2 == 1);
    let options = Options::default().quick_repair(quick_repair);
    let store = Arc::new(Store::open(&path, options).expect("open the store"));
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let (store, out, trial) = (Arc::clone(&store), Arc::clone(&out), trial.clone());
            std::thread::spawn(move || {
                let head = sha(1);
                for n in 0u64.. {
                    let step = format!("t{trial}-w{thread}-n{n}");
                    let tail = crash_tail(&step);
                    let log = log("acme/app", &head, &step, &tail);
                    store.ingest(&log).expect("ingest");
                    // Acknowledged: only now may the parent count on it.
                    let mut out = out
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let _ = writeln!(out, "ack {step}");
                    let _ = out.flush();
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}
