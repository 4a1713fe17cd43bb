//! The child process of `tests/tests/disk_full.rs`, run under a file-size limit
//! (`RLIMIT_FSIZE`, with SIGXFSZ ignored so a write past it fails with `EFBIG` instead of killing
//! the process). It ingests rows until the store refuses one, tries a read and a write while the
//! limit holds, waits for the parent to lift it (a line on stdin), ingests again with the same
//! `Store` (no close, no restart), then checks every acknowledged row. Given a ballast file (the
//! filler of a small tmpfs), it deletes it when told space returns. One line per event on
//! stdout:
//!
//! ```text
//! acked <n>                           rows acknowledged before the first failure
//! failed <kind> <message>             the first failure: kind is `io`, `file`, `storage`,
//!                                     `corrupt` or `other`
//! read-while-full ok <rows>|<kind> …  a lookup while the limit still holds
//! write-while-full ok|<kind> …        an ingest while the limit still holds
//! waiting                             for the parent to lift the limit
//! retry <k> ok | gave-up <kind> …     ingests every 50 ms after that, until one lands (20 s at most)
//! reopens <n>                         the store's count of in-place reopens
//! verified <n>                        every acknowledged row read back byte-exact
//! ```
//!
//!   disk-full-writer <store path> [<ballast file>]
use citail::{Error, Options, Store};
use citail_tests::{log, sha};
use std::io::BufRead as _;
use std::time::{Duration, Instant};

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
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: disk-full-writer <store path> [<ballast file>]");
    let ballast = args.next();
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

    // Still full: reads go on from the last commit, writes are refused.
    std::thread::sleep(Duration::from_millis(300));
    match store.logs_for("acme/app", &head) {
        Ok(rows) => println!("read-while-full ok {}", rows.len()),
        Err(err) => println!("read-while-full {} {err}", kind(&err)),
    }
    match store.ingest(&log(
        "acme/app",
        &head,
        &step(acked),
        &incompressible_tail(acked),
    )) {
        Ok(_) => println!("write-while-full ok"),
        Err(err) => println!("write-while-full {} {err}", kind(&err)),
    }
    println!("waiting");

    // The parent lifts the limit, then says so; the same store takes writes again, retried as
    // a server's clients would.
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .expect("read stdin");
    if let Some(ballast) = &ballast {
        std::fs::remove_file(ballast).expect("free the space the ballast file held");
    }
    let started = Instant::now();
    for k in 1.. {
        let (name, tail) = (step(acked), incompressible_tail(acked));
        match store.ingest(&log("acme/app", &head, &name, &tail)) {
            Ok(_) => {
                println!("retry {k} ok");
                acked += 1;
                break;
            }
            Err(err) if started.elapsed() > Duration::from_secs(20) => {
                println!("gave-up {} {err}", kind(&err));
                break;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    println!("reopens {}", store.commit_stats().reopens);

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
