//! Failure highlights: the lines of a whole posted log that say why the step failed, kept with
//! the row even when they sit far above the stored tail.

mod companions;
mod go_json;
mod matcher;
mod prefix;
mod rules;

pub use matcher::{MatcherPattern, ProblemMatcher};

use crate::error::{Error, Result};
use crate::ingest::truncate::line_around;
use crate::model::Highlight;
use aho_corasick::{AhoCorasick, Input, MatchKind};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Longest highlight text kept, in bytes; a longer line keeps its start (where the message is).
pub const MAX_HIGHLIGHT_LINE_BYTES: usize = 512;

/// Cache of the lazy DFA that runs the combined rules, per thread using it. With regex's
/// default (2 MiB) the cache filled and was rebuilt over and over on real logs, which made
/// highlighting most of the ingest pipeline's time (≈ 7× slower on the fixture corpus); 8 MiB
/// lets it settle (more gained nothing).
const RULES_DFA_BYTES: usize = 8 << 20;

/// The built-in rules compiled once.
struct Builtin {
    rules: Regex,
    exclude: Regex,
    /// Lines kept though `exclude` matches them ([`rules::ALWAYS`]).
    always: Regex,
    /// Finds [`rules::LITERALS`] in lower-cased text: only lines holding one are searched.
    literals: AhoCorasick,
}

static BUILTIN: LazyLock<Option<Builtin>> = LazyLock::new(|| {
    Some(Builtin {
        rules: regex::RegexBuilder::new(&rules::combined())
            .dfa_size_limit(RULES_DFA_BYTES)
            .build()
            .ok()?,
        exclude: Regex::new(&format!("(?m){}", rules::EXCLUDE)).ok()?,
        always: Regex::new(rules::ALWAYS).ok()?,
        literals: AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(rules::LITERALS)
            .ok()?,
    })
});

/// Finds the failure lines of `text` with the built-in rules. See [`Highlighter::find`].
///
/// ```
/// let log = "running 3 tests\ntest parse ... ok\ntest emit ... FAILED\n\
///            thread 'emit' panicked at src/lib.rs:9:5:\n  left: 1\n right: 2\n\
///            test result: FAILED. 2 passed; 1 failed\n";
/// let found: Vec<_> = citail::find_highlights(log, 20, 4096).into_iter().map(|h| h.line).collect();
/// assert_eq!(found, [3, 4, 5, 6, 7]);
/// ```
#[must_use]
pub fn find_highlights(text: &str, max_lines: usize, max_bytes: usize) -> Vec<Highlight> {
    Highlighter::builtin().find(text, max_lines, max_bytes)
}

/// The highlight rules: the built-in ones plus any problem matchers.
#[derive(Debug, Clone, Default)]
pub struct Highlighter {
    matchers: Vec<matcher::Compiled>,
}

impl Highlighter {
    /// The built-in rules only.
    ///
    /// ```
    /// assert!(citail::Highlighter::builtin().find("all good\n", 20, 4096).is_empty());
    /// ```
    #[must_use]
    pub fn builtin() -> Highlighter {
        Highlighter::default()
    }

    /// The built-in rules plus `matchers`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] (`problem_matchers`) naming the first matcher whose regex does
    /// not compile or whose shape is wrong.
    ///
    /// ```
    /// let json = r#"{"problemMatcher":[{"owner":"x","pattern":[{"regexp":"^(oops)$","message":1}]}]}"#;
    /// let h = citail::Highlighter::with_matchers(&citail::ProblemMatcher::parse(json)?)?;
    /// assert_eq!(h.find("fine\noops\n", 20, 4096)[0].line, 2);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn with_matchers(matchers: &[ProblemMatcher]) -> Result<Highlighter> {
        Ok(Highlighter {
            matchers: matchers
                .iter()
                .map(matcher::Compiled::new)
                .collect::<Result<_>>()?,
        })
    }

    /// The failure lines of `text`, in log order, at most `max_lines` of them and at most
    /// `max_bytes` bytes of text in all.
    ///
    /// Guarantees:
    /// - each highlight's `text` is a line of `text` (or its first
    ///   [`MAX_HIGHLIGHT_LINE_BYTES`] bytes), less the runner prefix most of the text's lines
    ///   carry (`gh run view --log` columns, act's `[wf/job] |`, docker compose's `svc |`,
    ///   BuildKit's `#N 1.23`; see `highlight/prefix.rs`), or, for a `go test -json` output
    ///   event, its `Output` value (see `highlight/go_json.rs`); `line` is its 1-based number;
    /// - a line that only announces what follows brings those lines, bounded: a panic's location
    ///   its message, a `Failures:` heading its items, a diagnostic its location, a race report
    ///   its accesses, an `error:` its notes (see `highlight/companions.rs`);
    /// - highlights are in increasing line order, and no two have the same text: a repeated line
    ///   is one highlight whose `repeats` counts it, at its first line; lines that differ only
    ///   in their numbers or progress marks (`3 tests, 1 failure`, `pkg ··✖✖`) are one too, shown
    ///   as the latest of them, which says the most;
    /// - a line reporting a pass (`✓`, `✔`, `PASS`, `... ok`) or a warning (`warning:`,
    ///   `::warning`) is never one, whatever else it says;
    /// - over the caps, the first and the last highlights are kept (the first errors usually
    ///   name the cause, the last lines the summary), and the middle ones are dropped.
    ///
    /// Deterministic rules, no model: see `core/src/ingest/highlight/rules.rs`.
    ///
    /// ```
    /// let log = "npm ERR! 404\n".repeat(40) + "✓ passes with error handling\n";
    /// let found = citail::Highlighter::builtin().find(&log, 20, 4096);
    /// assert_eq!((found.len(), found[0].repeats), (1, 40));
    /// ```
    #[must_use]
    pub fn find(&self, text: &str, max_lines: usize, max_bytes: usize) -> Vec<Highlight> {
        let view = prefix::strip(text);
        let text: &str = &view;
        let mut lines: Vec<(usize, &str)> = Vec::new();
        if let Some(builtin) = BUILTIN.as_ref() {
            collect_builtin(builtin, text, &mut lines);
        }
        if !self.matchers.is_empty() {
            let all: Vec<&str> = text.split('\n').collect();
            for matcher in &self.matchers {
                for index in matcher.matching_lines(&all) {
                    if let Some(line) = all.get(index) {
                        lines.push((index + 1, line));
                    }
                }
            }
            lines.sort_by_key(|&(number, _)| number);
            lines.dedup_by_key(|&mut (number, _)| number);
        }
        let lines = companions::add(text, go_json::add(text, lines));
        let mut found = collapse(lines);
        // A group shown as its latest variant may now stand after a later group's first line.
        found.sort_by_key(|h| h.line);
        cap(found, max_lines, max_bytes)
    }
}

/// After this many literal hits, [`collect_builtin`] checks whether they are dense.
const DENSE_MIN_HITS: usize = 64;
/// Literal hits more often than once per this many bytes are dense.
const DENSE_HIT_BYTES: usize = 128;

/// [`collect_builtin`] from byte `from` on, with the combined rules run over the text in one
/// pass: each match's line is picked as a line search would pick it (the rules never cross a
/// line break). `counted` is `(byte, line number)` of a line start at or before `from`.
fn collect_whole<'a>(
    builtin: &Builtin,
    text: &'a str,
    from: usize,
    counted: (usize, usize),
    out: &mut Vec<(usize, &'a str)>,
) {
    let (mut counted_to, mut line_number) = counted;
    let mut at = from;
    while at <= text.len() {
        let Some(found) = builtin.rules.find_at(text, at) else {
            break;
        };
        let (start, end) = line_around(text, found.start());
        at = end + 1;
        line_number += text
            .get(counted_to..start)
            .map_or(0, |s| s.bytes().filter(|&b| b == b'\n').count());
        counted_to = start;
        let line = text.get(start..end).unwrap_or_default();
        let line = line.strip_suffix('\r').unwrap_or(line);
        if !builtin.exclude.is_match(line) || builtin.always.is_match(line) {
            out.push((line_number, line));
        }
    }
}

/// Pushes `(line number, line)` for every line the built-in rules pick, in order.
///
/// Only lines holding one of [`rules::LITERALS`] are searched, each on its own: the literal
/// search over a lower-cased copy skips most of a log at SIMD speed, where the combined rules'
/// lazy DFA walks every byte. Rules never match across a line break, and the search sees the
/// text before the line, so each line is judged as a whole-text search would judge it.
fn collect_builtin<'a>(builtin: &Builtin, text: &'a str, out: &mut Vec<(usize, &'a str)>) {
    let lower = text.to_ascii_lowercase();
    let haystack = lower.as_bytes();
    let mut counted_to = 0;
    let mut line_number = 1;
    let mut at = 0;
    let mut hits = 0usize;
    while at < haystack.len() {
        hits += 1;
        if hits > DENSE_MIN_HITS && hits.saturating_mul(DENSE_HIT_BYTES) > at {
            // A literal on most lines: one pass of the rules over the rest costs less than a
            // search started on each line, and finds the same lines.
            collect_whole(builtin, text, at, (counted_to, line_number), out);
            return;
        }
        let found = match builtin
            .literals
            .find(Input::new(haystack).span(at..haystack.len()))
        {
            Some(found) => found.start(),
            // `×` ending the text: `rules::LITERALS` spells it with what follows it.
            None if text.ends_with('×') => text.len() - '×'.len_utf8(),
            None => break,
        };
        let (start, end) = line_around(text, found);
        at = end + 1;
        let Some(searched) = text.get(..end) else {
            break;
        };
        if !builtin.rules.is_match_at(searched, start) {
            continue;
        }
        line_number += text
            .get(counted_to..start)
            .map_or(0, |s| s.bytes().filter(|&b| b == b'\n').count());
        counted_to = start;
        let line = searched.get(start..).unwrap_or_default();
        let line = line.strip_suffix('\r').unwrap_or(line);
        if !builtin.exclude.is_match(line) || builtin.always.is_match(line) {
            out.push((line_number, line));
        }
    }
}

/// One highlight per distinct line text, at its first occurrence, counting repeats. Lines that
/// differ only in their digits and progress marks (`3 tests, 1 failure` and `4 tests, 1
/// failure`) count as one, shown as the latest variant: a counter's last value says the most.
fn collapse(lines: Vec<(usize, &str)>) -> Vec<Highlight> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Highlight> = Vec::new();
    for (number, line) in lines {
        let text = clip(line.trim_end());
        let key = without_counters(text);
        if let Some(&index) = seen.get(&key) {
            if let Some(h) = out.get_mut(index) {
                h.repeats = h.repeats.saturating_add(1);
                if h.text != text {
                    text.clone_into(&mut h.text);
                    h.line = u64::try_from(number).unwrap_or(u64::MAX);
                }
            }
            continue;
        }
        seen.insert(key, out.len());
        out.push(Highlight {
            line: u64::try_from(number).unwrap_or(u64::MAX),
            text: text.to_owned(),
            repeats: 1,
        });
    }
    out
}

/// `text` with every run of ASCII digits and progress marks (`·✖↷✓✔`) as one `#`, except the
/// numbers of a source position (`race_test.go:9`, `lib.rs:113:14`): two lines that point at
/// different places are different lines, however alike the rest of them is.
fn without_counters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    // Whether the current whitespace-delimited token has a `.` (a file name), and whether the
    // digits being read follow `<file>:` (a position, kept as they are).
    let mut token_has_dot = false;
    let mut position = false;
    let mut previous = ' ';
    for c in text.chars() {
        if c.is_ascii_digit() && (position || (previous == ':' && token_has_dot)) {
            position = true;
            out.push(c);
        } else if c.is_ascii_digit() || matches!(c, '·' | '✖' | '↷' | '✓' | '✔') {
            position = false;
            if !in_run {
                out.push('#');
            }
            in_run = true;
        } else {
            position = false;
            out.push(c);
            in_run = false;
        }
        if c.is_whitespace() {
            token_has_dot = false;
        } else if c == '.' {
            token_has_dot = true;
        }
        previous = c;
    }
    out
}

/// The first [`MAX_HIGHLIGHT_LINE_BYTES`] bytes of `line`, on a character boundary.
pub(crate) fn clip(line: &str) -> &str {
    if line.len() <= MAX_HIGHLIGHT_LINE_BYTES {
        return line;
    }
    let mut end = MAX_HIGHLIGHT_LINE_BYTES;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line.get(..end).unwrap_or_default()
}

/// Keeps highlights from both ends, alternately, while both caps hold; returns them in order.
/// A side stops at its first highlight that does not fit.
pub(crate) fn cap(found: Vec<Highlight>, max_lines: usize, max_bytes: usize) -> Vec<Highlight> {
    let total: usize = found.iter().map(|h| h.text.len()).sum();
    if found.len() <= max_lines && total <= max_bytes {
        return found;
    }
    let mut keep = vec![false; found.len()];
    let (mut front, mut back) = (0, found.len()); // candidates are front..back
    let (mut count, mut bytes) = (0, 0);
    let (mut front_open, mut back_open) = (true, true);
    let mut take_front = true;
    while front < back && (front_open || back_open) {
        let use_front = if take_front { front_open } else { !back_open };
        take_front = !take_front;
        let index = if use_front { front } else { back - 1 };
        let Some(len) = found.get(index).map(|h| h.text.len()) else {
            break;
        };
        if count < max_lines && bytes + len <= max_bytes {
            count += 1;
            bytes += len;
            if let Some(k) = keep.get_mut(index) {
                *k = true;
            }
            if use_front {
                front += 1;
            } else {
                back -= 1;
            }
        } else if use_front {
            front_open = false;
        } else {
            back_open = false;
        }
    }
    found
        .into_iter()
        .zip(keep)
        .filter_map(|(h, k)| k.then_some(h))
        .collect()
}

pub(crate) fn invalid_matcher(owner: &str, reason: impl std::fmt::Display) -> Error {
    Error::InvalidOption {
        option: "problem_matchers",
        reason: format!("matcher {owner:?}: {reason}"),
    }
}

#[cfg(test)]
mod tests;
