//! Once, not twice: the highlights that the shown end of a log already holds.
//!
//! A highlight is printed above the tail so the agent reads the cause first. When the tail
//! shown below holds the same line, printing it twice spends the budget on repetition; instead
//! the line is marked in the tail (`▶ L812: ` in front of it) and named by number above.
//!
//! Invariants:
//! - a line is marked only when it is the line at the highlight's number (counted back from the
//!   row's `original_lines`, the number of the stored tail's last line) and it holds the
//!   highlight's text, so a mark never points at the wrong line, even for rows whose numbers
//!   do not add up (rows passed to the JS renderer by hand);
//! - only highlights that stand for one line (`repeats == 1`) are marked: a `(×N)` highlight
//!   says something no single tail line does;
//! - removing every mark from a marked tail gives the tail back.

use crate::ingest::truncate::count_lines;
use crate::model::CiLog;
use crate::model::Highlight;
use std::fmt::Write as _;

/// What goes in front of a marked line, before its number.
const MARK: &str = "▶ L";

/// The line numbers marked in one shown tail, in increasing order.
#[derive(Debug, Default)]
pub(super) struct Marks {
    lines: Vec<u64>,
    /// Number of the shown tail's first line.
    first_line: u64,
}

impl Marks {
    /// Nothing marked.
    pub(super) fn none() -> Marks {
        Marks::default()
    }

    /// The `highlights` of `log` that `shown` (a suffix of its stored tail) holds.
    pub(super) fn find(log: &CiLog, highlights: &[Highlight], shown: &str) -> Marks {
        let count = count_lines(shown) as u64;
        let Some(first_line) = (log.original_lines as u64)
            .checked_add(1)
            .and_then(|n| n.checked_sub(count))
            .filter(|&n| n >= 1)
        else {
            return Marks::none();
        };
        let in_range = |h: &&Highlight| {
            h.repeats == 1
                && h.line >= first_line
                && h.line < first_line + count
                && !h.text.trim().is_empty()
        };
        if !highlights.iter().any(|h| in_range(&h)) {
            return Marks::none();
        }
        let lines: Vec<&str> = shown.split('\n').collect();
        let mut marked: Vec<u64> = highlights
            .iter()
            .filter(in_range)
            .filter(|h| {
                usize::try_from(h.line - first_line)
                    .ok()
                    .and_then(|i| lines.get(i))
                    .is_some_and(|line| line.contains(h.text.as_str()))
            })
            .map(|h| h.line)
            .collect();
        marked.sort_unstable();
        marked.dedup();
        Marks {
            lines: marked,
            first_line,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether line `line` is marked.
    pub(super) fn holds(&self, line: u64) -> bool {
        self.lines.binary_search(&line).is_ok()
    }

    /// `L221, L223, L230`.
    pub(super) fn numbers(&self) -> String {
        let mut out = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let _ = write!(out, "{sep}L{line}");
        }
        out
    }

    /// Bytes the marks add to a tail (an upper bound).
    pub(super) fn bytes(&self) -> usize {
        self.lines.len() * (MARK.len() + 22)
    }

    /// Appends `shown` to `out`, each marked line preceded by `▶ L<line>: `.
    pub(super) fn write_marked(&self, out: &mut String, shown: &str) {
        if self.lines.is_empty() {
            out.push_str(shown);
            return;
        }
        for (number, line) in (self.first_line..).zip(shown.split_inclusive('\n')) {
            if self.holds(number) {
                let _ = write!(out, "{MARK}{number}: ");
            }
            out.push_str(line);
        }
    }
}
