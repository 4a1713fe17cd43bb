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

/// Lines of the tail read when a step has no highlight.
const TAIL_LINES: usize = 8;

/// Non-blank lines at the end of the tail looked at for those [`TAIL_LINES`]: a tail of short
/// or generic lines is not masked whole.
const TAIL_SCAN_LINES: usize = 16;

/// A masked line shorter than this names nothing (`}`, `#`, `<dur>`).
const MIN_SPECIFIC_BYTES: usize = 8;

/// What a re-run varies, in one pass (ASCII word boundaries and classes: a Unicode `\b` keeps
/// regex's DFA off any line with a non-ASCII character, and CI logs are full of `✓` and `×`): at each position the first alternative that matches
/// wins, so a timestamp is one `<time>`, not three numbers, and a temporary path is masked
/// whole before the absolute-path rule keeps the end of other paths. Absolute paths are of four
/// or more components (Unix) or three or more folders (Windows); one that continues a word or a
/// relative path (the character before it is a word character, `.`, `~`, `/` or `-`) is left as
/// it is.
static MASK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          (?P<tmp>(?:/tmp|/var/folders|/private/var|/var/tmp|/dev/shm)/\S*|(?i:[a-z]:\\\S*\\Temp\\\S*))
        | (?P<path>(?:/[[0-9A-Za-z_].@+~-]+){4,}|[A-Za-z]:(?:\\[[0-9A-Za-z_].@+~-]+){3,})
        | (?P<time>[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T\ ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?
                  |(?-u:\b)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?(?-u:\b))
        | (?P<uuid>(?i:(?-u:\b)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?-u:\b)))
        | (?P<hex0x>(?i:(?-u:\b)0x[0-9a-f]+(?-u:\b)))
        | (?P<email>(?-u:\b)[[0-9A-Za-z_].+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?-u:\b))
        | (?P<ip>(?-u:\b)[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?::[0-9]+)?(?-u:\b))
        | (?P<dur>(?i:(?-u:\b)[0-9]+(?:\.[0-9]+)?\ ?(?:ns|µs|us|ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)(?-u:\b)))
        | (?P<hex>(?i:(?-u:\b)[0-9a-f]{7,}(?-u:\b)))
        ",
    )
    .unwrap_or_else(|e| panic!("masks: {e}"))
});

/// Words every [`GENERIC`] verdict holds one of (any case): a line with none is not one, and
/// skips the regex.
static GENERIC_WORDS: LazyLock<Option<aho_corasick::AhoCorasick>> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["exit", "make", "error", "npm", "fail", "lifecycle"])
        .ok()
});

/// Generic verdicts: they say that a step failed, not why.
static GENERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        process\ completed\ with\ exit\ code
        | ^\#\#\[error\]\s*$
        | (?-u:\b)exit(?:ed)?\ (?:code|status)(?-u:\b)[\s:=]*\#?\s*$
        | ^(?:g?make(?:\[\#\])?:\ \*\*\*.*(?-u:\b)error(?-u:\b))
        | ^error:\ (?:test\ failed|could\ not\ compile|recipe\ .*\ failed|script\ .*\ exited)
        | ^npm\ (?:err!|error)\ (?:code|errno|lifecycle|a\ complete\ log|command\ failed|path|workspace|location)
        | ^(?:job|build|step)\ failed(?-u:\b)
        | ^finished:\ failure
        | ^test\ result:\ failed
        | ^failures:$
        | ^error:\ process\ completed
        | ^\#\#\[error\]process
        | ^error:\ the\ process
        | ^elifecycle(?-u:\b)
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
            .filter(|l| !l.trim().is_empty())
            .take(TAIL_SCAN_LINES)
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
        && !(GENERIC_WORDS
            .as_ref()
            .is_none_or(|words| words.is_match(masked))
            && GENERIC.is_match(masked))
}

/// A line with what a re-run varies masked, whitespace runs made one space.
pub(crate) fn mask_line(line: &str) -> String {
    let line = line.trim();
    // Every mask needs a digit, a path separator or an `@`: most lines have none of them and
    // skip the regex.
    if !line
        .bytes()
        .any(|b| b.is_ascii_digit() || matches!(b, b'/' | b'\\' | b'@'))
    {
        return mask_numbers(line);
    }
    // `find_iter`, not captures: the kind of each match is told from its text (see `kind_of`),
    // which costs a fraction of resolving capture groups.
    let mut masked = String::with_capacity(line.len());
    let mut last = 0;
    for found in MASK.find_iter(line) {
        masked.push_str(line.get(last..found.start()).unwrap_or_default());
        let text = found.as_str();
        match kind_of(text) {
            Kind::Path => {
                let before = line
                    .get(..found.start())
                    .and_then(|b| b.chars().next_back());
                if before.is_some_and(|c| {
                    c.is_alphanumeric() || matches!(c, '_' | '.' | '~' | '/' | '-')
                }) {
                    masked.push_str(text);
                } else {
                    let parts: Vec<&str> =
                        text.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
                    let kept = parts
                        .get(parts.len().saturating_sub(3)..)
                        .unwrap_or_default();
                    masked.push('…');
                    for part in kept {
                        masked.push('/');
                        masked.push_str(part);
                    }
                }
            }
            Kind::Masked(placeholder) => masked.push_str(placeholder),
            Kind::Kept => masked.push_str(text),
        }
        last = found.end();
    }
    masked.push_str(line.get(last..).unwrap_or_default());
    mask_numbers(&masked)
}

/// What a [`MASK`] match is, told from its text in the order of the pattern's alternatives.
enum Kind {
    Path,
    Masked(&'static str),
    Kept,
}

fn kind_of(text: &str) -> Kind {
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    if [
        "/tmp/",
        "/var/folders/",
        "/private/var/",
        "/var/tmp/",
        "/dev/shm/",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
        || lower.contains("\\temp\\")
    {
        return Kind::Masked("<tmp>");
    }
    if bytes.first() == Some(&b'/') || bytes.get(1..3) == Some(b":\\".as_slice()) {
        return Kind::Path;
    }
    if text.contains('@') {
        return Kind::Masked("<email>");
    }
    if lower.starts_with("0x") {
        return Kind::Masked("<hex>");
    }
    let dash_at = |i: usize| bytes.get(i) == Some(&b'-');
    if bytes.len() == 36 && dash_at(8) && dash_at(13) && dash_at(18) && dash_at(23) {
        return Kind::Masked("<uuid>");
    }
    let numeric = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let host = text.split(':').next().unwrap_or_default();
    if host.bytes().filter(|&b| b == b'.').count() == 3 && numeric(host) {
        return Kind::Masked("<ip>");
    }
    if text.contains(':') || (dash_at(4) && dash_at(7)) {
        return Kind::Masked("<time>");
    }
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ' '))
        .unwrap_or(text.len());
    if digits_end > 0 && digits_end < text.len() && bytes.first().is_some_and(u8::is_ascii_digit) {
        let unit = lower.get(digits_end..).unwrap_or_default();
        if DURATION_UNITS.contains(&unit) {
            return Kind::Masked("<dur>");
        }
    }
    // A hex word: a SHA or an address has digits and letters; an all-digit run is a number
    // (masked below), an all-letter one a word (`defaced`).
    if bytes.iter().any(u8::is_ascii_digit) && bytes.iter().any(u8::is_ascii_alphabetic) {
        Kind::Masked("<hex>")
    } else {
        Kind::Kept
    }
}

/// The units of the `dur` alternative of [`MASK`].
const DURATION_UNITS: [&str; 17] = [
    "ns", "µs", "us", "ms", "s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute",
    "minutes", "h", "hour", "hours",
];

/// Standalone numbers (`42`, `3.14`) become `#`; digits inside a word (`test_3`, `E0425`, `v2`,
/// `64bit`) stay. Whitespace runs become one space; the result is trimmed. A byte loop: ASCII
/// digits, letters and whitespace decide everything, and every other byte (UTF-8 included) is
/// copied as it is.
fn mask_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    // Whether the character ending before (starting at) byte `at` is part of a word; a
    // non-ASCII one is decoded (`é3` is a word, `✓ 3` and `×3` are not).
    let word_before = |at: usize| match at.checked_sub(1).and_then(|p| bytes.get(p)) {
        None => false,
        Some(&p) if p < 0x80 => p.is_ascii_alphanumeric() || p == b'_',
        Some(_) => text
            .get(..at)
            .and_then(|t| t.chars().next_back())
            .is_some_and(is_word_char),
    };
    let word_at = |at: usize| match bytes.get(at) {
        None => false,
        Some(&n) if n < 0x80 => n.is_ascii_alphanumeric() || n == b'_',
        Some(_) => text
            .get(at..)
            .and_then(|t| t.chars().next())
            .is_some_and(is_word_char),
    };
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_digit() && !word_before(i) {
            let mut end = i;
            while bytes
                .get(end)
                .is_some_and(|&d| d.is_ascii_digit() || d == b'.')
            {
                end += 1;
            }
            // A trailing `.` ends a sentence, not the number.
            while end > i + 1 && bytes.get(end - 1) == Some(&b'.') {
                end -= 1;
            }
            if word_at(end) {
                // `3rd`, `64bit`: part of a word, kept as written.
                out.extend_from_slice(bytes.get(i..end).unwrap_or_default());
            } else {
                out.push(b'#');
            }
            i = end;
            continue;
        }
        if b.is_ascii_whitespace() {
            if out.last().is_some_and(|&l| l != b' ') {
                out.push(b' ');
            }
        } else {
            out.push(b);
        }
        i += 1;
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    // Only ASCII bytes were added or dropped, at ASCII positions: the UTF-8 stays whole.
    String::from_utf8(out).unwrap_or_default()
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
