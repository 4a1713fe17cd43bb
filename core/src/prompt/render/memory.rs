//! The lines a step's section and the block's heading carry from failure memory and from the
//! post's optional fields: what the step ran, and what the store remembers of its failure.
//!
//! Invariant: a line states only what the history holds (a [`FailureHistory`] from the
//! fingerprint index); no history, or a row without a fingerprint, adds nothing. Commits are
//! named by their first 7 hex digits, times as UTC minutes.

use super::{inline_code, longest_backtick_run, visible};
use crate::model::{CiLog, FailureHistory, SeenOn};
use std::fmt::Write as _;

/// A command shown whole on one line up to this many bytes; longer or multi-line ones go in a
/// fence.
const INLINE_COMMAND_BYTES: usize = 160;
/// Lines of a long command shown.
const COMMAND_LINES: usize = 8;
/// Bytes of a long command shown.
const COMMAND_BYTES: usize = 1024;

/// `Ran: `cmd`` or the command's first lines in a fence; `""` without a command.
pub(super) fn command_lines(log: &CiLog) -> String {
    let Some(command) = log.command.as_deref().map(str::trim_end) else {
        return String::new();
    };
    if command.is_empty() {
        return String::new();
    }
    if !command.contains('\n') && command.len() <= INLINE_COMMAND_BYTES {
        return format!("\nRan: {}\n", inline_code(command.trim()));
    }
    let total = command.lines().count();
    let mut shown = String::new();
    for line in command.lines().take(COMMAND_LINES) {
        if shown.len() + line.len() > COMMAND_BYTES {
            break;
        }
        shown.push_str(&visible(line, true));
        shown.push('\n');
    }
    let lines = shown.lines().count();
    let fence = "`".repeat((longest_backtick_run(&shown) + 1).max(3));
    let label = if lines < total {
        format!("Ran (first {lines} of {total} lines):")
    } else {
        "Ran:".to_owned()
    };
    format!("\n{label}\n{fence}sh\n{shown}{fence}\n")
}

/// What "the same way" means, said once: in the summary, or in a step's line when there is no
/// summary.
const SAME_WAY: &str = "the same way: the same failure lines, times, numbers and ids aside";

/// The step's history line, or `""` when there is nothing to say; `define` adds what "the same
/// way" means (when no summary line says it).
pub(super) fn history_line(history: Option<&FailureHistory>, define: bool) -> String {
    let Some(h) = history.filter(|h| h.fingerprint.is_some()) else {
        return String::new();
    };
    if h.is_new() {
        return "\n_History: new: no other commit of this repository failed this way._\n"
            .to_owned();
    }
    let mut parts: Vec<String> = Vec::new();
    let only_the_branch = h.other_commits == 1 && h.same_branch.is_some();
    if let (true, Some(branch)) = (only_the_branch, &h.same_branch) {
        parts.push(format!(
            "this branch's earlier commit {} ({}) failed the same way: the changes since did \
             not fix it",
            short(&branch.head_sha),
            utc_minute(branch.created_at)
        ));
    } else if h.other_commits > 0 {
        let count = if h.other_commits_capped {
            format!("at least {}", h.other_commits)
        } else {
            h.other_commits.to_string()
        };
        let noun = if h.other_commits == 1 {
            "commit"
        } else {
            "commits"
        };
        let mut text = format!("the same failure on {count} other {noun}");
        match (&h.first, &h.newest) {
            (Some(first), Some(newest)) if first.head_sha != newest.head_sha => {
                let _ = write!(text, ": first {}, newest {}", seen(first), seen(newest));
            }
            (_, Some(only)) => {
                let _ = write!(text, ": {}", seen(only));
            }
            _ => {}
        }
        if h.refs.len() > 1 {
            let names: Vec<String> = h.refs.iter().map(|r| inline_code(r)).collect();
            let _ = write!(text, " (on {})", names.join(", "));
        }
        parts.push(text);
    }
    if let (false, Some(branch)) = (only_the_branch, &h.same_branch) {
        parts.push(format!(
            "on this branch {} failed this way too: the changes since did not fix it",
            short(&branch.head_sha)
        ));
    }
    if h.earlier_attempts > 0 {
        let noun = if h.earlier_attempts == 1 {
            "attempt"
        } else {
            "attempts"
        };
        parts.push(format!(
            "{} earlier {noun} of this run failed the same way",
            h.earlier_attempts
        ));
    }
    if parts.is_empty() {
        return String::new();
    }
    let mut line = String::from("\n_History: ");
    line.push_str(&parts.join("; "));
    if define {
        let _ = write!(line, " ({SAME_WAY})");
    }
    line.push_str("._\n");
    line
}

/// The heading's one-line summary when several steps have history to tell; `""` otherwise.
pub(super) fn summary_line(rows: &[&CiLog], history: &[FailureHistory]) -> String {
    let find = |id: u64| history.iter().find(|h| h.id == id);
    let mut seen_elsewhere = 0;
    let mut new = 0;
    // Steps per branch, by the newest branch each step's failure was seen on.
    let mut on_refs: Vec<(&str, usize)> = Vec::new();
    for row in rows {
        let Some(h) = find(row.id).filter(|h| h.fingerprint.is_some()) else {
            continue;
        };
        if h.is_new() {
            new += 1;
        } else if h.other_commits > 0 {
            seen_elsewhere += 1;
            if let Some(name) = h.refs.first() {
                match on_refs.iter_mut().find(|(r, _)| *r == name.as_str()) {
                    Some((_, n)) => *n += 1,
                    None => on_refs.push((name, 1)),
                }
            }
        }
    }
    if seen_elsewhere + new < 2 {
        return String::new();
    }
    let steps = |n: usize| if n == 1 { "step" } else { "steps" };
    let mut out = format!("\n_History of the {} steps below ({SAME_WAY}):", rows.len());
    if seen_elsewhere > 0 {
        let _ = write!(
            out,
            " {seen_elsewhere} {} failed the same way on other commits too",
            steps(seen_elsewhere)
        );
        if !on_refs.is_empty() {
            on_refs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let names: Vec<String> = on_refs
                .iter()
                .take(3)
                .map(|(r, n)| format!("{n} on {}", inline_code(r)))
                .collect();
            let _ = write!(out, " ({})", names.join(", "));
        }
        if new > 0 {
            out.push(';');
        }
    }
    if new > 0 {
        let _ = write!(out, " {new} {} new in this repository", steps(new));
    }
    out.push_str("._\n");
    out
}

/// `` `a1b2c3d` (`main`, 2026-12-01 14:02 UTC) ``.
fn seen(at: &SeenOn) -> String {
    let mut out = short(&at.head_sha);
    out.push_str(" (");
    if let Some(name) = &at.git_ref {
        out.push_str(&inline_code(name));
        out.push_str(", ");
    }
    out.push_str(&utc_minute(at.created_at));
    out.push(')');
    out
}

/// A commit's first 7 hex digits as a code span.
fn short(sha: &str) -> String {
    inline_code(sha.get(..7).unwrap_or(sha))
}

fn utc_minute(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || "an unknown time".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}
