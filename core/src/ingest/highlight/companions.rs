//! Lines a highlight brings with it: a line that only announces what follows (or what came
//! before) is no diagnosis on its own.
//!
//! - a Rust panic's location (`thread 'x' panicked at src/lib.rs:113:14:`) brings the message on
//!   the lines after it (up to [`MESSAGE_LINES`], to a blank line or a `note:`);
//! - a heading (`Failures:`, `Errors:`, `failures:`) brings the indented or bulleted items under
//!   it (up to [`HEADING_ITEMS`]);
//! - a compiler's diagnostic header (`error[E0277]: …`, `error[no-unused-vars]: …`) brings the
//!   ` --> file:line:col` line under it, which says where (or, when the tool wrapped the path
//!   onto the line after a bare arrow, that line);
//! - an `error: …` line brings the `note: …` lines right under it, up to [`NOTES`] (bun's
//!   `error: lockfile had changes, but lockfile is frozen` is followed by the note that says
//!   which dependency changed);
//! - the race detector's `WARNING: DATA RACE` brings the source position of each access it
//!   reports (the first frame under `Write at 0x… by goroutine 7:`, `Previous read at …`), up to
//!   [`RACE_FRAMES`].
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
/// Notes kept under an `error:` line.
const NOTES: usize = 2;
/// Access positions kept under a race report.
const RACE_FRAMES: usize = 4;
/// Lines of a race report searched for its accesses.
const RACE_REPORT_LINES: usize = 40;

struct Patterns {
    panic_header: Regex,
    heading: Regex,
    item: Regex,
    diagnostic: Regex,
    location: Regex,
    plain_error: Regex,
    note: Regex,
    race: Regex,
    race_access: Regex,
    go_frame: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    Some(Patterns {
        panic_header: Regex::new(r"panicked at [^ \t]+:[0-9]+:[0-9]+:[ \t]*$").ok()?,
        heading: Regex::new(
            r"^[ \t]*(?:Failures|Errors|Failed tests|Failing tests|failures)[ \t]*:[ \t]*$",
        )
        .ok()?,
        item: Regex::new(r"^(?:[ \t]+[^ \t]|[ \t]*(?:[-*•]|[0-9]{1,3}[.)])[ \t])").ok()?,
        diagnostic: Regex::new(r"^[ \t]*error\[[A-Za-z0-9_-]{1,40}\]: ").ok()?,
        location: Regex::new(r"^[ \t]*--> ?").ok()?,
        plain_error: Regex::new(r"^[ \t]*error: ").ok()?,
        note: Regex::new(r"^[ \t]*note: ").ok()?,
        race: Regex::new(r"^[ \t]*WARNING: DATA RACE").ok()?,
        race_access: Regex::new(
            r"^[ \t]*(?:Previous )?(?:[Ww]rite|[Rr]ead) at 0x[0-9a-f]+ by (?:goroutine [0-9]+|main goroutine):[ \t]*$",
        )
        .ok()?,
        go_frame: Regex::new(r"^[ \t]+[^ \t]+\.go:[0-9]+(?: \+0x[0-9a-f]+)?[ \t]*$").ok()?,
    })
});

/// `lines` (`(line number, line)`, picked by the rules, in order) with their companions.
pub(crate) fn add<'a>(text: &'a str, lines: Vec<(usize, &'a str)>) -> Vec<(usize, &'a str)> {
    let Some(p) = PATTERNS.as_ref() else {
        return lines;
    };
    let wants = |line: &str| {
        p.panic_header.is_match(line)
            || p.heading.is_match(line)
            || p.diagnostic.is_match(line)
            || p.plain_error.is_match(line)
            || p.race.is_match(line)
    };
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
        // The lines right after `number` while `wanted` holds, at most `most` of them.
        let mut following = |most: usize, wanted: &dyn Fn(&str) -> bool| {
            for next in (number + 1..).take(most) {
                match line_at(next) {
                    Some(l) if wanted(l) => out.push((next, l)),
                    _ => break,
                }
            }
        };
        if p.panic_header.is_match(line) {
            following(MESSAGE_LINES, &|l| {
                !l.trim().is_empty() && !l.trim_start().starts_with("note:")
            });
        } else if p.heading.is_match(line) {
            following(HEADING_ITEMS, &|l| p.item.is_match(l));
        } else if p.plain_error.is_match(line) {
            following(NOTES, &|l| p.note.is_match(l));
        } else if p.diagnostic.is_match(line) {
            if let Some(arrow) = line_at(number + 1).filter(|l| p.location.is_match(l)) {
                // `  --> ` alone: the tool wrapped a long path onto the next line, which is the
                // location (the bare arrow says nothing).
                if arrow.trim() == "-->" {
                    if let Some(path) = line_at(number + 2).filter(|l| !l.trim().is_empty()) {
                        out.push((number + 2, path));
                    }
                } else {
                    out.push((number + 1, arrow));
                }
            }
        } else if p.race.is_match(line) {
            let mut frames = 0;
            for next in (number + 1..).take(RACE_REPORT_LINES) {
                let Some(l) = line_at(next) else { break };
                if l.starts_with("==================") || frames == RACE_FRAMES {
                    break;
                }
                // The access line, the function, then its position.
                if p.race_access.is_match(l) {
                    if let Some(frame) = line_at(next + 2).filter(|f| p.go_frame.is_match(f)) {
                        out.push((next + 2, frame));
                        frames += 1;
                    }
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

    #[test]
    fn a_diagnostic_brings_its_location_and_a_race_its_accesses() {
        let rustc = "error[E0277]: the trait bound `X: Octal` is not satisfied\n  --> tests/ui/x.rs:13:9\n   |\n";
        assert_eq!(numbers(rustc, &[1]), [1, 2]);
        // deno lint wraps a long path onto the line after the arrow.
        let deno =
            "error[no-unused-vars]: `x` is never used\n  --> \nC:\\src\\main.ts:29:9\n   | \n";
        assert_eq!(numbers(deno, &[1]), [1, 3]);
        // bun: the notes under an error say what changed.
        let bun = "error: lockfile had changes, but lockfile is frozen\nnote: left-pad was added\nnote: try again\nnote: third\nok\n";
        assert_eq!(numbers(bun, &[1]), [1, 2, 3]);
        assert_eq!(numbers("error: x\n\nnote: far\n", &[1]), [1]);
        // No arrow under it: nothing comes.
        assert_eq!(numbers("error[E0599]: no method\nmore\n", &[1]), [1]);
        let race = "WARNING: DATA RACE\nWrite at 0x00c000138168 by goroutine 8:\n  pkg.TestRace.func1()\n      /src/race_test.go:9 +0x39\n\nPrevious write at 0x00c000138168 by goroutine 7:\n  pkg.TestRace()\n      /src/race_test.go:12 +0x105\n  testing.tRunner()\n      /go/testing.go:1439 +0x213\n==================\nRead at 0x1 by goroutine 9:\n  f()\n      /src/a.go:1\n";
        assert_eq!(numbers(race, &[1]), [1, 4, 8]);
    }
}
