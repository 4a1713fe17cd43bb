//! `go test -json` output (what gotestsum reads, and what a workflow that tees it posts): one
//! JSON event per line. A failing test's own messages (`x_test.go:50: failed sub a`, from
//! `t.Error`) are `output` events of that test, which name neither failure nor error; a passing
//! test's `t.Log` lines look the same. So the failed tests are read first (their `fail`
//! events), then each `output` event of one of them that holds a test message is a highlight,
//! and so is a package's `FAIL\t<package>` line.
//!
//! A highlight that is such an event (whichever rule picked it) shows its `Output` value, still
//! JSON-escaped and without its closing `\n`: `L52:     TestX: x_test.go:50: failed sub a`, not
//! 200 bytes of timestamps and package paths around it. It is a substring of the line, so the
//! tail can still mark it.
//!
//! Invariants: a text without a `"Action":"fail"` event is returned unchanged without being
//! split into lines; only lines of the text are added, with their own numbers; the result is in
//! increasing line order with each line once.

use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

/// What marks a failed test's or package's event.
const FAIL_EVENT: &str = r#""Action":"fail""#;

struct Patterns {
    /// A test's message in an `Output` value: `    TestX: x_test.go:29: …` or
    /// `    x_test.go:29: …`.
    message: Regex,
    /// A package's verdict in an `Output` value: `FAIL\t<package>\t0.026s`.
    package_fail: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    Some(Patterns {
        message: Regex::new(
            r"^(?:[ ]{4}|\\t)+(?:[^ :\\]{1,200}: )?[A-Za-z0-9_.-]{1,200}_test\.go:[0-9]{1,7}: ",
        )
        .ok()?,
        package_fail: Regex::new(r"^FAIL\\t").ok()?,
    })
});

/// `lines` (`(line number, line)`, in order) with the messages of failed tests and the failed
/// packages' verdicts of a `go test -json` text.
pub(crate) fn add<'a>(text: &'a str, lines: Vec<(usize, &'a str)>) -> Vec<(usize, &'a str)> {
    if !text.contains(FAIL_EVENT) {
        return lines;
    }
    let Some(p) = PATTERNS.as_ref() else {
        return lines;
    };
    let events: Vec<&str> = text.split('\n').collect();
    let failed: HashSet<(&str, &str)> = events
        .iter()
        .filter(|e| e.contains(FAIL_EVENT))
        .filter_map(|e| Some((field(e, "Package")?, field(e, "Test")?)))
        .collect();
    let mut out: Vec<(usize, &'a str)> = lines
        .into_iter()
        .map(|(number, line)| (number, output_of(line).unwrap_or(line)))
        .collect();
    for (number, event) in (1..).zip(&events) {
        if !event.contains(r#""Action":"output""#) {
            continue;
        }
        let Some(output) = field(event, "Output") else {
            continue;
        };
        let of_failed_test = || {
            field(event, "Package")
                .zip(field(event, "Test"))
                .is_some_and(|key| failed.contains(&key))
        };
        let is_verdict = field(event, "Test").is_none() && p.package_fail.is_match(output);
        if is_verdict || (p.message.is_match(output) && of_failed_test()) {
            out.push((number, output_of(event).unwrap_or(event)));
        }
    }
    out.sort_by_key(|&(number, _)| number);
    out.dedup_by_key(|&mut (number, _)| number);
    out
}

/// The `Output` of an `output` event, without its closing `\n` escape; `None` for any other
/// line or an empty output.
fn output_of(line: &str) -> Option<&str> {
    if !line.starts_with('{') || !line.contains(r#""Action":"output""#) {
        return None;
    }
    let output = field(line, "Output")?;
    let output = output.strip_suffix("\\n").unwrap_or(output);
    (!output.trim().is_empty()).then_some(output)
}

/// The raw (still JSON-escaped) string value of `"name":"…"` in `event`, or `None`.
fn field<'a>(event: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\":\"");
    let start = event.find(&key)? + key.len();
    let rest = event.get(start..)?;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return rest.get(..i),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Vec<usize> {
        add(text, Vec::new()).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn a_failed_tests_messages_and_its_packages_verdict_are_highlights() {
        let log = [
            r#"{"Action":"run","Package":"p","Test":"TestA"}"#,
            r#"{"Action":"output","Package":"p","Test":"TestA","Output":"    TestA: a_test.go:29: failed the first\n"}"#,
            r#"{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:12: just a log line\n"}"#,
            r#"{"Action":"pass","Package":"p","Test":"TestB"}"#,
            r#"{"Action":"fail","Package":"p","Test":"TestA"}"#,
            r#"{"Action":"output","Package":"p","Output":"FAIL\tp\t0.026s\n"}"#,
            r#"{"Action":"fail","Package":"p"}"#,
        ]
        .join("\n");
        assert_eq!(numbers(&log), [2, 6]);
        let texts: Vec<&str> = add(&log, Vec::new()).into_iter().map(|(_, t)| t).collect();
        assert_eq!(
            texts,
            [
                "    TestA: a_test.go:29: failed the first",
                "FAIL\\tp\\t0.026s"
            ]
        );
        // The same test name in another package is another test.
        let other = log.replace(
            r#""Package":"p","Test":"TestA","Output""#,
            r#""Package":"q","Test":"TestA","Output""#,
        );
        assert_eq!(numbers(&other), [6]);
        // No failed event: nothing, and the lines given come back as they were.
        assert_eq!(add("x_test.go:1: y\n", vec![(1, "x")]), vec![(1, "x")]);
    }

    #[test]
    fn a_field_ends_at_its_first_unescaped_quote() {
        assert_eq!(
            field(r#"{"Output":"a \"b\" c\\","X":"y"}"#, "Output"),
            Some(r#"a \"b\" c\\"#)
        );
        assert_eq!(field(r#"{"Output":"open"#, "Output"), None);
        assert_eq!(field(r#"{"Test":"t"}"#, "Output"), None);
    }
}
