//! Disk full, two ways: a writer under a file-size limit (`RLIMIT_FSIZE` through `ulimit -f`,
//! SIGXFSZ ignored, so a write past the limit fails with `EFBIG`), and a writer on a 8 MiB tmpfs
//! half filled by a ballast file (a real `ENOSPC`; the tmpfs is mounted in a private mount
//! namespace through `unshare`, so no root is needed). The first refused
//! ingest must be a typed I/O error naming the cause and the file, the process must survive with
//! every earlier row intact and readable while the limit holds, and once the limit is lifted
//! (`prlimit` on the running child) the same `Store` must take writes again: no close, no
//! restart. redb refuses everything after a failed write until its database is opened again;
//! the store does that itself (`core/src/storage/live.rs`).
use citail::{Options, Store};
use citail_tests::sha;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

/// Reads the writer's report line by line.
struct Report {
    lines: BufReader<std::process::ChildStdout>,
}

impl Report {
    fn next(&mut self) -> String {
        let mut line = String::new();
        self.lines
            .read_line(&mut line)
            .expect("read the writer's output");
        line.trim_end().to_owned()
    }
}

/// Drives one writer through the protocol of `disk-full-writer`; `free_space` makes room again
/// on the running writer before it is told to go on. Returns the rows acknowledged before the
/// disk filled and a summary.
fn disk_full_scenario(
    mut child: Child,
    file_shown: &str,
    cause: &str,
    free_space: impl FnOnce(&Child),
) -> (u64, String) {
    let mut report = Report {
        lines: BufReader::new(child.stdout.take().expect("stdout")),
    };
    let acked: u64 = report
        .next()
        .strip_prefix("acked ")
        .and_then(|n| n.parse().ok())
        .expect("the writer reports how many rows it stored");
    assert!(
        acked >= 10,
        "the disk filled after {acked} rows: too early to be meaningful"
    );
    let failure = report.next();
    assert!(
        failure.starts_with("failed file ")
            && failure.contains(cause)
            && failure.contains(file_shown),
        "the first refusal is an I/O error naming the cause and the file: {failure}"
    );
    let read_while_full = report.next();
    assert_eq!(
        read_while_full,
        format!("read-while-full ok {acked}"),
        "lookups go on while the disk is full"
    );
    let write_while_full = report.next();
    assert!(
        write_while_full.starts_with("write-while-full file ") && write_while_full.contains(cause),
        "{write_while_full}"
    );
    assert_eq!(report.next(), "waiting");

    free_space(&child);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"space\n")
        .expect("tell the writer");

    let retry = report.next();
    assert!(
        retry.starts_with("retry ") && retry.ends_with(" ok"),
        "the same store takes writes again once space returns: {retry}"
    );
    let reopens = report.next();
    assert!(
        reopens
            .strip_prefix("reopens ")
            .and_then(|n| n.parse::<u64>().ok())
            >= Some(1),
        "the store reopened its file in place: {reopens}"
    );
    assert_eq!(report.next(), format!("verified {}", acked + 1));
    assert!(child.wait().expect("wait").success());
    let summary = format!(
        "{acked} rows, then: {failure}; {read_while_full}; {write_while_full}; {retry}; {reopens}"
    );
    (acked, summary)
}

fn spawn(mut command: Command) -> Child {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the writer")
}

#[test]
fn under_a_file_size_limit_ingest_fails_cleanly_and_the_store_heals_once_it_is_lifted() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        panic!("this test needs util-linux's prlimit to lift the limit of the running writer");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("full.redb");
    // 4 MiB: room for the empty store and about a hundred incompressible rows.
    let mut command = Command::new("bash");
    command
        .args(["-c", "trap '' XFSZ; ulimit -S -f 4096; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_disk-full-writer"))
        .arg(&path);
    let lift_the_limit = |child: &Child| {
        let status = Command::new("prlimit")
            .arg(format!("--pid={}", child.id()))
            .arg("--fsize=unlimited:unlimited")
            .status()
            .expect("run prlimit");
        assert!(status.success(), "prlimit failed");
    };
    let (acked, summary) = disk_full_scenario(
        spawn(command),
        &path.display().to_string(),
        "File too large",
        lift_the_limit,
    );

    // And the file itself holds every acknowledged row for the next process.
    let store = Store::open(&path, Options::default()).expect("reopen");
    let rows = store.logs_for("acme/app", &sha(7)).expect("read");
    assert_eq!(rows.len() as u64, acked + 1);
    println!("file-size limit: {summary}");
}

#[test]
fn on_a_full_tmpfs_ingest_fails_cleanly_and_the_store_heals_once_space_is_freed() {
    let probe = Command::new("unshare")
        .args(["--mount", "--map-root-user", "true"])
        .status();
    if !probe.is_ok_and(|status| status.success()) {
        panic!(
            "this test needs `unshare --mount --map-root-user` (util-linux, user namespaces \
             enabled) to mount a small tmpfs without root"
        );
    }
    // 8 MiB, 4 of them taken by the ballast: the writer fills the rest, then the ballast is
    // deleted (by the writer, inside the namespace) when the test says space returns.
    let mut command = Command::new("unshare");
    command
        .args(["--mount", "--map-root-user", "bash", "-c"])
        .arg(
            "set -e; d=$(mktemp -d); mount -t tmpfs -o size=8m citail-full \"$d\"; \
             head -c 4194304 /dev/zero > \"$d/ballast\"; \
             exec \"$0\" \"$d/full.redb\" \"$d/ballast\"",
        )
        .arg(env!("CARGO_BIN_EXE_disk-full-writer"));
    let (_, summary) = disk_full_scenario(spawn(command), "full.redb", "No space left", |_| {});
    println!("full tmpfs: {summary}");
}
