//! Failure memory: fingerprints that hold across a re-run of the same failure and change with
//! its cause, over the real fixture logs and the real-tool logs; the history a store answers
//! for a scenario of commits on `main` and a branch; run attempts as rows of their own; and a
//! schema-4 file upgraded in place.

use citail::{fingerprint, NewLog, Options, Pipeline, Store};
use citail_tests::{load_fixtures, sha};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use redb::ReadableTable;

/// Every real log the tests hold: the fixture corpus and the real-tool logs of the recall
/// corpus, as (name, text).
fn corpus() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = load_fixtures()
        .into_iter()
        .map(|f| (f.name.clone(), f.wire_tail().to_owned()))
        .collect();
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("recall/tools");
    let mut logs: Vec<_> = std::fs::read_dir(&tools)
        .expect("tests/recall/tools")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    for path in logs {
        let text = citail_tests::decode_log(&std::fs::read(&path).expect("log"));
        out.push((
            path.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            text,
        ));
    }
    out
}

fn fingerprint_of(pipeline: &Pipeline, step: &str, log: &str) -> Option<String> {
    let out = pipeline.run(log);
    fingerprint(step, &out.highlights, &out.tail)
}

/// What a re-run of the same failure changes in a log, drawn from `seed`: every digit of a
/// timestamp, duration, SHA, UUID, address, port or PID, and the names of temporary folders.
/// Digits inside words (`test_3`, `E0425`) and line positions of source files are what the
/// failure is, and stay.
fn rerun(text: &str, seed: u64) -> String {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let stamp = regex::Regex::new(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z|\b\d+(?:\.\d+)?(?:ms|s)\b|\b[0-9a-f]{40}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b\d{1,3}(?:\.\d{1,3}){3}:\d+\b|/tmp/[\w.-]+|\bpid[ =:]+\d+",
    )
    .expect("regex");
    stamp
        .replace_all(text, |caps: &regex::Captures<'_>| {
            caps[0]
                .chars()
                .map(|c| match c {
                    '0'..='9' => char::from(b'0' + (next() % 10) as u8),
                    'a'..='f' if caps[0].len() >= 36 => char::from(b'a' + (next() % 6) as u8),
                    c if caps[0].starts_with("/tmp/") && c.is_ascii_alphabetic() => {
                        char::from(b'a' + (next() % 26) as u8)
                    }
                    c => c,
                })
                .collect::<String>()
        })
        .into_owned()
}

#[test]
fn a_rerun_of_every_real_log_keeps_its_fingerprint() {
    let pipeline = Pipeline::new(&Options::default()).expect("pipeline");
    let corpus = corpus();
    let mut with = 0;
    let mut runner = TestRunner::new(Config {
        cases: 8,
        ..Config::default()
    });
    for (name, text) in &corpus {
        let original = fingerprint_of(&pipeline, "test", text);
        if original.is_some() {
            with += 1;
        }
        runner
            .run(&any::<u64>(), |seed| {
                let again = fingerprint_of(&pipeline, "test", &rerun(text, seed));
                prop_assert_eq!(
                    &again,
                    &original,
                    "{}: a re-run changed the fingerprint",
                    name
                );
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Most real failures have something specific to fingerprint; the logs of passing runs in
    // the corpus may not.
    assert!(
        with * 10 >= corpus.len() * 8,
        "{with} of {} logs have a fingerprint",
        corpus.len()
    );
}

#[test]
fn another_cause_in_a_real_log_changes_its_fingerprint() {
    // The real-tool logs name their causes: change one name and the failure is another one.
    let pipeline = Pipeline::new(&Options::default()).expect("pipeline");
    let changes = [
        ("tsc.log", "TS2322", "TS2345"),
        ("eslint.log", "no-unused-vars", "no-undef"),
        ("cargo-build.log", "E0308", "E0433"),
        (
            "pytest.log",
            "test_reserve_unknown_item_raises",
            "test_reserve_known_item",
        ),
        ("vitest.log", "adds two numbers", "adds three numbers"),
    ];
    let corpus = corpus();
    let mut checked = 0;
    for (file, from, to) in changes {
        let Some((_, text)) = corpus.iter().find(|(n, t)| n == file && t.contains(from)) else {
            continue;
        };
        let before = fingerprint_of(&pipeline, "test", text);
        let after = fingerprint_of(&pipeline, "test", &text.replace(from, to));
        assert!(before.is_some(), "{file}: no fingerprint");
        assert_ne!(before, after, "{file}: {from} -> {to} kept the fingerprint");
        checked += 1;
    }
    assert_eq!(
        checked,
        changes.len(),
        "a cause to change is missing from the corpus"
    );
}

fn post(store: &Store, commit: u64, git_ref: &str, attempt: u32, tail: &str, at: u64) {
    let sha = sha(commit);
    let log = NewLog {
        repo: "acme/app",
        run_id: &format!("run-{commit}"),
        job_id: "1",
        step_name: "test",
        head_sha: &sha,
        conclusion: "failure",
        log_tail: tail,
        git_ref: Some(git_ref),
        run_attempt: Some(attempt),
        command: Some("cargo test --locked"),
    };
    store.ingest_at(&log, at).expect("ingest");
}

const PANIC: &str = "running 3 tests\nthread 'parse::empty' panicked at src/parse.rs:41:9:\nindex out of bounds: the len is 0 but the index is 0\ntest parse::empty ... FAILED\n";
const OTHER: &str = "running 3 tests\nthread 'format::wide' panicked at src/format.rs:12:5:\nassertion failed: width < 80\ntest format::wide ... FAILED\n";

#[test]
fn the_history_of_a_branch_against_main() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("m.redb"), Options::default()).expect("open");
    let hour = 3_600_000;
    // main fails at c1; the branch's c2 fails the same way; c3 fails another way.
    post(&store, 1, "refs/heads/main", 1, PANIC, 10 * hour);
    post(
        &store,
        2,
        "feature/x",
        1,
        &PANIC.replace("41:9", "44:9"),
        11 * hour,
    );
    post(&store, 3, "feature/x", 1, OTHER, 12 * hour);
    let now = 13 * hour;
    let c2 = store.logs_for_at("acme/app", &sha(2), now).expect("c2");
    let c3 = store.logs_for_at("acme/app", &sha(3), now).expect("c3");
    assert_eq!(c2[0].git_ref.as_deref(), Some("feature/x"));
    assert_eq!(c2[0].command.as_deref(), Some("cargo test --locked"));
    let h2 = &store.history_at(&c2, now).expect("history")[0];
    assert_eq!(h2.other_commits, 1);
    assert_eq!(h2.first.as_ref().map(|s| s.head_sha.clone()), Some(sha(1)));
    assert_eq!(h2.refs, ["main"]);
    assert!(
        h2.same_branch.is_none(),
        "nothing earlier on feature/x failed this way"
    );
    assert!(!h2.is_new());
    let h3 = &store.history_at(&c3, now).expect("history")[0];
    assert!(h3.is_new(), "{h3:?}");
    assert!(h3.first.is_none() && h3.refs.is_empty());

    // c4 on the branch fails like c2 did: the branch's last change did not fix it.
    post(&store, 4, "feature/x", 1, PANIC, 14 * hour);
    let c4 = store
        .logs_for_at("acme/app", &sha(4), 15 * hour)
        .expect("c4");
    let h4 = &store.history_at(&c4, 15 * hour).expect("history")[0];
    assert_eq!(h4.other_commits, 2);
    assert_eq!(
        h4.same_branch.as_ref().map(|s| s.head_sha.clone()),
        Some(sha(2))
    );
    assert_eq!(h4.newest.as_ref().map(|s| s.head_sha.clone()), Some(sha(2)));

    // A re-run attempt of c3 is a row of its own and remembers the first attempt; a re-post of
    // the same attempt replaces its row.
    post(&store, 3, "feature/x", 2, OTHER, 16 * hour);
    post(&store, 3, "feature/x", 2, OTHER, 17 * hour);
    let c3 = store
        .logs_for_at("acme/app", &sha(3), 18 * hour)
        .expect("c3");
    assert_eq!(c3.len(), 2, "attempts 1 and 2");
    assert_eq!(c3[1].run_attempt, Some(2));
    let h3 = &store.history_at(&c3, 18 * hour).expect("history")[1];
    assert_eq!(h3.earlier_attempts, 1);
    assert!(!h3.is_new());

    // History forgets what retention pruned: 14 days later only c4 would be left.
    assert!(store.check().expect("check").is_clean());
    let later = 14 * 24 * hour + 14 * hour + 1;
    store.prune_at(later).expect("prune");
    let h4 = &store.history_at(&c4, later).expect("history")[0];
    assert!(h4.is_new(), "{h4:?}");
    assert!(store.check().expect("check").is_clean());
}

#[test]
fn a_generic_failure_is_never_called_the_same() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("g.redb"), Options::default()).expect("open");
    let generic = "Post job cleanup.\n##[error]Process completed with exit code 1.\n";
    post(&store, 1, "main", 1, generic, 1_000);
    post(&store, 2, "main", 1, generic, 2_000);
    let rows = store.logs_for_at("acme/app", &sha(2), 3_000).expect("rows");
    assert_eq!(rows[0].fingerprint, None);
    let history = store.history_at(&rows, 3_000).expect("history");
    assert_eq!(history[0].other_commits, 0);
    assert!(
        !history[0].is_new(),
        "no fingerprint: nothing is known, not 'new'"
    );
}

#[test]
fn a_schema_4_file_is_upgraded_in_place_and_its_rows_have_no_fingerprint() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v4.redb");
    {
        let store = Store::open(&path, Options::default()).expect("open");
        post(&store, 1, "main", 1, PANIC, 1_000);
    }
    // Make it what schema 4 wrote: the row value without extras, no `by_fingerprint` table.
    {
        let db = redb::Database::open(&path).expect("raw open");
        let tx = db.begin_write().expect("tx");
        {
            let rows_def = redb::TableDefinition::<(&str, &str, u64, u64), &[u8]>::new("rows");
            let mut rows = tx.open_table(rows_def).expect("rows");
            let (repo, sha_key, created, id, value) = {
                let (key, value) = rows
                    .iter()
                    .expect("iter")
                    .next()
                    .expect("one row")
                    .expect("row");
                let (repo, sha_key, created, id) = key.value();
                (
                    repo.to_owned(),
                    sha_key.to_owned(),
                    created,
                    id,
                    value.value().to_vec(),
                )
            };
            // The legacy value: the eight fields bincode wrote before schema 5. Decode them
            // with the same config and re-encode without what follows.
            let config = bincode::config::standard();
            let (legacy, used): (Legacy, usize) =
                bincode::serde::decode_from_slice(&value, config).expect("legacy prefix");
            assert!(
                used < value.len(),
                "a schema-5 row carries extras after the fields"
            );
            let bytes = bincode::serde::encode_to_vec(&legacy, config).expect("encode");
            rows.insert(
                (repo.as_str(), sha_key.as_str(), created, id),
                bytes.as_slice(),
            )
            .expect("put back");
        }
        tx.delete_table(redb::TableDefinition::<(&str, &str, u64, u64), &str>::new(
            "by_fingerprint",
        ))
        .expect("drop the index");
        tx.open_table(redb::TableDefinition::<&str, u64>::new("meta"))
            .expect("meta")
            .insert("schema_version", 4)
            .expect("set");
        tx.commit().expect("commit");
    }
    let store = Store::open(&path, Options::default()).expect("upgrade on open");
    let old = store
        .logs_for_at("acme/app", &sha(1), 2_000)
        .expect("old row");
    assert_eq!(old[0].fingerprint, None);
    assert_eq!(old[0].git_ref, None);
    assert_eq!(old[0].log_tail, PANIC);
    post(&store, 2, "main", 1, PANIC, 2_000);
    let new = store
        .logs_for_at("acme/app", &sha(2), 3_000)
        .expect("new row");
    assert!(new[0].fingerprint.is_some());
    let history = store.history_at(&new, 3_000).expect("history");
    assert!(
        history[0].is_new(),
        "the old row has no fingerprint, so it is not counted"
    );
    assert!(store.check().expect("check").is_clean());
    assert_eq!(
        store.stats().expect("stats").schema_version,
        citail::SCHEMA_VERSION
    );
    assert_eq!(store.prune_at(u64::MAX / 2).expect("prune both"), 2);
    assert!(store.check().expect("check").is_clean());
}

/// The eight fields a row value held before schema 5, in their order.
#[derive(serde::Serialize, serde::Deserialize)]
struct Legacy {
    run_id: String,
    job_id: String,
    step_name: String,
    conclusion: String,
    truncated: bool,
    original_bytes: u64,
    original_lines: u64,
    tail_bytes: u64,
}

#[test]
fn a_retry_loop_shares_one_read_and_a_stopped_read_calls_nothing_new() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(
        dir.path().join("loop.redb"),
        Options::default().durable(false),
    )
    .expect("open");
    let at = |n: u64| 1_000_000 + n;
    // Another commit failed this way first; then a retry loop posts the same failure 2,100
    // times on one commit, each a run of its own.
    post(&store, 1, "main", 1, PANIC, at(0));
    let looping = sha(2);
    for run in 0..2_100u64 {
        let run_id = format!("loop-{run}");
        let log = NewLog {
            repo: "acme/app",
            run_id: &run_id,
            job_id: "1",
            step_name: "test",
            head_sha: &looping,
            conclusion: "failure",
            log_tail: PANIC,
            git_ref: Some("feature/x"),
            ..Default::default()
        };
        store.ingest_at(&log, at(1 + run)).expect("ingest");
    }
    let now = at(10_000);
    let newest = store
        .recent_logs_for_at("acme/app", &looping, now, 50)
        .expect("rows");
    let history = store.history_at(&newest, now).expect("history");
    assert_eq!(history.len(), 50);
    // The newest 2,000 entries are all the loop's: the read stops before it reaches main's row,
    // says so, and does not call the failure new.
    for h in &history {
        assert_eq!(
            (h.other_commits, h.other_commits_capped),
            (0, true),
            "{h:?}"
        );
        assert!(!h.is_new());
    }
    let block = citail::render_prompt_block_with(
        &newest,
        &citail::PromptContext {
            history,
            ..Default::default()
        },
        64 * 1024,
    );
    assert!(
        !block.contains("_History: new"),
        "a stopped read is not 'new'"
    );
}
