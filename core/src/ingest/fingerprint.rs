//! A failed step's fingerprint: what stays the same when the same failure happens again.
//!
//! Two failures are the same when the same step fails on the same lines once what a re-run
//! varies is masked. The lines are the step's specific highlights — lines that name a test, a
//! file, an error code or a message — or, when it has none, the last non-blank lines of its
//! stored tail. Generic verdicts (`Process completed with exit code 1`, `make: *** … Error 2`,
//! `error: test failed`, `npm ERR! code ELIFECYCLE`) name no cause and are left out: two
//! different failures share them, and "the same failure" must never be said of two different
//! ones. When nothing specific remains there is no fingerprint.
//!
//! Masked ([`mask_line`]): dates and times, durations, UUIDs, hex runs of 7+ digits (SHAs,
//! addresses, ids), e-mail addresses, IPv4 addresses, temporary paths, the machine-specific start of absolute
//! paths (the last three components stay), and every standalone number (counts, line numbers,
//! ports, PIDs). Kept: words, identifiers with digits in them (`test_case_3`, `E0425`, `TS2304`),
//! error codes, messages, relative paths, `[REDACTED:…]` placeholders. Lines are then sorted
//! and deduplicated, so tests reported in another order still match.
//!
//! The fingerprint is `v1:` and 16 hex digits: FNV-1a (64-bit) over the version, the step name
//! (masked) and the masked lines. The hash and the rules are fixed for a version: a change to
//! either starts `v2:`, and rows keep the fingerprint they were stored with, so history is never
//! split silently — a `v2` failure and a `v1` one are not compared (docs/memory.md).
//!
//! Invariants: a pure function of the step name, the highlights and the tail; the same inputs
//! give the same string on every platform and build.

use crate::model::Highlight;
use regex::Regex;
use std::sync::LazyLock;

/// The version prefix of every fingerprint this build computes.
pub const FINGERPRINT_VERSION: &str = "v1";

/// Lines of the tail read when a step has no specific highlight.
const TAIL_LINES: usize = 12;

/// A masked line shorter than this names nothing (`}`, `#`, `<dur>`).
const MIN_SPECIFIC_BYTES: usize = 8;

/// What a re-run varies, in the order the masks apply (earlier masks protect their text from
/// later ones: a timestamp is one `<time>`, not three numbers).
static MASKS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let rule = |pattern: &str, replacement: &'static str| {
        (
            Regex::new(pattern).unwrap_or_else(|e| panic!("mask {pattern}: {e}")),
            replacement,
        )
    };
    vec![
        rule(
            r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
            "<time>",
        ),
        rule(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b", "<time>"),
        rule(
            r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "<uuid>",
        ),
        rule(r"(?i)\b0x[0-9a-f]+\b", "<hex>"),
        rule(r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b", "<email>"),
        rule(r"(?i)\b[0-9a-f]{7,}\b", "<hexword>"),
        rule(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "<ip>"),
        rule(
            r"(?i)\b\d+(?:\.\d+)?\s?(?:ns|µs|us|ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b",
            "<dur>",
        ),
    ]
});

/// Temporary paths, masked whole before the absolute-path rule keeps the end of other paths.
static TEMPORARY_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:/tmp|/var/folders|/private/var|/var/tmp|/dev/shm)/\S*|(?i)[a-z]:\\\S*\\Temp\\\S*",
    )
    .unwrap_or_else(|e| panic!("temporary path: {e}"))
});

/// Absolute paths of four or more components (Unix) or three or more folders (Windows): the
/// machine-specific start goes, the last three components stay. Group 1 is what precedes the
/// path (it must not be part of a word or a relative path), group 2 the path.
static ABSOLUTE_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[^\w.~/-])((?:/[\w.@+~-]+){4,}|[A-Za-z]:(?:\\[\w.@+~-]+){3,})")
        .unwrap_or_else(|e| panic!("absolute path: {e}"))
});

/// Generic verdicts: they say that a step failed, not why.
static GENERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        process\ completed\ with\ exit\ code
        | ^\#\#\[error\]\s*$
        | \bexit(?:ed)?\ (?:code|status)\b[\s:=]*\#?\s*$
        | ^(?:g?make(?:\[\#\])?:\ \*\*\*.*\berror\b)
        | ^error:\ (?:test\ failed|could\ not\ compile|recipe\ .*\ failed|script\ .*\ exited)
        | ^npm\ (?:err!|error)\ (?:code|errno|lifecycle|a\ complete\ log|command\ failed|path|workspace|location)
        | ^(?:job|build|step)\ failed\b
        | ^finished:\ failure
        | ^test\ result:\ failed
        | ^failures:$
        | ^error:\ process\ completed
        | ^\#\#\[error\]process
        | ^error:\ the\ process
        | ^elifecycle\b
        ",
    )
    .unwrap_or_else(|e| panic!("generic verdicts: {e}"))
});

/// The fingerprint of a failed step, or `None` when nothing specific names its failure.
///
/// ```
/// use citail::{fingerprint, Highlight};
/// let line = |line: u64, text: &str| Highlight { line, text: text.to_owned(), repeats: 1 };
/// let first = [line(12, "--- FAIL: TestParse (0.03s)"), line(13, "parse_test.go:41: want 3, got 4")];
/// let rerun = [line(15, "--- FAIL: TestParse (0.12s)"), line(16, "parse_test.go:44: want 3, got 4")];
/// let other = [line(12, "--- FAIL: TestFormat (0.03s)")];
/// let fp = fingerprint("test", &first, "");
/// assert_eq!(fp, fingerprint("test", &rerun, ""));
/// assert_ne!(fp, fingerprint("test", &other, ""));
/// assert!(fp.unwrap().starts_with("v1:"));
/// // A generic verdict alone names no cause.
/// assert_eq!(fingerprint("test", &[line(9, "##[error]Process completed with exit code 1.")], ""), None);
/// ```
pub fn fingerprint(step_name: &str, highlights: &[Highlight], tail: &str) -> Option<String> {
    let mut lines: Vec<String> = highlights
        .iter()
        .map(|h| mask_line(&h.text))
        .filter(|l| is_specific(l))
        .collect();
    if lines.is_empty() && highlights.is_empty() {
        lines = tail
            .lines()
            .rev()
            .map(mask_line)
            .filter(|l| is_specific(l))
            .take(TAIL_LINES)
            .collect();
    }
    if lines.is_empty() {
        return None;
    }
    lines.sort_unstable();
    lines.dedup();
    let mut hash = Fnv1a::new();
    hash.write(FINGERPRINT_VERSION.as_bytes());
    hash.write(&[0]);
    hash.write(mask_line(step_name).as_bytes());
    for line in &lines {
        hash.write(&[0]);
        hash.write(line.as_bytes());
    }
    Some(format!("{FINGERPRINT_VERSION}:{:016x}", hash.finish()))
}

fn is_specific(masked: &str) -> bool {
    masked.len() >= MIN_SPECIFIC_BYTES
        && masked.chars().any(char::is_alphabetic)
        && !GENERIC.is_match(masked)
}

/// A line with what a re-run varies masked, whitespace runs made one space.
pub(crate) fn mask_line(line: &str) -> String {
    let text = TEMPORARY_PATH.replace_all(line.trim(), "<tmp>");
    let mut text = ABSOLUTE_PATH
        .replace_all(&text, |caps: &regex::Captures<'_>| {
            let lead = caps.get(1).map_or("", |m| m.as_str());
            let path = caps.get(2).map_or("", |m| m.as_str());
            let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
            let kept = parts
                .get(parts.len().saturating_sub(3)..)
                .unwrap_or_default();
            format!("{lead}…/{}", kept.join("/"))
        })
        .into_owned();
    for (pattern, replacement) in MASKS.iter() {
        text = if *replacement == "<hexword>" {
            // A SHA or an address has digits and letters; an all-digit run is a number (masked
            // below), an all-letter one a word (`defaced`).
            pattern
                .replace_all(&text, |caps: &regex::Captures<'_>| {
                    let word = caps.get(0).map_or("", |m| m.as_str());
                    let digits = word.bytes().any(|b| b.is_ascii_digit());
                    let letters = word.bytes().any(|b| b.is_ascii_alphabetic());
                    if digits && letters {
                        "<hex>".to_owned()
                    } else {
                        word.to_owned()
                    }
                })
                .into_owned()
        } else {
            pattern.replace_all(&text, *replacement).into_owned()
        };
    }
    mask_numbers(&text)
}

/// Standalone numbers (`42`, `3.14`) become `#`; digits inside a word (`test_3`, `E0425`, `v2`,
/// `64bit`) stay. Whitespace runs become one space.
fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous: Option<char> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() && !previous.is_some_and(is_word_char) {
            let run = rest
                .find(|d: char| !(d.is_ascii_digit() || d == '.'))
                .unwrap_or(rest.len());
            let number = rest.get(..run).unwrap_or(rest).trim_end_matches('.');
            let after = rest.get(number.len()..).unwrap_or_default();
            if after.chars().next().is_some_and(is_word_char) {
                out.push_str(number);
                previous = number.chars().last();
            } else {
                out.push('#');
                previous = Some('#');
            }
            rest = after;
            continue;
        }
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        previous = Some(c);
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    out.trim().to_owned()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// FNV-1a, 64-bit: small, fixed and the same everywhere (std's hasher is not stable across
/// releases, and a fingerprint must be).
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests;
