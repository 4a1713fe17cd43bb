use super::*;
use proptest::prelude::*;
use std::fmt::Write as _;

fn texts(log: &str) -> Vec<String> {
    find_highlights(log, 100, 1 << 20)
        .into_iter()
        .map(|h| h.text)
        .collect()
}

/// One failure line of each kind the rules know.
const FAILURE_LINES: &[&str] = &[
        "error[E0425]: cannot find value `x` in this scope",
        "error: could not compile `citail` (lib) due to 1 previous error",
        "src/app.ts(3,13): error TS7006: Parameter 'y' implicitly has an 'any' type.",
        "./main.go:12:2: undefined: x",
        "src/lib.c:40:5: error: expected ';' before 'return'",
        "  2:10  error    'unusedf' is defined but never used  no-unused-vars",
        "Error: creating build container: writing blob",
        "🚨 Error: The command exited with status 1",
        "TypeError: Cannot read properties of undefined (reading 'map')",
        "java.lang.IllegalStateException: boom",
        "E       subprocess.CalledProcessError: Command 'terraform apply' returned non-zero exit status 1.",
        "Traceback (most recent call last):",
        "configure: error: no acceptable C compiler found in $PATH",
        "ERROR: No acceptable C compiler found!",
        " FAIL  tests/unity-version.test.ts",
        "--- FAIL: TestRace (0.00s)",
        "FAIL\tpackage/race\t0.005s",
        "test emit ... FAILED",
        "FAILED tests/test_x.py::test_y - AssertionError: assert 1 == 2",
        "Tests: 1 failed, 300 passed",
        " ❯ src/stores/shared.test.ts (7 tests | 6 failed) 41ms",
        "   × store > creates a shared link successfully 16ms",
        "     → expected \"spy\" to be called with arguments: [ '/shared/' ]",
        "  ● Test suite failed to run",
        "    Expected: 2",
        "    Received: 3",
        "  left: 1",
        "thread 'main' panicked at src/main.rs:2:5:",
        "panic: runtime error: index out of range [3] with length 3",
        "Segmentation fault (core dumped)",
        "wasm trap: out of bounds memory access",
        "fatal: repository 'https://example.com/x.git/' not found",
        "##[error]Process completed with exit code 1.",
        "::error file=app.js,line=1::Missing semicolon",
        "[CI/Publish repo] 🏁  Job failed",
        "npm ERR! code E404",
        "npm error code ERESOLVE",
        "48 error you do not have permission to publish \"zerorpc\"",
        "Finished: FAILURE",
        "make: *** [build-ci] Error 1",
        "✖ 7 problems (6 errors, 1 warning)",
        "==================================== ERRORS ====================================",
        "user command error: exit status 1",
        "bash: line 1: wrangler: command not found",
        "cp: cannot stat 'dist/app': No such file or directory",
        "Killed",
        "Error response from daemon: pull access denied for acme/app, repository does not exist",
        " ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is not up to date",
        "#12 ERROR: process \"/bin/sh -c npm ci\" did not complete successfully: exit code: 1",
        "Program.cs(10,5): error CS1002: ; expected",
        "src/app.nim(12, 7) Error: undeclared identifier: 'x'",
        "src/a.ts:8:60 lint/suspicious/noDebugger  FIXABLE  ━━━━━━━━━━━━━━━━━━━━",
        "[warn] src/a.ts",
        "[warn] Code style issues found in 2 files. Run Prettier with --write to fix.",
        "  20ms testjson/internal/parallelfails ····✖✖✖✖✖✖✖✖",
        "Failures:",
        "Diff in /home/runner/work/app/src/lib.rs at line 12:",
        "WARNING: DATA RACE",
];

#[test]
fn failure_lines_of_many_tools_are_highlights() {
    let lines = FAILURE_LINES;
    for &line in lines {
        // Blank lines around: an `exit code` line would bring a non-blank line above, a panic
        // the lines below (see `companions.rs`).
        assert_eq!(
            texts(&format!("\n{line}\n\nteardown\n")),
            [line],
            "{line:?}"
        );
    }
}

/// Lines that mention a failure word but report no failure.
const NOT_FAILURES: &[&str] = &[
    "test error_handling::returns_err ... ok",
    "✓ handles error during shared link creation 2ms",
    "  ✔ error messages render (12 ms)",
    " PASS  src/error.test.ts",
    "--- PASS: TestErrorPath (0.00s)",
    "ok  \tgithub.com/acme/errors\t0.010s",
    "::warning file=app.js::Unused variable error",
    "warning: unused variable: `error`",
    "WARNING: failed to autodetect C compiler version",
    "test result: ok. 12 passed; 0 failed; 0 ignored",
    "   Compiling error-chain v0.12.4",
    "Downloading errors-1.2.tgz",
    "0 errors, 0 warnings",
    "Tests: 300 passed, 300 total",
    "[warn] Some warning about configuration",
    "       testjson/internal/good ···↷↷·············",
    // npm's boilerplate under every error: where to report it, which node, which argv.
    "44 error argv \"/usr/local/bin/node\" \"/usr/local/bin/npm\" \"publish\"",
    "45 error node v4.4.7",
    "46 error npm  v2.15.8",
    "43 error Darwin 16.1.0",
    "49 error If you need help, you may report this error at:",
    "49 error     <https://github.com/npm/npm/issues>",
    "npm ERR! A complete log of this run can be found in:",
    "npm error A complete log of this run can be found in: /home/runner/.npm/_logs/x.log",
];

#[test]
fn passes_warnings_and_mere_mentions_are_not() {
    let lines = NOT_FAILURES;
    for &line in lines {
        assert!(texts(&format!("{line}\n")).is_empty(), "{line:?}");
    }
}

#[test]
fn repeats_collapse_and_line_numbers_are_the_first_occurrence() {
    let log = "a\nnpm ERR! 404\nb\nnpm ERR! 404\nnpm ERR! 404\nerror: x\n";
    let found = find_highlights(log, 20, 4096);
    assert_eq!(
        found,
        vec![
            Highlight {
                line: 2,
                text: "npm ERR! 404".into(),
                repeats: 3
            },
            Highlight {
                line: 6,
                text: "error: x".into(),
                repeats: 1
            },
        ]
    );
}

#[test]
fn lines_that_point_at_different_places_do_not_collapse() {
    // Counters collapse; source positions are where the cause is, and stay apart.
    let log = "src/a.rs:12:5: error: boom\nsrc/a.rs:40:1: error: boom\n3 failed\n9 failed\n";
    let found = find_highlights(log, 20, 4096);
    let lines: Vec<(u64, u32)> = found.iter().map(|h| (h.line, h.repeats)).collect();
    assert_eq!(lines, [(1, 1), (2, 1), (4, 2)]);
    assert_eq!(found.get(2).map(|h| h.text.as_str()), Some("9 failed"));
}

#[test]
fn over_the_caps_the_first_and_last_are_kept() {
    let log = (1u8..=50).fold(String::new(), |mut log, i| {
        // Distinct words, not only distinct numbers: lines that differ only in their numbers
        // are one highlight.
        let word: String = [b'a' + i / 26, b'a' + i % 26]
            .iter()
            .map(|&b| char::from(b))
            .collect();
        let _ = writeln!(log, "error: case {word}");
        log
    });
    let found = find_highlights(&log, 4, 4096);
    let lines: Vec<u64> = found.iter().map(|h| h.line).collect();
    assert_eq!(lines, [1, 2, 49, 50]);
    let by_bytes = find_highlights(&log, 20, 40); // each text is 13 bytes
    assert_eq!(by_bytes.iter().map(|h| h.line).collect::<Vec<_>>(), [1, 50]);
    assert!(find_highlights(&log, 0, 4096).is_empty());
}

#[test]
fn a_huge_line_keeps_its_start() {
    let line = format!("Error: {}", "é".repeat(2000));
    let found = find_highlights(&line, 20, 4096);
    assert_eq!(found.len(), 1);
    let text = &found.first().expect("one").text;
    assert!(text.len() <= MAX_HIGHLIGHT_LINE_BYTES && line.starts_with(text.as_str()));
}

#[test]
fn a_cause_far_above_a_long_stack_is_found() {
    let mut log = String::from("compiling\nwasm trap: out of bounds memory access\n");
    for i in 0..1500 {
        let _ = writeln!(log, "    at frame{i} (wasm://wasm/app.wasm:0x{i:x})");
    }
    log.push_str("Process completed with exit code 1.\n");
    let found = find_highlights(&log, 20, 4096);
    assert_eq!(
        found
            .iter()
            .map(|h| (h.line, h.text.as_str()))
            .collect::<Vec<_>>(),
        [
            (2, "wasm trap: out of bounds memory access"),
            (1503, "Process completed with exit code 1.")
        ]
    );
}

const ESLINT_STYLISH: &str = r#"{"problemMatcher": [{
  "owner": "eslint-stylish",
  "pattern": [
    {"regexp": "^([^\\s].*)$", "file": 1},
    {"regexp": "^\\s+(\\d+):(\\d+)\\s+(error|warning|info)\\s+(.*)\\s\\s+(.*)$",
     "line": 1, "column": 2, "severity": 3, "message": 4, "code": 5, "loop": true}
  ]}]}"#;

#[test]
fn problem_matchers_add_lines_with_multi_line_loops_and_severity() {
    let matchers = ProblemMatcher::parse(ESLINT_STYLISH).expect("parse");
    let h = Highlighter::with_matchers(&matchers).expect("compile");
    let log = "\n/src/a.js\n  1:1  warning  Unexpected console  no-console\n  2:5  error    Parsing failed  parse\n\n/src/b.js\n  3:3  warning  Only a warning  w\n";
    let found: Vec<(u64, String)> = h
        .find(log, 20, 4096)
        .into_iter()
        .map(|x| (x.line, x.text))
        .collect();
    // a.js has an error-severity problem: its file line and that problem; b.js only warnings.
    assert_eq!(
        found,
        [
            (2, "/src/a.js".to_owned()),
            (4, "  2:5  error    Parsing failed  parse".to_owned())
        ]
    );
}

#[test]
fn a_bad_matcher_is_an_invalid_option_naming_it() {
    let cases = [
        r#"{"problemMatcher":[{"owner":"look","pattern":[{"regexp":"(?<=x)y","message":1}]}]}"#,
        r#"{"problemMatcher":[{"owner":"nomsg","pattern":[{"regexp":"x"}]}]}"#,
        r#"{"problemMatcher":[{"owner":"group","pattern":[{"regexp":"(x)","message":2}]}]}"#,
        r#"{"problemMatcher":[{"owner":"loop1","pattern":[{"regexp":"(x)","message":1,"loop":true}]}]}"#,
        r#"{"problemMatcher":[{"owner":"sev","severity":"fatal","pattern":[{"regexp":"(x)","message":1}]}]}"#,
        r#"{"problemMatcher":[{"owner":"","pattern":[{"regexp":"(x)","message":1}]}]}"#,
        r#"{"problemMatcher":[{"owner":"empty","pattern":[]}]}"#,
    ];
    for json in cases {
        let matchers = ProblemMatcher::parse(json).expect("well-formed JSON");
        match Highlighter::with_matchers(&matchers) {
            Err(Error::InvalidOption {
                option: "problem_matchers",
                reason,
            }) => {
                assert!(
                    reason.contains(&format!(
                        "{:?}",
                        matchers
                            .first()
                            .map(|m| m.owner.as_str())
                            .unwrap_or_default()
                    )),
                    "{reason}"
                );
            }
            other => panic!("{json}: {other:?}"),
        }
    }
    assert!(ProblemMatcher::parse("not json").is_err());
    assert!(ProblemMatcher::parse(r#"{"problemMatcher":[{"pattern":[]}]}"#).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(1024)))]

    #[test]
    fn highlights_are_verbatim_ordered_distinct_and_capped(
        parts in proptest::collection::vec(prop_oneof![
            Just("error: boom\n".to_owned()),
            Just("FAIL x\n".to_owned()),
            Just("✓ error ok\n".to_owned()),
            Just("npm ERR! 404\n".to_owned()),
            Just("\n".to_owned()),
            "[a-zA-Z:!✗× 0-9]{0,20}\n",
        ], 0..80),
        max_lines in 0usize..25,
        max_bytes in 0usize..300,
    ) {
        let log = parts.concat();
        let all: Vec<&str> = log.split('\n').collect();
        let found = find_highlights(&log, max_lines, max_bytes);
        prop_assert!(found.len() <= max_lines);
        prop_assert!(found.iter().map(|h| h.text.len()).sum::<usize>() <= max_bytes);
        let mut last = 0;
        let mut seen = std::collections::HashSet::new();
        for h in &found {
            prop_assert!(h.line > last, "not in order");
            last = h.line;
            let line = all.get(usize::try_from(h.line).unwrap_or(0) - 1).copied().unwrap_or_default();
            prop_assert!(line.starts_with(h.text.as_str()), "{:?} vs {:?}", h.text, line);
            prop_assert!(seen.insert(h.text.clone()), "duplicate {:?}", h.text);
            prop_assert!(h.repeats >= 1);
        }
    }
}

/// The lines the built-in rules pick, found by searching the whole text: the reference for the
/// search that only looks at lines holding a literal.
fn whole_text_lines(text: &str) -> Vec<(usize, &str)> {
    let builtin = BUILTIN.as_ref().expect("built-in rules");
    let mut out = Vec::new();
    let mut counted_to = 0;
    let mut line_number = 1;
    let mut from = 0;
    while let Some(found) = builtin.rules.find_at(text, from) {
        let start = text[..found.start()].rfind('\n').map_or(0, |i| i + 1);
        let end = text[found.start()..]
            .find('\n')
            .map_or(text.len(), |i| found.start() + i);
        line_number += text[counted_to..start].matches('\n').count();
        counted_to = start;
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        if !builtin.exclude.is_match(line) || builtin.always.is_match(line) {
            out.push((line_number, line));
        }
        from = end + 1;
        if from > text.len() {
            break;
        }
    }
    out
}

fn gated_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    collect_builtin(BUILTIN.as_ref().expect("built-in rules"), text, &mut out);
    out
}

#[test]
fn the_gated_search_finds_what_a_whole_text_search_finds_in_every_fixture_log() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut logs = 0;
    for entry in std::fs::read_dir(&dir).expect("the fixture logs ship with the repository") {
        let path = entry.expect("entry").path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("fixture")).into_owned();
        for text in [
            text.clone(),
            crate::ingest::normalize::normalize(&text, true),
        ] {
            assert_eq!(
                gated_lines(&text),
                whole_text_lines(&text),
                "{}",
                path.display()
            );
        }
        logs += 1;
    }
    assert!(logs >= 20, "only {logs} fixture logs in {}", dir.display());
}

/// Failure lines, passes and near misses, cut and joined at random, in changed ASCII case.
fn failure_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        proptest::sample::select(FAILURE_LINES).prop_map(str::to_owned),
        proptest::sample::select(NOT_FAILURES).prop_map(str::to_owned),
        proptest::sample::select(FAILURE_LINES).prop_flat_map(|line| {
            (Just(line), 0..=line.len()).prop_map(|(line, cut)| {
                let cut = (0..=cut)
                    .rev()
                    .find(|&i| line.is_char_boundary(i))
                    .unwrap_or(0);
                line[cut..].to_owned()
            })
        }),
        proptest::sample::select(FAILURE_LINES).prop_map(str::to_ascii_uppercase),
        proptest::sample::select(FAILURE_LINES).prop_map(str::to_ascii_lowercase),
        proptest::sample::select(vec![
            "\n", "\r\n", " ", "\t", ":", "é", "🦀", "E  ", "●", "→"
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,12}",
    ];
    proptest::collection::vec(piece, 0..30).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(1024)))]

    #[test]
    fn the_gated_search_finds_what_a_whole_text_search_finds(text in failure_soup()) {
        prop_assert_eq!(gated_lines(&text), whole_text_lines(&text));
    }
}

proptest! {
    // A fixed count: each case is a long text, and CI's CITAIL_PROPTEST_CASES (4096) would make
    // this one test minutes long.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Hundreds of short lines that hold a literal: the gated search turns to one pass over the
    /// rest of the text, and still finds what a whole-text search finds.
    #[test]
    fn a_dense_text_finds_what_a_whole_text_search_finds(
        parts in proptest::collection::vec(failure_soup(), 40..120),
    ) {
        let text = parts.join("\nerror x\n");
        prop_assert_eq!(gated_lines(&text), whole_text_lines(&text));
    }
}
