//! Lines a highlight brings with it: a line that only announces what follows (or what came
//! before) is no diagnosis on its own.
//!
//! - a Rust panic's location (`thread 'x' panicked at src/lib.rs:113:14:`) brings the message on
//!   the lines after it (up to [`MESSAGE_LINES`], to a blank line or a `note:`);
//! - a heading (`Failures:`, `Errors:`, `failures:`) brings the indented or bulleted items under
//!   it (up to [`HEADING_ITEMS`]).
//!
//! An `exit code` line does not bring the line above it: on the fixture logs that line was a
//! closing parenthesis, a progress line or a `^^^` marker more often than what exited, and a
//! highlight that points the wrong way is worse than none.
//!
//! Invariants: only lines of the text are added, with their own line numbers; the result is in
//! increasing line order with each line once; a text with neither kind of line is returned
//! unchanged without being split into lines.

use regex::Regex;
use std::sync::LazyLock;

/// Lines of a panic message kept after its location.
const MESSAGE_LINES: usize = 3;
/// Items kept under a heading.
const HEADING_ITEMS: usize = 8;

struct Patterns {
    panic_header: Regex,
    heading: Regex,
    item: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    Some(Patterns {
        panic_header: Regex::new(r"panicked at [^ \t]+:[0-9]+:[0-9]+:[ \t]*$").ok()?,
        heading: Regex::new(
            r"^[ \t]*(?:Failures|Errors|Failed tests|Failing tests|failures)[ \t]*:[ \t]*$",
        )
        .ok()?,
        item: Regex::new(r"^(?:[ \t]+[^ \t]|[ \t]*(?:[-*•]|[0-9]{1,3}[.)])[ \t])").ok()?,
    })
});

/// `lines` (`(line number, line)`, picked by the rules, in order) with their companions.
pub(crate) fn add<'a>(text: &'a str, lines: Vec<(usize, &'a str)>) -> Vec<(usize, &'a str)> {
    let Some(p) = PATTERNS.as_ref() else {
        return lines;
    };
    let wants = |line: &str| p.panic_header.is_match(line) || p.heading.is_match(line);
    if !lines.iter().any(|&(_, line)| wants(line)) {
        return lines;
    }
    let all: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let line_at = |number: usize| all.get(number.wrapping_sub(1)).copied();
    let mut out = lines.clone();
    for &(number, line) in &lines {
        if p.panic_header.is_match(line) {
            for next in (number + 1..).take(MESSAGE_LINES) {
                match line_at(next) {
                    Some(l) if !l.trim().is_empty() && !l.trim_start().starts_with("note:") => {
                        out.push((next, l));
                    }
                    _ => break,
                }
            }
        } else if p.heading.is_match(line) {
            for next in (number + 1..).take(HEADING_ITEMS) {
                match line_at(next) {
                    Some(l) if p.item.is_match(l) => out.push((next, l)),
                    _ => break,
                }
            }
        }
    }
    out.sort_by_key(|&(number, _)| number);
    out.dedup_by_key(|&mut (number, _)| number);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str, picked: &[usize]) -> Vec<usize> {
        let all: Vec<&str> = text.split('\n').collect();
        let lines = picked
            .iter()
            .map(|&n| (n, all.get(n - 1).copied().unwrap_or_default()))
            .collect();
        add(text, lines).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn a_panic_brings_its_message_and_a_heading_its_items() {
        let panic = "thread 'main' panicked at build.rs:113:14:\ncalled `Result::unwrap()` on an `Err` value: pkg-config\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(numbers(panic, &[1]), [1, 2]);
        let heading =
            "Failures:\n  - module_systems/python.py (exit=1)\n  - other.py (exit=2)\nSummary\n";
        assert_eq!(numbers(heading, &[1]), [1, 2, 3]);
        let exit = "                )\nError: Process completed with exit code 127.\n";
        assert_eq!(numbers(exit, &[2]), [2]);
        assert_eq!(numbers("error: x\nmore\n", &[1]), [1]);
    }
}
