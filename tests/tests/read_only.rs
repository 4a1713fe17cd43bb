//! `ReadOnlyStore`: reading a store never changes a byte of its file, a file that needs a crash
//! repair is read through a private copy, and a file another handle holds is refused.
use citail::{Error, Options, ReadOnlyStore, RowFilter, Store};
use citail_tests::{log, sha};
use std::path::Path;

fn store_with_rows(path: &Path) {
    let store = Store::open(path, Options::default()).expect("open");
    for (n, step) in ["build", "lint", "test"].iter().enumerate() {
        let tail = format!("{step}: error: failed\n");
        store
            .ingest(&log("acme/app", &sha(n as u64 % 2), step, &tail))
            .expect("ingest");
    }
}

#[test]
fn every_read_leaves_the_file_byte_for_byte() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ci.redb");
    store_with_rows(&path);
    let before = std::fs::read(&path).expect("read");
    for _ in 0..3 {
        let store = ReadOnlyStore::open(&path, Options::default()).expect("read-only open");
        assert!(!store.is_copy());
        assert_eq!(store.stats().expect("stats").rows, 3);
        assert_eq!(store.logs_for("acme/app", &sha(0)).expect("logs").len(), 2);
        assert_eq!(
            store
                .recent_logs_for("acme/app", &sha(0), 1)
                .expect("recent")
                .len(),
            1
        );
        assert_eq!(
            store
                .commits(&RowFilter::default(), 10)
                .expect("commits")
                .len(),
            2
        );
        assert_eq!(store.rows(&RowFilter::default()).expect("rows").count(), 3);
        assert!(store.check().expect("check").is_clean());
        assert!(matches!(
            store.logs_for("not a repo", &sha(0)),
            Err(Error::InvalidField { field: "repo", .. })
        ));
    }
    assert!(
        std::fs::read(&path).expect("read") == before,
        "a read changed the file"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(names.len(), 1, "nothing is created beside the file");
}

#[test]
fn a_file_left_by_a_crash_needs_write_and_is_read_through_a_private_copy() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("live.redb");
    let crashed = dir.path().join("crashed.redb");
    let writer = Store::open(&path, Options::default()).expect("open");
    writer
        .ingest(&log("acme/app", &sha(9), "test", "FAILED\n"))
        .expect("ingest");
    // A copy of a file still open for writing is what a crash leaves: not closed cleanly.
    std::fs::copy(&path, &crashed).expect("copy");
    // The open file itself is held by this process.
    assert!(matches!(
        ReadOnlyStore::open(&path, Options::default()),
        Err(Error::Locked { .. })
    ));
    drop(writer);
    let before = std::fs::read(&crashed).expect("read");
    match ReadOnlyStore::open(&crashed, Options::default()) {
        Err(Error::NeedsWrite { reason, .. }) => assert!(reason.contains("not closed cleanly")),
        other => panic!("expected NeedsWrite, got {other:?}"),
    }
    let copy = ReadOnlyStore::open_copy(&crashed, Options::default()).expect("copy");
    assert!(copy.is_copy());
    assert_ne!(copy.path(), crashed.canonicalize().expect("canonical"));
    let rows = copy.logs_for("acme/app", &sha(9)).expect("logs");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.first().map(|r| r.log_tail.as_str()), Some("FAILED\n"));
    let private = copy.path().to_owned();
    assert!(private.exists());
    drop(copy);
    assert!(!private.exists(), "the private copy is removed on drop");
    assert!(
        std::fs::read(&crashed).expect("read") == before,
        "the crashed file changed"
    );
}

#[test]
fn what_is_not_a_store_or_not_there_is_refused_without_creating_anything() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("missing.redb");
    assert!(matches!(
        ReadOnlyStore::open(&missing, Options::default()),
        Err(Error::File {
            operation: "open",
            ..
        })
    ));
    assert!(!missing.exists());
    for (name, bytes) in [("empty.redb", &b""[..]), ("notes.txt", &b"hello\n"[..])] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        assert!(
            matches!(
                ReadOnlyStore::open(&path, Options::default()),
                Err(Error::NotAStore { .. })
            ),
            "{name}"
        );
        assert_eq!(std::fs::read(&path).expect("read"), bytes);
    }
}
