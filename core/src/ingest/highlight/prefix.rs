//! Runner prefixes: the columns a runner or a multiplexer puts before every line of a step's
//! output, which hide a line's start from the rules (`^error: …` cannot match behind
//! `build\tRun cargo\t2026-02-14T07:36:53.8244619Z error: …`).
//!
//! One kind of prefix is chosen per text, by a majority of its first non-blank lines, and
//! removed from every line that has it; the highlights are found in that view. Line numbers are
//! unchanged (only the starts of lines are removed), and a highlight shows the line behind its
//! prefix: the step name and timestamp columns say nothing about the failure.
//!
//! Invariants: a text without a prefix kind on most of its sampled lines is returned as is
//! (borrowed); the view has exactly the lines of the text, each a suffix of the original line.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// `(kind, pattern)`: each pattern matches the prefix at a line's start.
const KINDS: &[(&str, &str)] = &[
    // `gh run view --log` and the runner's downloaded logs: `job<TAB>step<TAB>timestamp `.
    (
        "columns",
        r"^[^\t\n]{1,200}\t[^\t\n]{1,200}\t[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,20}Z ?",
    ),
    // act (and Forgejo's runner run locally): `[workflow/job]   | `.
    ("act", r"^\[[^\]\n]{1,120}\][ \t]+\|[ \t]?"),
    // docker compose: `service-1  | `.
    ("compose", r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[ \t]+\|[ \t]?"),
    // BuildKit's plain progress: `#12 3.456 ` or `#12 ` (`#12 ERROR: …`).
    ("buildkit", r"^#[0-9]{1,5} (?:[0-9]{1,6}\.[0-9]{1,3} )?"),
];

/// Non-blank lines read to choose the kind.
const SAMPLE_LINES: usize = 60;
/// A kind is chosen when at least this many sampled lines have it, and at least half of them.
const MIN_LINES: usize = 3;

static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    KINDS
        .iter()
        .filter_map(|(_, pattern)| Regex::new(pattern).ok())
        .collect()
});

/// `text` with the prefix kind most of its lines carry removed from every line that has it, or
/// `text` itself when no kind is on most of them.
pub(crate) fn strip(text: &str) -> Cow<'_, str> {
    let Some(kind) = chosen(text) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let body = kind.find(line).map_or(0, |m| m.end());
        out.push_str(line.get(body..).unwrap_or(line));
    }
    Cow::Owned(out)
}

/// The prefix kind on most of the first [`SAMPLE_LINES`] non-blank lines of `text`.
fn chosen(text: &str) -> Option<&'static Regex> {
    let compiled: &'static [Regex] = &COMPILED;
    let mut counts = vec![0usize; compiled.len()];
    let mut sampled = 0;
    for line in text
        .split('\n')
        .filter(|l| !l.trim().is_empty())
        .take(SAMPLE_LINES)
    {
        sampled += 1;
        for (count, kind) in counts.iter_mut().zip(compiled) {
            if kind.is_match(line) {
                *count += 1;
            }
        }
    }
    let (best, &count) = counts.iter().enumerate().max_by_key(|&(_, &c)| c)?;
    (count >= MIN_LINES && count * 2 >= sampled)
        .then(|| compiled.get(best))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_removed_and_lines_are_kept() {
        let columns = "build\tRun cargo\t2026-02-14T07:36:53.8244619Z    Compiling x\n\
                       build\tRun cargo\t2026-02-14T07:36:54.0000000Z error: failed to run custom build command for `openssl-sys`\n\
                       build\tRun cargo\t2026-02-14T07:36:54.1000000Z \n\
                       build\tRun cargo\t2026-02-14T07:36:54.2000000Z done\n";
        assert_eq!(
            strip(columns),
            "   Compiling x\nerror: failed to run custom build command for `openssl-sys`\n\ndone\n"
        );
        let act = "[CI/test]   | ok\n[CI/test]   | fatal: bad object\n[CI/test]   | x\n";
        assert_eq!(strip(act), "ok\nfatal: bad object\nx\n");
        let compose = "db-1   | ready\napi-1  | error: connect ECONNREFUSED\napi-1  | exiting\n";
        assert_eq!(
            strip(compose),
            "ready\nerror: connect ECONNREFUSED\nexiting\n"
        );
        let buildkit = "#8 [build 3/5] RUN npm ci\n#8 3.4 npm ERR! code E404\n#8 ERROR: process \"/bin/sh -c npm ci\" did not complete successfully: exit code: 1\n------\n";
        assert_eq!(
            strip(buildkit),
            "[build 3/5] RUN npm ci\nnpm ERR! code E404\nERROR: process \"/bin/sh -c npm ci\" did not complete successfully: exit code: 1\n------\n"
        );
    }

    #[test]
    fn a_text_where_few_lines_have_a_prefix_is_left_as_is() {
        let text = "running\nname | value\nerror: x\nmore\nlines\nhere\n";
        assert!(matches!(strip(text), Cow::Borrowed(_)));
        assert!(matches!(strip(""), Cow::Borrowed(_)));
    }
}
