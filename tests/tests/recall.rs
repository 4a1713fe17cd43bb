//! Recall of failure highlights against causes an engineer marked by hand.
//!
//! Two corpora: the real CI logs in `tests/fixtures/` with their cause lines in
//! `tests/recall/real-logs.tsv` (marked by line number, by a reader who did not look at
//! citail), and the real tools' output in `tests/recall/tools/` (made by `make.sh` from a small
//! project with planted faults) with theirs in `tests/recall/tools/causes.tsv` (marked by a
//! needle, text that one line holds). Each log goes through what a post goes through (the step
//! script's 60 KiB cut, the default pipeline) and is rendered alone in a 24 KiB prompt block.
//!
//! Targets, asserted: at least 95 % of the causes among the row's highlights; every cause in
//! its 24 KiB block; no highlight printed in full again in the tail shown under it; every log
//! with at least one highlight. `cargo test -p citail-tests --test recall -- --nocapture`
//! prints the table.

use citail::{CiLog, Highlight, Options, Pipeline};
use citail_tests::{decode_log, load_fixtures, Fixture};
use std::path::PathBuf;

const PROMPT_BYTES: usize = 24 * 1024;

/// One log with its marked cause lines, as posted.
struct Case {
    name: String,
    /// What the step script posts.
    posted: String,
    /// Line numbers (in `posted`) of the marked causes.
    causes: Vec<u64>,
    /// Causes marked above what the step script posts (its 60 KiB cut).
    above_cut: usize,
}

fn recall_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recall")
}

/// Data lines of a TSV file: comment and blank lines skipped, each split on tabs.
fn tsv(path: &PathBuf) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn real_log_cases() -> Vec<Case> {
    let fixtures = load_fixtures();
    let marks = tsv(&recall_dir().join("real-logs.tsv"));
    let mut names: Vec<&str> = marks.iter().map(|m| m[0].as_str()).collect();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let fixture: &Fixture = fixtures
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| panic!("real-logs.tsv names {name}, not a fixture"));
            let posted = fixture.wire_tail();
            let skipped = fixture.text[..fixture.text.len() - posted.len()]
                .matches('\n')
                .count() as u64;
            let lines: Vec<u64> = marks
                .iter()
                .filter(|m| m[0] == name)
                .map(|m| m[1].parse().expect("a line number"))
                .collect();
            Case {
                name: name.to_owned(),
                posted: posted.to_owned(),
                causes: lines
                    .iter()
                    .filter(|&&l| l > skipped)
                    .map(|l| l - skipped)
                    .collect(),
                above_cut: lines.iter().filter(|&&l| l <= skipped).count(),
            }
        })
        .collect()
}

fn tool_cases() -> Vec<Case> {
    let dir = recall_dir().join("tools");
    let marks = tsv(&dir.join("causes.tsv"));
    let mut names: Vec<&str> = marks.iter().map(|m| m[0].as_str()).collect();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let posted = decode_log(&bytes);
            // Needles are matched in the text as the pipeline sees it: escapes resolved.
            let clean = citail::normalize(&posted, false);
            let causes = marks
                .iter()
                .filter(|m| m[0] == name)
                .map(|m| {
                    let needle = m[1].as_str();
                    let hits: Vec<u64> = (1..)
                        .zip(clean.split('\n'))
                        .filter(|(_, line)| line.contains(needle))
                        .map(|(n, _)| n)
                        .collect();
                    assert_eq!(
                        hits.len(),
                        1,
                        "{name}: needle {needle:?} is on lines {hits:?}"
                    );
                    hits[0]
                })
                .collect();
            Case {
                name: name.to_owned(),
                posted,
                causes,
                above_cut: 0,
            }
        })
        .collect()
}

/// `text` without ASCII digits, trimmed: what lines that differ only in their numbers share.
fn shape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_ascii_digit())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The highlight that stands for line `line` (text `text`): the one at that line, or one that
/// collapsed lines differing only in their numbers, this among them.
fn highlight_for<'a>(highlights: &'a [Highlight], line: u64, text: &str) -> Option<&'a Highlight> {
    highlights.iter().find(|h| h.line == line).or_else(|| {
        highlights
            .iter()
            .find(|h| h.repeats > 1 && h.line < line && shape(text).contains(&shape(&h.text)))
    })
}

/// Listed highlight lines (`L<n>: text` inside a highlight fence) whose text is also a whole
/// line of the tail fence under them.
fn repeated_lines(block: &str) -> usize {
    let fences: Vec<&str> = block.split("\n```").collect();
    let mut repeated = 0;
    for pair in fences.windows(2) {
        let (first, second) = (pair[0], pair[1]);
        // A highlight fence's lines all start with `L<digits>`.
        let listed: Vec<&str> = first
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(": ").map(|(_, text)| text))
            .collect();
        if listed.is_empty() || !first.lines().skip(1).all(|l| l.starts_with('L')) {
            continue;
        }
        let tail_lines: Vec<&str> = second.lines().collect();
        repeated += listed.iter().filter(|t| tail_lines.contains(t)).count();
    }
    repeated
}

/// Bytes the marks saved: each marked line's `L<n>: text\n` not printed, less the mark and
/// its number above the tail.
fn marks_saved(block: &str, row: &CiLog) -> (usize, usize) {
    let mut saved = 0;
    let mut cost = 0;
    for h in &row.highlights {
        let mark = format!("▶ L{}: ", h.line);
        if block.contains(&mark) {
            saved += format!("L{}: {}\n", h.line, h.text).len();
            cost += mark.len() + format!("L{}, ", h.line).len();
        }
    }
    (saved, cost)
}

#[test]
fn highlights_and_prompt_hold_the_causes_an_engineer_marked() {
    let pipeline = Pipeline::new(&Options::default()).expect("default options");
    let mut cases = real_log_cases();
    let tools = tool_cases();
    let tool_count = tools.len();
    cases.extend(tools);
    assert!(cases.len() >= 29, "{} logs annotated", cases.len());

    let (mut total, mut in_highlights, mut in_prompt, mut repeated, mut above) = (0, 0, 0, 0, 0);
    let (mut saved, mut cost) = (0, 0);
    let mut misses = Vec::new();
    println!(
        "{:<58} causes  in highlights  in 24 KiB prompt  highlights",
        "log"
    );
    for (i, case) in cases.iter().enumerate() {
        let out = pipeline.run(&case.posted);
        let clean = citail::normalize(&case.posted, true);
        let lines: Vec<&str> = clean.split('\n').collect();
        let row = CiLog {
            id: i as u64,
            repo: "acme/app".into(),
            head_sha: "a".repeat(40),
            run_id: "1".into(),
            job_id: "1".into(),
            step_name: case.name.clone(),
            conclusion: "failure".into(),
            log_tail: out.tail.clone(),
            created_at: i as u64,
            truncated: out.truncated,
            original_bytes: case.posted.len(),
            original_lines: out.original_lines,
            highlights: out.highlights.clone(),
            ..Default::default()
        };
        let block = citail::render_prompt_block(std::slice::from_ref(&row), PROMPT_BYTES);
        let (mut found, mut shown) = (0, 0);
        for &line in &case.causes {
            let text = lines.get(line as usize - 1).copied().unwrap_or_default();
            let h = highlight_for(&out.highlights, line, text);
            let named = h.is_some_and(|h| {
                [
                    format!("L{}:", h.line),
                    format!("L{} (", h.line),
                    format!("L{},", h.line),
                    format!("L{}.", h.line),
                ]
                .iter()
                .any(|s| block.contains(s.as_str()))
            });
            found += usize::from(h.is_some());
            let in_block = named || (!text.trim().is_empty() && block.contains(text.trim()));
            shown += usize::from(in_block);
            if h.is_none() || !in_block {
                misses.push(format!(
                    "{} L{line}: {text:?} (highlight: {}, in prompt: {in_block})",
                    case.name,
                    h.is_some()
                ));
            }
        }
        assert!(
            !out.highlights.is_empty(),
            "{}: no highlight at all",
            case.name
        );
        let again = repeated_lines(&block);
        let (s, c) = marks_saved(&block, &row);
        saved += s;
        cost += c;
        println!(
            "{:<58} {:>6}  {:>13}  {:>16}  {:>10}{}",
            case.name,
            case.causes.len(),
            found,
            shown,
            out.highlights.len(),
            if case.above_cut > 0 {
                format!("  ({} above the 60 KiB posted)", case.above_cut)
            } else {
                String::new()
            }
        );
        total += case.causes.len();
        in_highlights += found;
        in_prompt += shown;
        repeated += again;
        above += case.above_cut;
    }
    let pct = |n: usize| 100.0 * n as f64 / total.max(1) as f64;
    println!(
        "\n{} logs ({} real, {tool_count} from real tools), {total} causes posted ({above} more above the step script's 60 KiB cut)",
        cases.len(),
        cases.len() - tool_count
    );
    println!(
        "among the highlights: {in_highlights} ({:.1} %)",
        pct(in_highlights)
    );
    println!(
        "in the 24 KiB prompt block: {in_prompt} ({:.1} %)",
        pct(in_prompt)
    );
    println!("highlight lines repeated in full in the tail under them: {repeated}");
    println!("bytes of repetition the marks removed: {saved}, for {cost} bytes of marks");
    for miss in &misses {
        println!("missed: {miss}");
    }
    assert!(
        pct(in_highlights) >= 95.0,
        "recall {:.1} % < 95 %: {misses:#?}",
        pct(in_highlights)
    );
    assert_eq!(
        in_prompt, total,
        "causes missing from the prompt: {misses:#?}"
    );
    assert_eq!(repeated, 0, "highlights repeated in the tail");
}
