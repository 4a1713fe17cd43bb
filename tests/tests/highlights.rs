//! Failure highlights through `Store`: found in the whole posted log, stored with the row, shown
//! in the prompt; and a file written before highlights existed (schema 1) still reads.
mod common;

use citail::{find_highlights, normalize, render_prompt_block, Options, Redactor, Store};
use citail_tests::{fill_to, load_fixtures, sha};
use common::{log, temp_store};
use redb::ReadableDatabase;
use redb::ReadableTable as _;
use redb::ReadableTableMetadata as _;

/// What the pipeline searches: the posted text, normalised and redacted.
fn processed(wire: &str) -> String {
    Redactor::builtin()
        .redact(&normalize(wire, true))
        .text
        .into_owned()
}

#[test]
fn every_fixture_has_verbatim_ordered_capped_highlights() {
    let (_dir, store) = temp_store(Options::default());
    let head = sha(1);
    for fixture in load_fixtures() {
        let wire = fixture.wire_tail();
        let done = store
            .ingest_at(&log("acme/app", &head, &fixture.name, wire), 1)
            .expect("ingest");
        let rows = store.logs_for_at("acme/app", &head, 1).expect("lookup");
        let row = rows
            .iter()
            .find(|r| r.step_name == fixture.name)
            .expect("row");
        assert_eq!(done.highlights, row.highlights.len());
        assert!(row.highlights.len() <= Options::default().get_max_highlights());
        assert!(row.highlights.iter().map(|h| h.text.len()).sum::<usize>() <= 4096);
        let text = processed(wire);
        let lines: Vec<&str> = text.split('\n').collect();
        let mut previous = 0;
        for h in &row.highlights {
            assert!(h.line > previous, "{}: out of order", fixture.name);
            previous = h.line;
            let line = lines[usize::try_from(h.line).expect("small") - 1];
            assert!(!h.text.is_empty(), "{}: empty highlight", fixture.name);
            // The line, or the line behind a runner prefix (`gh run view --log` columns), or a
            // `go test -json` event's `Output` value.
            assert!(
                line.starts_with(&h.text)
                    || line
                        .splitn(3, '\t')
                        .nth(2)
                        .and_then(|column| column.split_once("Z "))
                        .is_some_and(|(_, body)| body.starts_with(&h.text))
                    || (line.starts_with('{')
                        && line.contains(&format!("\"Output\":\"{}", h.text))),
                "{}: L{} is not {:?}",
                fixture.name,
                h.line,
                h.text
            );
        }
    }
}

#[test]
fn logs_without_a_failure_have_no_highlights() {
    // Each ends in success or shows no failure: a setup-only GitHub job, a passing Playwright
    // run, `npm install --verbose`, a successful `docker push`, a Jenkins `Finished: SUCCESS`
    // pipeline, a `docker build` cut off mid-apt, a huge single line.
    for name in [
        "rust-log-analyzer__test_missing_line.txt",
        "terminal-to-html__playwright.sh.raw",
        "terminal-to-html__npm.sh.raw",
        "terminal-to-html__docker-pull.sh.raw",
        "jenkins-ansicolor__testlog-long.log",
        "xeus-lean__docker-build.log",
        "terminal-to-html__huge-line.sh.raw",
    ] {
        let fixture = load_fixtures()
            .into_iter()
            .find(|f| f.name == name)
            .expect(name);
        let found = find_highlights(&processed(fixture.wire_tail()), 30, 4096);
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}

/// Expected highlights, checked by hand against each log.
#[test]
fn hand_checked_highlights() {
    let cases: &[(&str, &[(u64, &str)])] = &[
        // tsc: the three type errors, not the `yarn run` banner or the `error Command failed`
        // trailer (it is line 7 and reads `error Command failed with exit code 2.` — caught).
        (
            "errorformat__tsc.in",
            &[
                (3, "tsc.ts(3,13): error TS7006: Parameter 'y' implicitly has an 'any' type."),
                (4, "tsc.ts(5,12): error TS2345: Argument of type 'boolean' is not assignable to parameter of type 'number | string'."),
                (6, "tsc.ts(11,1): error TS2304: Cannot find name 'error'."),
            ],
        ),
        // act: the runner's `::error::`, the failed step, its exit code and `Job failed`.
        (
            "keiyoushi-extensions__act.log",
            &[
                (138, "[CI/Publish repo            ]   ❗  ::error::Input required and not supplied: token"),
                (139, "[CI/Publish repo            ]   ❌  Failure - Main Checkout main branch"),
                (140, "[CI/Publish repo            ] exitcode '1': failure"),
                (147, "[CI/Publish repo            ] 🏁  Job failed"),
            ],
        ),
        // Jenkins (node-core-utils): the cause is line 100, 26 lines above the end.
        (
            "node-core-utils__node-test-commit-osx-nodes=osx1010-19307.txt",
            &[
                (14, "ERROR: Reference path does not exist: /Users/iojs/git/io.js.reference"),
                (100, "ERROR: No acceptable C compiler found!"),
                (105, "make: *** [build-ci] Error 1"),
                (106, "Build step 'Execute shell' marked build as failure"),
                // The post-build task's own failure, a consequence of the missing `out/`.
                (121, "mkdir: out: No such file or directory"),
                (126, "Finished: FAILURE"),
            ],
        ),
        // go test -race: the race report with the source position of both accesses, the test it
        // failed, the failing test, the package verdict, the exit status.
        (
            "go-junit-report__017-race.txt",
            &[
                (4, "WARNING: DATA RACE"),
                (7, "      /src/github.com/jstemmer/go-junit-report/testdata/src/race/race_test.go:9 +0x39"),
                (11, "      /src/github.com/jstemmer/go-junit-report/testdata/src/race/race_test.go:12 +0x105"),
                (39, "    testing.go:1312: race detected during execution of test"),
                (40, "--- FAIL: TestRace (0.00s)"),
                (43, "FAIL"),
                (44, "exit status 1"),
                (45, "FAIL\tpackage/race\t0.005s"),
            ],
        ),
        // rustc: both errors and where each is, not their `= note:` or source lines.
        (
            "thiserror__no-display.stderr",
            &[
                (1, "error[E0599]: the method `as_display` exists for reference `&NoDisplay`, but its trait bounds were not satisfied"),
                (2, " --> tests/ui/no-display.rs:7:9"),
                (22, "error[E0277]: the trait bound `NoDisplay: Octal` is not satisfied"),
                (23, "  --> tests/ui/no-display.rs:13:9"),
            ],
        ),
        // Jest: the suite, its bullet, the two TS errors inside it, the summary.
        (
            "unity-setup__jest-output.txt",
            &[
                (1, " FAIL  tests/unity-version.test.ts"),
                (2, "  ● Test suite failed to run"),
                (4, "    tests/unity-version.test.ts:3:8 - error TS1192: Module '\"fs\"' has no default export."),
                (8, "    tests/unity-version.test.ts:4:8 - error TS1259: Module '\"path\"' can only be default-imported using the 'esModuleInterop' flag"),
                (18, "Test Suites: 1 failed, 1 total"),
            ],
        ),
    ];
    let fixtures = load_fixtures();
    for (name, expected) in cases {
        let fixture = fixtures.iter().find(|f| f.name == *name).expect(name);
        let found: Vec<(u64, String)> = find_highlights(&processed(fixture.wire_tail()), 30, 4096)
            .into_iter()
            .map(|h| (h.line, h.text))
            .collect();
        let expected: Vec<(u64, String)> = expected
            .iter()
            .map(|(l, t)| (*l, (*t).to_owned()))
            .collect();
        if *name == "errorformat__tsc.in" {
            // The trailer line is a highlight too; the three errors come first.
            assert_eq!(found.get(..3), Some(&expected[..]), "{name}");
        } else {
            assert_eq!(found, expected, "{name}");
        }
    }
}

#[test]
fn a_cause_500_lines_above_the_end_of_64_kib_is_kept_and_shown() {
    let noise: String = (0..500)
        .map(|i| format!("  at step {i:04} of a very long backtrace (frame)\n"))
        .collect();
    let head = fill_to(
        "compiling widgets and gadgets ...\n",
        64 * 1024 - noise.len() - 60,
    );
    let cause = "wasm trap: out of bounds memory access";
    let input = format!("{head}{cause}\n{noise}");
    assert!(input.len() <= 64 * 1024);
    let (_dir, store) = temp_store(Options::default());
    let done = store
        .ingest_at(&log("acme/app", &sha(2), "test", &input), 1)
        .expect("ingest");
    assert!(done.truncated);
    let rows = store.logs_for_at("acme/app", &sha(2), 1).expect("lookup");
    let row = &rows[0];
    assert!(
        !row.log_tail.contains(cause),
        "the cause is above the stored tail"
    );
    let line = u64::try_from(input.lines().count() - 500).expect("small");
    assert_eq!(
        row.highlights
            .iter()
            .map(|h| (h.line, h.text.as_str()))
            .collect::<Vec<_>>(),
        [(line, cause)]
    );
    let prompt = render_prompt_block(&rows, 64 * 1024);
    assert!(
        prompt.contains(&format!("\nL{line}: {cause}\n")),
        "{prompt}"
    );
}

#[test]
fn with_23_fixtures_in_24_kib_every_step_is_named_with_its_highlights() {
    let (_dir, store) = temp_store(Options::default());
    let head = sha(3);
    let fixtures = load_fixtures();
    for (i, fixture) in fixtures.iter().enumerate() {
        let mut entry = log("acme/app", &head, &fixture.name, fixture.wire_tail());
        let run = (9000 + i).to_string();
        entry.run_id = &run;
        store.ingest_at(&entry, 1 + i as u64).expect("ingest");
    }
    let rows = store.logs_for_at("acme/app", &head, 100).expect("lookup");
    assert_eq!(rows.len(), fixtures.len());
    let block = render_prompt_block(&rows, 24 * 1024);
    assert!(block.len() <= 24 * 1024, "{}", block.len());
    assert!(!block.contains("Left out"), "no step is left out");
    for row in &rows {
        assert!(
            block.contains(&format!("### Step `{}`", row.step_name)),
            "{} not named",
            row.step_name
        );
        for h in &row.highlights {
            assert!(
                block.contains(&h.text),
                "{}: highlight {:?} missing",
                row.step_name,
                h.text
            );
        }
    }
}

#[test]
fn a_schema_1_file_is_upgraded_in_place_and_its_rows_read_raw_without_highlights() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.redb");
    {
        let store = Store::open(&path, Options::default()).expect("open");
        store
            .ingest_at(&log("acme/app", &sha(4), "test", "error: old row\n"), 1)
            .expect("ingest");
    }
    // Make it what citail 0.1 wrote: schema 1, the tail raw in `tails`, no highlights tables
    // and no compressed tails.
    {
        let db = redb::Database::open(&path).expect("raw open");
        let tx = db.begin_write().expect("tx");
        for name in ["highlights", "highlights_zstd"] {
            tx.delete_table(redb::TableDefinition::<u64, &[u8]>::new(name))
                .expect("drop");
        }
        tx.delete_table(redb::TableDefinition::<(u64, u32), &[u8]>::new(
            "tails_zstd",
        ))
        .expect("drop");
        tx.open_table(redb::TableDefinition::<(u64, u32), &[u8]>::new("tails"))
            .expect("tails")
            .insert((1, 0), b"error: old row\n".as_slice())
            .expect("raw tail");
        tx.open_table(redb::TableDefinition::<&str, u64>::new("meta"))
            .expect("meta")
            .insert("schema_version", 1)
            .expect("set");
        tx.commit().expect("commit");
    }
    let store = Store::open(&path, Options::default()).expect("upgrade on open");
    let rows = store.logs_for_at("acme/app", &sha(4), 1).expect("lookup");
    assert_eq!((rows.len(), rows[0].highlights.len()), (1, 0));
    assert_eq!(rows[0].log_tail, "error: old row\n");
    store
        .ingest_at(&log("acme/app", &sha(4), "lint", "error: new row\n"), 2)
        .expect("ingest after upgrade");
    let both = store.logs_for_at("acme/app", &sha(4), 2).expect("lookup");
    let tails: Vec<&str> = both.iter().map(|r| r.log_tail.as_str()).collect();
    assert_eq!(tails, ["error: old row\n", "error: new row\n"]);
    assert_eq!(store.prune_at(u64::MAX / 2).expect("prune both"), 2);
    drop(store);
    let db = redb::Database::open(&path).expect("raw open");
    let tx = db.begin_read().expect("tx");
    let meta = tx
        .open_table(redb::TableDefinition::<&str, u64>::new("meta"))
        .expect("meta");
    assert_eq!(
        meta.get("schema_version").expect("get").map(|v| v.value()),
        Some(citail::SCHEMA_VERSION)
    );
    // The prune deleted the raw tail and the compressed one.
    for name in ["tails", "tails_zstd"] {
        let table = tx
            .open_table(redb::TableDefinition::<(u64, u32), &[u8]>::new(name))
            .expect("table");
        assert_eq!(table.len().expect("len"), 0, "{name} not empty");
    }
}

#[test]
fn a_schema_3_file_keeps_its_uncompressed_highlights_readable_and_prunable() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v3.redb");
    let wire = "compiling\nerror[E0425]: cannot find value `x`\nerror: aborting\n";
    let expected = {
        let store = Store::open(&path, Options::default()).expect("open");
        store
            .ingest_at(&log("acme/app", &sha(6), "build", wire), 1)
            .expect("ingest");
        store.logs_for_at("acme/app", &sha(6), 1).expect("lookup")[0]
            .highlights
            .clone()
    };
    assert_eq!(expected.len(), 2);
    // Make it what schema 3 wrote: the highlights uncompressed in `highlights`, no
    // `highlights_zstd` table.
    {
        let db = redb::Database::open(&path).expect("raw open");
        let tx = db.begin_write().expect("tx");
        let compressed = tx
            .open_table(redb::TableDefinition::<u64, &[u8]>::new("highlights_zstd"))
            .expect("table")
            .get(1)
            .expect("get")
            .expect("row 1 has highlights")
            .value()
            .to_vec();
        let raw = zstd::bulk::decompress(&compressed, 1 << 20).expect("a zstd frame");
        tx.delete_table(redb::TableDefinition::<u64, &[u8]>::new("highlights_zstd"))
            .expect("drop");
        tx.open_table(redb::TableDefinition::<u64, &[u8]>::new("highlights"))
            .expect("highlights")
            .insert(1, raw.as_slice())
            .expect("raw highlights");
        tx.open_table(redb::TableDefinition::<&str, u64>::new("meta"))
            .expect("meta")
            .insert("schema_version", 3)
            .expect("set");
        tx.commit().expect("commit");
    }
    let store = Store::open(&path, Options::default()).expect("upgrade on open");
    let rows = store.logs_for_at("acme/app", &sha(6), 1).expect("lookup");
    assert_eq!(rows[0].highlights, expected);
    assert_eq!(store.prune_at(u64::MAX / 2).expect("prune"), 1);
    drop(store);
    let db = redb::Database::open(&path).expect("raw open");
    let tx = db.begin_read().expect("tx");
    for name in ["highlights", "highlights_zstd"] {
        let table = tx
            .open_table(redb::TableDefinition::<u64, &[u8]>::new(name))
            .expect("table");
        assert_eq!(table.len().expect("len"), 0, "{name} not empty");
    }
}

#[test]
fn the_prompt_lookup_reads_only_the_newest_rows() {
    let (_dir, store) = temp_store(Options::default().durable(false));
    let head = sha(5);
    for i in 0..2_000u64 {
        let step = format!("retry-{i}");
        store
            .ingest_at(&log("acme/app", &head, &step, "error: again\n"), i)
            .expect("ingest");
    }
    let newest = store
        .recent_logs_for_at("acme/app", &head, 3_000, 50)
        .expect("lookup");
    assert_eq!(newest.len(), 50);
    assert_eq!(
        newest.first().map(|r| r.step_name.as_str()),
        Some("retry-1950")
    );
    assert_eq!(
        newest.last().map(|r| r.step_name.as_str()),
        Some("retry-1999")
    );
    // What the lookup did not read is counted and named, newest first to name, and said in
    // the prompt.
    let oldest_read = newest.first().expect("rows");
    let older = store
        .steps_before_at(oldest_read, 3_000, 3)
        .expect("older steps");
    assert_eq!(older.count, 1_950);
    let names: Vec<&str> = older.newest.iter().map(|s| s.step_name.as_str()).collect();
    assert_eq!(names, ["retry-1947", "retry-1948", "retry-1949"]);
    let block = citail::render_prompt_block_noting(&newest, &older, 64 * 1024);
    assert!(
        block.contains("_Not read, older than the 50 steps read: 1950 steps; the newest of them:"),
        "{block}"
    );
    // Only live rows count: 14 days after ms 1000, rows created before it have expired.
    let fourteen_days = 14 * 24 * 3600 * 1000;
    let later = store
        .steps_before_at(oldest_read, fourteen_days + 1_000, 3)
        .expect("older steps later");
    assert_eq!(later.count, 950, "rows 1000..1950 are still live");
    let none = store
        .steps_before_at(oldest_read, u64::MAX / 2, 3)
        .expect("all expired");
    assert_eq!(none, citail::OlderSteps::default());
}
