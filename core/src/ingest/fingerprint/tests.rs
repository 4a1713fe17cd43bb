use super::*;
use proptest::prelude::*;

fn hl(line: u64, text: &str) -> Highlight {
    Highlight {
        line,
        text: text.to_owned(),
        repeats: 1,
    }
}

#[test]
fn masks_what_a_rerun_varies() {
    let cases = [
        (
            "2026-02-14T07:36:53.8244619Z ##[error]boom",
            "<time> ##[error]boom",
        ),
        ("took 1.23s (0:06:40)", "took <dur> (<time>)"),
        ("in 350ms", "in <dur>"),
        (
            "id 123e4567-e89b-12d3-a456-426614174000 gone",
            "id <uuid> gone",
        ),
        ("HEAD is now at 9f8e7d6c5b4a", "HEAD is now at <hex>"),
        ("segfault at 0x7ffd3a2b", "segfault at <hex>"),
        ("connect 127.0.0.1:5432 refused", "connect <ip> refused"),
        ("open /tmp/pytest-of-runner/pytest-12/x.db", "open <tmp>"),
        ("  src/lib.rs:113:14:  ", "src/lib.rs:#:#:"),
        (
            "test_case_3 E0425 TS2304 v2 64bit",
            "test_case_3 E0425 TS2304 v2 64bit",
        ),
        ("pid 4242 killed", "pid # killed"),
        (
            "/home/runner/work/app/app/crates/core/src/lib.rs:12:5",
            "…/core/src/lib.rs:#:#",
        ),
        (
            "/workspace/acme/app/crates/core/src/lib.rs:40:1",
            "…/core/src/lib.rs:#:#",
        ),
        ("a defaced word stays", "a defaced word stays"),
        (
            "mail to ci-bot+12@example.com failed",
            "mail to <email> failed",
        ),
        (
            "[REDACTED:github-token] used",
            "[REDACTED:github-token] used",
        ),
    ];
    for (line, want) in cases {
        assert_eq!(mask_line(line), want, "{line}");
    }
}

#[test]
fn generic_verdicts_alone_give_no_fingerprint() {
    for line in [
        "##[error]Process completed with exit code 1.",
        "make: *** [Makefile:55: test] Error 1",
        "error: test failed, to rerun pass `-p citail --lib`",
        "npm ERR! code ELIFECYCLE",
        "npm error Lifecycle script `test` failed with error:",
        "Error: Process completed with exit code 2.",
        "test result: FAILED. 3 passed; 1 failed",
    ] {
        assert_eq!(fingerprint("test", &[hl(1, line)], ""), None, "{line}");
    }
    // With a specific line beside them, the generic ones do not change it.
    let cause = hl(
        4,
        "thread 'main' panicked at src/lib.rs:9:5: index out of bounds",
    );
    assert_eq!(
        fingerprint(
            "test",
            &[
                cause.clone(),
                hl(9, "make: *** [Makefile:55: test] Error 1")
            ],
            ""
        ),
        fingerprint("test", &[cause], ""),
    );
}

#[test]
fn the_tail_stands_in_when_there_are_no_highlights() {
    let a = fingerprint(
        "deploy",
        &[],
        "uploading\nwrangler: unexpected reply 'quota'\n",
    );
    let b = fingerprint(
        "deploy",
        &[],
        "uploading\nwrangler: unexpected reply 'quota'\n\n",
    );
    let c = fingerprint(
        "deploy",
        &[],
        "uploading\nwrangler: unexpected reply 'auth'\n",
    );
    assert!(a.is_some());
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Highlights that are all generic do not fall back to the tail: the tail of such a step is
    // mostly the runner's cleanup.
    assert_eq!(
        fingerprint(
            "deploy",
            &[hl(3, "##[error]Process completed with exit code 1.")],
            "x y z w q\n"
        ),
        None
    );
}

#[test]
fn the_step_and_the_order_matter_as_they_should() {
    let lines = [
        hl(1, "FAIL src/a.test.ts > parses"),
        hl(2, "FAIL src/b.test.ts > formats"),
    ];
    let swapped = [lines[1].clone(), lines[0].clone()];
    assert_eq!(
        fingerprint("test", &lines, ""),
        fingerprint("test", &swapped, "")
    );
    assert_ne!(
        fingerprint("test", &lines, ""),
        fingerprint("lint", &lines, "")
    );
    assert_eq!(
        fingerprint("test (node 18)", &lines, ""),
        fingerprint("test (node 20)", &lines, "")
    );
}

#[test]
fn the_format_is_fixed() {
    // A change to the rules or the hash must bump FINGERPRINT_VERSION; this pins v1 (the value
    // checked by hand: FNV-1a 64 of "v1\0test\0" and the line, which has nothing to mask).
    let fp = fingerprint(
        "test",
        &[hl(7, "error[E0425]: cannot find value `x` in this scope")],
        "",
    );
    assert_eq!(fp.as_deref(), Some("v1:1bf305fc81213632"));
}

/// The parts of a line a re-run changes, drawn at random.
fn varying() -> impl Strategy<Value = (String, String, String, String, String, u16, u32)> {
    (
        "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9])T([01][0-9]):[0-5][0-9]:[0-5][0-9]\\.[0-9]{1,7}Z",
        "[0-9]{1,3}\\.[0-9]{1,3}(ms|s)",
        "[0-9a-f]{40}",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "/tmp/[a-z]{3,8}-[0-9]{1,5}/[a-z]{2,6}",
        1024u16..,
        1u32..4_000_000,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(256)))]

    /// A re-run of the same failure: new timestamps, durations, SHAs, ids, temporary folders,
    /// ports and PIDs. The fingerprint holds.
    #[test]
    fn a_rerun_keeps_the_fingerprint(a in varying(), b in varying(), test in "[a-z_]{3,12}") {
        let lines = |v: &(String, String, String, String, String, u16, u32)| {
            vec![
                hl(10, &format!("{} --- FAIL: Test{test} ({})", v.0, v.1)),
                hl(11, &format!("    {test}_test.go:{}: got {} want ok", v.6 % 500, v.2)),
                hl(12, &format!("request {} to 127.0.0.1:{} failed in {}", v.3, v.5, v.4)),
                hl(13, &format!("worker pid {} exited", v.6)),
            ]
        };
        prop_assert_eq!(fingerprint("test", &lines(&a), ""), fingerprint("test", &lines(&b), ""));
    }

    /// Another failing test, error code or file is another failure.
    #[test]
    fn another_cause_changes_it(a in "[a-z]{4,10}", b in "[a-z]{4,10}", code in 1000u32..9999) {
        prop_assume!(a != b);
        let one = fingerprint("test", &[hl(1, &format!("--- FAIL: Test{a} (0.01s)"))], "");
        let two = fingerprint("test", &[hl(1, &format!("--- FAIL: Test{b} (0.01s)"))], "");
        prop_assert_ne!(one, two);
        let e1 = fingerprint("build", &[hl(1, &format!("error TS{code}: cannot find name '{a}'"))], "");
        let e2 = fingerprint("build", &[hl(1, &format!("error TS{}: cannot find name '{a}'", code + 1))], "");
        prop_assert_ne!(e1, e2);
        let f1 = fingerprint("build", &[hl(1, &format!("src/{a}.rs:3:1: error: expected item"))], "");
        let f2 = fingerprint("build", &[hl(1, &format!("src/{b}.rs:3:1: error: expected item"))], "");
        prop_assert_ne!(f1, f2);
    }
}
