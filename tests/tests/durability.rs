//! Rows survive closing and reopening; failed writes leave nothing behind.
mod common;

use citail::{Error, Options, Store};
use citail_tests::sha;
use common::{log, DAY};

#[test]
fn reopen_after_close_keeps_every_row() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("logs.redb");
    let head = sha(9);
    let tails: Vec<String> = (0..50).map(|i| format!("line {i}\nerror {i}\n")).collect();
    {
        let store = Store::open(&path, Options::default()).expect("open");
        for (i, tail) in tails.iter().enumerate() {
            let step = format!("step-{i}");
            store
                .ingest_at(&log("acme/app", &head, &step, tail), 1_000 + i as u64)
                .expect("ingest");
        }
    }
    let store = Store::open(&path, Options::default()).expect("reopen");
    let rows = store.logs_for_at("acme/app", &head, 2_000).expect("lookup");
    let read: Vec<&str> = rows.iter().map(|r| r.log_tail.as_str()).collect();
    let wrote: Vec<&str> = tails.iter().map(String::as_str).collect();
    assert_eq!(read, wrote, "rows come back whole and oldest first");
    assert_eq!(store.stats().expect("stats").rows, 50);
    // ids keep increasing across reopen
    let next = store
        .ingest_at(&log("acme/app", &head, "later", "x"), 3_000)
        .expect("ingest");
    assert!(rows.iter().all(|r| r.id < next.id));
}

#[test]
fn invalid_input_writes_nothing() {
    let (_dir, store) =
        common::temp_store(Options::default().max_input_bytes(100).max_stored_bytes(50));
    let head = sha(3);
    store
        .ingest_at(&log("acme/app", &head, "ok", "fine\n"), 1)
        .expect("ingest");
    let before = store.stats().expect("stats");
    let big = "x".repeat(101);
    let too_large = store.ingest_at(&log("acme/app", &head, "big", &big), 2);
    assert!(
        matches!(
            too_large,
            Err(Error::PayloadTooLarge { len: 101, max: 100 })
        ),
        "{too_large:?}"
    );
    let bad_sha = store.ingest_at(&log("acme/app", "xyz", "bad", "x"), 2);
    assert!(matches!(
        bad_sha,
        Err(Error::InvalidField {
            field: "head_sha",
            ..
        })
    ));
    let bad_repo = store.ingest_at(&log("acme", &head, "bad", "x"), 2);
    assert!(matches!(
        bad_repo,
        Err(Error::InvalidField { field: "repo", .. })
    ));
    let after = store.stats().expect("stats");
    assert_eq!(
        (before.rows, before.stored_bytes),
        (after.rows, after.stored_bytes)
    );
    assert_eq!(
        store
            .logs_for_at("acme/app", &head, 3)
            .expect("lookup")
            .len(),
        1
    );
    // The next good ingest continues the id sequence: failures consumed no ids.
    let next = store
        .ingest_at(&log("acme/app", &head, "ok2", "x"), 4)
        .expect("ingest");
    assert_eq!(next.id, 2);
}

#[test]
fn error_display_names_the_facts() {
    let (_dir, store) = common::temp_store(Options::default());
    let err = store
        .ingest_at(&log("acme/app", "nope", "s", ""), DAY)
        .expect_err("bad sha");
    assert_eq!(
        err.to_string(),
        "invalid field `head_sha`: must be 40 or 64 hex digits, got 4 bytes"
    );
}

#[test]
fn a_file_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("future.redb");
    {
        let db = redb::Database::create(&path).expect("create");
        let tx = db.begin_write().expect("tx");
        {
            let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
            let mut meta = tx.open_table(def).expect("table");
            meta.insert("schema_version", citail::SCHEMA_VERSION + 1)
                .expect("insert");
        }
        tx.commit().expect("commit");
    }
    match Store::open(&path, Options::default()) {
        Err(Error::SchemaTooNew { found, supported }) => {
            assert_eq!(
                (found, supported),
                (citail::SCHEMA_VERSION + 1, citail::SCHEMA_VERSION)
            );
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    // A newer file is not damaged: recovery never moves it.
    let recovering = Options::default().recover_corrupt(true);
    assert!(matches!(
        Store::open(&path, recovering),
        Err(Error::SchemaTooNew { .. })
    ));
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

#[test]
fn recover_corrupt_moves_a_damaged_file_aside_and_never_deletes() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ci.redb");
    let garbage = damaged_redb_file();
    std::fs::write(&path, &garbage).expect("write");
    assert!(matches!(
        Store::open(&path, Options::default()),
        Err(Error::Corrupt { .. })
    ));
    let store = Store::open(&path, Options::default().recover_corrupt(true)).expect("recover");
    let recovery = store.recovery().expect("moved aside").clone();
    assert_eq!(std::fs::read(&recovery.moved_to).expect("kept"), garbage);
    assert!(recovery
        .moved_to
        .to_string_lossy()
        .contains("ci.redb.corrupt-"));
    assert!(!recovery.reason.is_empty());
    assert_eq!(store.stats().expect("stats").rows, 0);
    drop(store);
    // A second damaged file the same second gets its own name.
    std::fs::write(&path, &garbage).expect("write");
    let again = Store::open(&path, Options::default().recover_corrupt(true)).expect("recover");
    let second = again.recovery().expect("moved aside").moved_to.clone();
    assert_ne!(second, recovery.moved_to);
    assert!(recovery.moved_to.exists() && second.exists());
}

/// redb's file signature followed by garbage: recognisably a redb file, and damaged.
fn damaged_redb_file() -> Vec<u8> {
    let mut bytes = b"redb\x1a\x0a\xa9\x0d\x0a".to_vec();
    bytes.resize(64 * 1024, 0x5a);
    bytes
}

/// Files a mistyped path could name: each is refused as not a store and left byte for byte,
/// with recovery on or off; nothing is created beside it.
#[test]
fn a_file_that_is_not_a_store_is_refused_and_never_moved_or_written() {
    let dir = tempfile::tempdir().expect("dir");
    let foreign_redb = dir.path().join("other-app.redb");
    {
        let db = redb::Database::create(&foreign_redb).expect("create");
        let tx = db.begin_write().expect("tx");
        {
            let def: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("users");
            tx.open_table(def)
                .expect("table")
                .insert("ada", "admin")
                .expect("insert");
        }
        tx.commit().expect("commit");
    }
    let mut sqlite = b"SQLite format 3\0".to_vec();
    sqlite.resize(4096, 0);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "notes.txt",
            b"listen = 8787\nstore = ci.redb\n".to_vec(),
            "a text file",
        ),
        ("app.sqlite", sqlite, "an SQLite database"),
        ("tiny", b"abc".to_vec(), "a text file"),
        ("binary.bin", vec![0xA5; 64 * 1024], "redb's file signature"),
        (
            "other-app.redb",
            std::fs::read(&foreign_redb).expect("read"),
            "another program (its tables: users)",
        ),
    ];
    for (name, bytes, says) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).expect("write");
        for options in [Options::default(), Options::default().recover_corrupt(true)] {
            match Store::open(&path, options) {
                Err(Error::NotAStore {
                    path: named,
                    reason,
                }) => {
                    assert!(reason.contains(says), "{name}: {reason}");
                    assert_eq!(named.file_name(), path.file_name());
                }
                other => panic!("{name}: expected NotAStore, got {other:?}"),
            }
            assert!(
                std::fs::read(&path).expect("read") == bytes,
                "{name} changed"
            );
        }
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("corrupt")), "{names:?}");
    assert_eq!(names.len(), 5, "{names:?}");
}

#[test]
fn an_empty_file_becomes_a_new_store() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("touched.redb");
    std::fs::write(&path, b"").expect("write");
    let store = Store::open(&path, Options::default()).expect("open");
    assert_eq!(store.stats().expect("stats").rows, 0);
}

#[test]
fn an_io_error_on_open_names_the_operation_and_the_path() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("no").join("such").join("x.redb");
    match citail::Store::open(&path, citail::Options::default()) {
        Err(citail::Error::File {
            operation,
            path: named,
            source,
        }) => {
            assert_eq!(operation, "open the folder of");
            assert_eq!(named, path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Error::File, got {other:?}"),
    }
}
