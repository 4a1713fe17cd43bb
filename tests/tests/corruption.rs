//! Damaged files: a store file truncated at random lengths or with random bytes flipped is opened
//! and read in a child process, which must exit normally, reporting either a clear error
//! (`Corrupt`, or an I/O error) or a consistent store: never a panic, an abort or a hang.
use citail::{Error, Options, Store};
use citail_tests::{log, sha};
use std::process::Command;
use std::time::{Duration, Instant};

/// Set in the child process: the damaged file to open and read.
const CHILD_VAR: &str = "CITAIL_TEST_CORRUPT_CHILD_PATH";

/// Exit codes of the child.
const OPENED_CONSISTENT: i32 = 0;
const REFUSED_CLEARLY: i32 = 10;
const INCONSISTENT: i32 = 20;

/// Opens the file and reads every row: what a server would do after a restart.
fn child(path: &str) -> i32 {
    let store = match Store::open(path, Options::default()) {
        Ok(store) => store,
        Err(
            Error::Corrupt { .. }
            | Error::NotAStore { .. }
            | Error::Io(_)
            | Error::File { .. }
            | Error::Storage(_),
        ) => return REFUSED_CLEARLY,
        Err(other) => {
            eprintln!("unexpected open error: {other:?}");
            return INCONSISTENT;
        }
    };
    let stats = match store.stats() {
        Ok(stats) => stats,
        Err(Error::Corrupt { .. } | Error::Storage(_) | Error::Io(_)) => return REFUSED_CLEARLY,
        Err(other) => {
            eprintln!("unexpected stats error: {other:?}");
            return INCONSISTENT;
        }
    };
    match store.logs_for_at("acme/app", &sha(1), 10_000) {
        // A consistent store: the counters agree with the rows it returns.
        Ok(rows) if rows.len() as u64 == stats.rows => OPENED_CONSISTENT,
        Ok(rows) => {
            eprintln!("{} rows, counter says {}", rows.len(), stats.rows);
            INCONSISTENT
        }
        Err(Error::Corrupt { .. } | Error::Storage(_) | Error::Io(_)) => REFUSED_CLEARLY,
        Err(other) => {
            eprintln!("unexpected lookup error: {other:?}");
            INCONSISTENT
        }
    }
}

#[test]
fn damaged_files_give_a_clear_error_or_a_consistent_store() {
    if let Ok(path) = std::env::var(CHILD_VAR) {
        // redb panics on some damaged files; citail catches those inside `open` and reports
        // `Corrupt`. Keep the hook quiet: an uncaught panic still ends the child with 101.
        std::panic::set_hook(Box::new(|_| {}));
        std::process::exit(child(&path));
    }
    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("good.redb");
    {
        let store = Store::open(&good, Options::default()).expect("open");
        for i in 0..60u64 {
            let step = format!("step {i}");
            let tail = format!("error: failure {i}\n").repeat(1 + (i as usize % 40));
            let head = sha(1);
            let log = log("acme/app", &head, &step, &tail);
            store.ingest_at(&log, 1_000 + i).expect("ingest");
        }
    }
    let bytes = std::fs::read(&good).expect("read");
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n as u64).unwrap_or(0)
    };
    let (mut refused, mut consistent) = (0, 0);
    for trial in 0..40 {
        let mut damaged = bytes.clone();
        if trial % 2 == 0 {
            damaged.truncate(next(bytes.len()));
        } else {
            for _ in 0..1 + next(16) {
                let at = next(damaged.len());
                damaged[at] ^= 1 << next(8);
            }
        }
        let path = dir.path().join(format!("damaged-{trial}.redb"));
        std::fs::write(&path, &damaged).expect("write");
        let started = Instant::now();
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "damaged_files_give_a_clear_error_or_a_consistent_store",
                "--nocapture",
            ])
            .env(CHILD_VAR, &path)
            .spawn()
            .expect("spawn child");
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("trial {trial}: the child hung on a damaged file");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        match status.code() {
            Some(OPENED_CONSISTENT) => consistent += 1,
            Some(REFUSED_CLEARLY) => refused += 1,
            other => panic!("trial {trial}: the child ended with {other:?} (a panic is 101, an abort has no code)"),
        }
    }
    eprintln!("corruption: 40 damaged files, {refused} refused with a clear error, {consistent} opened consistent");
    assert!(refused > 0, "truncations must be noticed");
}
