//! Disk full: a writer runs under a file-size limit (`RLIMIT_FSIZE` through `ulimit -f`, SIGXFSZ
//! ignored, so a write past the limit fails with `EFBIG` as on a full disk). The first refused
//! ingest must be a typed I/O error naming the cause, the process must survive with every earlier
//! row intact, and once the limit is lifted (`prlimit` on the running child) the store must take
//! writes again in the same process. redb refuses every write after a failed one until the
//! database is opened again, so "again" means after `close` + `open`, not a process restart.
use citail::{Options, Store};
use citail_tests::sha;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

#[test]
fn a_full_disk_fails_ingest_cleanly_and_the_store_takes_writes_once_space_returns() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        panic!("this test needs util-linux's prlimit to lift the limit of the running writer");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("full.redb");
    // 4 MiB: room for the empty store and about a hundred incompressible rows.
    let mut child = Command::new("bash")
        .args(["-c", "trap '' XFSZ; ulimit -S -f 4096; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_disk-full-writer"))
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the writer");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut next_line = || {
        let mut line = String::new();
        out.read_line(&mut line).expect("read the writer's output");
        line.trim_end().to_owned()
    };

    let acked: u64 = next_line()
        .strip_prefix("acked ")
        .and_then(|n| n.parse().ok())
        .expect("the writer reports how many rows it stored");
    assert!(
        acked >= 10,
        "the limit bit after {acked} rows: too early to be meaningful"
    );
    let failure = next_line();
    assert!(
        failure.starts_with("failed io ") && failure.contains("File too large"),
        "the first refusal is an I/O error naming the cause: {failure}"
    );

    // Space returns: lift the running writer's limit, then tell it.
    let status = Command::new("prlimit")
        .arg(format!("--pid={}", child.id()))
        .arg("--fsize=unlimited:unlimited")
        .status()
        .expect("run prlimit");
    assert!(status.success(), "prlimit failed");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"space\n")
        .expect("tell the writer");

    let mut stored_after = 0;
    let mut report = Vec::new();
    loop {
        let line = next_line();
        assert!(!line.is_empty(), "the writer died: {report:?}");
        if line.ends_with(" ok") {
            stored_after += 1;
        }
        report.push(line.clone());
        if line.starts_with("verified ") {
            assert_eq!(
                line,
                format!("verified {}", acked + stored_after),
                "{report:?}"
            );
            break;
        }
    }
    assert_eq!(
        stored_after, 1,
        "one more row is stored once space returns: {report:?}"
    );
    assert!(child.wait().expect("wait").success(), "{report:?}");

    // And the file itself holds every acknowledged row for the next process.
    let store = Store::open(&path, Options::default()).expect("reopen");
    let rows = store.logs_for("acme/app", &sha(7)).expect("read");
    assert_eq!(rows.len() as u64, acked + 1);
    println!("disk full after {acked} rows; then: {report:?}");
}
