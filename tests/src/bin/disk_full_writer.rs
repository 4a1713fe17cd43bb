//! The child process of `tests/tests/disk_full.rs`, run under a file-size limit
//! (`RLIMIT_FSIZE`, with SIGXFSZ ignored so a write past it fails with `EFBIG` instead of killing
//! the process). It ingests rows until the store refuses one, waits for the parent to lift the
//! limit (a line on stdin), ingests again in the same process, then checks every acknowledged
//! row. One line per event on stdout:
//!
//! ```text
//! acked <n>                 n rows acknowledged before the first failure
//! failed <kind> <message>   the first failure: kind is `io`, `file`, `storage`, `corrupt` or `other`
//! retry <k> ok|<kind> ...   each ingest after the limit is lifted, until one succeeds
//! reopen ok|<kind> ...      when none did: the store closed and opened again in this process,
//!                           then one more ingest
//! verified <n>              every acknowledged row read back byte-exact
//! ```
//!
//!   disk-full-writer <store path>
use citail::{Error, Options, Store};
use citail_tests::{log, sha};
use std::io::BufRead as _;

/// 24 KiB of text zstd cannot shrink much, unique to `n`, so the file grows with every row.
fn incompressible_tail(n: u64) -> String {
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut tail = String::with_capacity(24 * 1024);
    while tail.len() < 24 * 1024 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        tail.push_str(&format!("{state:016x}"));
        if tail.len().is_multiple_of(96) {
            tail.push('\n');
        }
    }
    tail.push('\n');
    tail
}

fn kind(err: &Error) -> &'static str {
    match err {
        Error::Io(_) => "io",
        Error::File { .. } => "file",
        Error::Storage(_) => "storage",
        Error::Corrupt { .. } => "corrupt",
        _ => "other",
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: disk-full-writer <store path>");
    let store = Store::open(&path, Options::default()).expect("open the store under the limit");
    let head = sha(7);
    let step = |n: u64| format!("step-{n}");
    let mut acked = 0u64;
    let failure = loop {
        let (name, tail) = (step(acked), incompressible_tail(acked));
        match store.ingest(&log("acme/app", &head, &name, &tail)) {
            Ok(_) => acked += 1,
            Err(err) => break err,
        }
        assert!(acked < 100_000, "the file-size limit never bit");
    };
    println!("acked {acked}");
    println!("failed {} {failure}", kind(&failure));

    // The parent lifts the limit, then says so.
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .expect("read stdin");
    let mut retried_ok = false;
    for k in 1..=3u64 {
        let (name, tail) = (step(acked), incompressible_tail(acked));
        match store.ingest(&log("acme/app", &head, &name, &tail)) {
            Ok(_) => {
                println!("retry {k} ok");
                acked += 1;
                retried_ok = true;
                break;
            }
            Err(err) => println!("retry {k} {} {err}", kind(&err)),
        }
    }

    let store = if retried_ok {
        store
    } else {
        // redb refuses every write after a failed one until the database is opened again.
        drop(store);
        let store =
            Store::open(&path, Options::default()).expect("reopen after the limit is lifted");
        let (name, tail) = (step(acked), incompressible_tail(acked));
        match store.ingest(&log("acme/app", &head, &name, &tail)) {
            Ok(_) => {
                println!("reopen ok");
                acked += 1;
            }
            Err(err) => println!("reopen {} {err}", kind(&err)),
        }
        store
    };

    let rows = store.logs_for("acme/app", &head).expect("read back");
    let mut verified = 0;
    for n in 0..acked {
        let row = rows
            .iter()
            .find(|r| r.step_name == step(n))
            .expect("an acknowledged row is missing");
        assert_eq!(row.log_tail, incompressible_tail(n), "row {n} differs");
        verified += 1;
    }
    println!("verified {verified}");
}
