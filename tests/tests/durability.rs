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
    let garbage = vec![0x5a_u8; 64 * 1024];
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

#[test]
fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("garbage.redb");
    std::fs::write(&path, vec![0xA5; 64 * 1024]).expect("write");
    let result = Store::open(&path, Options::default());
    assert!(
        matches!(result, Err(Error::Corrupt { .. } | Error::Storage(_))),
        "{result:?}"
    );
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
