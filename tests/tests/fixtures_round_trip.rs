//! With normalisation and redaction off, every real fixture log ingests and reads back exactly
//! as truncation promises: the stored tail is the truncated input, byte for byte.
mod common;

use citail::{count_lines, truncate_tail, Options};
use citail_tests::{load_fixtures, sha};
use common::{log, temp_store};

#[test]
fn every_fixture_ingests_and_reads_back_exactly() {
    let (_dir, store) = temp_store(Options::default().normalize(false).redact_secrets(false));
    let fixtures = load_fixtures();
    assert!(fixtures.len() >= 20, "fixture corpus is missing files");
    let head = sha(1);
    for fixture in &fixtures {
        let wire = fixture.wire_tail();
        let done = store
            .ingest_at(&log("acme/app", &head, &fixture.name, wire), 1_000)
            .unwrap_or_else(|e| panic!("{}: {e}", fixture.name));
        let expected = truncate_tail(wire, 200, 32 * 1024);
        assert_eq!(done.stored_bytes, expected.len(), "{}", fixture.name);
        assert_eq!(done.stored_lines, count_lines(expected), "{}", fixture.name);
        assert_eq!(
            done.truncated,
            expected.len() != wire.len(),
            "{}",
            fixture.name
        );
    }
    let rows = store.logs_for_at("acme/app", &head, 2_000).expect("lookup");
    assert_eq!(rows.len(), fixtures.len());
    for fixture in &fixtures {
        let row = rows
            .iter()
            .find(|r| r.step_name == fixture.name)
            .unwrap_or_else(|| panic!("{} missing", fixture.name));
        let wire = fixture.wire_tail();
        assert_eq!(
            row.log_tail,
            truncate_tail(wire, 200, 32 * 1024),
            "{}",
            fixture.name
        );
        assert_eq!(row.original_bytes, wire.len());
        assert_eq!(row.original_lines, count_lines(wire));
        assert_eq!(row.head_sha, head);
    }
    let stats = store.stats().expect("stats");
    assert_eq!(stats.rows, fixtures.len() as u64);
    assert_eq!(
        stats.stored_bytes,
        rows.iter().map(|r| r.log_tail.len() as u64).sum::<u64>()
    );
}

#[test]
fn a_40k_single_line_is_cut_by_bytes_on_a_char_boundary() {
    let fixtures = load_fixtures();
    let huge = fixtures
        .iter()
        .find(|f| f.name == "terminal-to-html__huge-line.sh.raw")
        .expect("fixture present");
    let line = huge.text.lines().next().expect("the 40,000-character line");
    assert_eq!(line.len(), 40_000);
    // One line within the 64 KiB input limit: the last 30,000 bytes of the fixture's 40 KB line,
    // then 3-byte characters, so the 32 KiB cut from the end falls inside a character (33,001
    // bytes of them and the newline: 233 is not a multiple of 3).
    let text = format!("{}{}\n", &line[10_000..], "日".repeat(11_000));
    let (_dir, store) = temp_store(Options::default());
    let done = store
        .ingest_at(&log("acme/app", &sha(2), "build", &text), 1)
        .expect("ingest");
    assert!(done.truncated);
    assert_eq!(
        done.stored_bytes,
        32 * 1024 - 1,
        "moved forward to the next character"
    );
    let row = store.logs_for_at("acme/app", &sha(2), 1).expect("lookup");
    assert!(text.ends_with(row[0].log_tail.as_str()));
    assert!(row[0].log_tail.starts_with('日'));
}
