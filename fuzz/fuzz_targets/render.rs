//! `render_prompt_block_with` on arbitrary rows (with commands), steps not read, failure
//! histories (with hostile branch names) and budgets, read back with a CommonMark parser: the
//! budget holds; the only headings are the block's own (one `## CI log excerpts`, one `### Step …`
//! per shown row, each made of exactly its text and four code spans, so no field can forge
//! structure); every code block is a suffix of a row's tail (once the `▶ L<n>: ` marks in front
//! of highlighted lines are taken out), a highlight list, or a `sh` block of a row's command.
#![no_main]
use arbitrary::Arbitrary;
use citail::{CiLog, Highlight};
use libfuzzer_sys::fuzz_target;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

#[derive(Arbitrary, Debug)]
struct Row {
    step: String,
    job: String,
    run: String,
    conclusion: String,
    tail: String,
    truncated: bool,
    original_lines: u16,
    highlights: Vec<(u16, String, u8)>,
    command: Option<String>,
    /// Other commits with the same failure, and a branch name for the first of them.
    history: Option<(u8, String, bool, u8)>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    rows: Vec<Row>,
    budget: u16,
    /// Steps a limited lookup did not read: how many, and the names of the newest.
    older: (u16, Vec<(String, String, String)>),
}

fuzz_target!(|input: Input| {
    let rows: Vec<Row> = input.rows.into_iter().take(30).collect();
    let history: Vec<citail::FailureHistory> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let (others, branch, same_branch, attempts) = r.history.clone()?;
            let seen = citail::SeenOn {
                head_sha: "b".repeat(40),
                git_ref: Some(branch.clone()),
                created_at: u64::from(others) * 1_000_000,
            };
            Some(citail::FailureHistory {
                id: i as u64,
                fingerprint: Some("v1:0".into()),
                other_commits: u64::from(others % 4),
                first: (others % 4 > 0).then(|| seen.clone()),
                newest: (others % 4 > 0).then(|| seen.clone()),
                refs: if others % 4 > 0 { vec![branch] } else { vec![] },
                same_branch: (same_branch && others % 4 > 0).then_some(seen),
                earlier_attempts: u32::from(attempts % 3),
                ..Default::default()
            })
        })
        .collect();
    let logs: Vec<CiLog> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| CiLog {
            id: i as u64,
            repo: "acme/app".into(),
            head_sha: "a".repeat(40),
            run_id: r.run,
            job_id: r.job,
            step_name: r.step,
            conclusion: r.conclusion,
            // pulldown-cmark rewrites `\r` runs and NUL inside code text in ways of its own;
            // stored tails hold neither once normalised, and the unit property test
            // (core/src/prompt/render/tests.rs) checks `\r` with a CommonMark fence reader.
            log_tail: r.tail.replace(['\r', '\0'], " "),
            created_at: i as u64,
            truncated: r.truncated,
            original_bytes: 0,
            original_lines: usize::from(r.original_lines),
            highlights: r
                .highlights
                .into_iter()
                .take(25)
                .map(|(line, text, repeats)| Highlight {
                    line: u64::from(line),
                    text,
                    repeats: u32::from(repeats).max(1),
                })
                .collect(),
            command: r.command,
            ..Default::default()
        })
        .collect();
    let budget = usize::from(input.budget) * 4;
    let (count, named) = input.older;
    let older = citail::OlderSteps {
        count: u64::from(count),
        newest: named
            .into_iter()
            .take(usize::from(count).min(25))
            .enumerate()
            .map(|(i, (step, job, run))| citail::StepRef {
                id: i as u64,
                created_at: 0,
                run_id: run,
                job_id: job,
                step_name: step,
                conclusion: "failure".into(),
            })
            .collect(),
    };
    let context = citail::PromptContext { older, history };
    let block = citail::render_prompt_block_with(&logs, &context, budget);
    assert!(block.len() <= budget, "over budget");
    if logs.is_empty() || block.is_empty() {
        return;
    }

    let mut h2 = 0;
    let mut h3 = 0;
    let mut heading: Option<Vec<Event>> = None;
    let mut code: Option<String> = None;
    let mut code_is_command = false;
    for event in Parser::new(&block) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                match level {
                    HeadingLevel::H2 => h2 += 1,
                    HeadingLevel::H3 => h3 += 1,
                    other => panic!("a forged {other:?} heading in {block:?}"),
                }
                heading = Some(Vec::new());
            }
            Event::End(TagEnd::Heading(level)) => {
                let events = heading.take().expect("open heading");
                if level == HeadingLevel::H3 {
                    check_step_heading(&events, &block);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let CodeBlockKind::Fenced(info) = kind else {
                    panic!("an indented code block");
                };
                code_is_command = info.as_ref() == "sh";
                code = Some(String::new());
            }
            Event::End(TagEnd::CodeBlock) => {
                let content = code.take().expect("open code block");
                // CommonMark reads `\r\n` and a bare `\r` as line endings, like `\n`.
                let content = same_endings(&content);
                if code_is_command {
                    // The first lines of a row's command (hidden characters shown escaped).
                    let first = content.lines().next().unwrap_or_default();
                    assert!(
                        logs.iter().filter_map(|l| l.command.as_deref()).any(|c| {
                            let c = same_endings(c);
                            c.lines().next().is_some_and(|l| l.starts_with(first.split('\\').next().unwrap_or_default()))
                        }),
                        "a sh block that is no row's command: {content:?}"
                    );
                    continue;
                }
                let is_tail = logs.iter().any(|l| {
                    let tail = same_endings(&l.log_tail);
                    let whole = if tail.is_empty() || tail.ends_with('\n') {
                        tail
                    } else {
                        format!("{tail}\n")
                    };
                    ends_with_marked(&whole, &content)
                });
                let is_highlights = !content.is_empty()
                    && content.lines().all(|line| {
                        line.strip_prefix('L')
                            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
                    });
                assert!(
                    is_tail || is_highlights,
                    "a code block that is neither: {content:?}"
                );
            }
            Event::Text(text) => {
                if let Some(c) = code.as_mut() {
                    c.push_str(&text);
                } else if let Some(h) = heading.as_mut() {
                    h.push(Event::Text(text));
                }
            }
            Event::Code(text) => {
                if let Some(h) = heading.as_mut() {
                    h.push(Event::Code(text));
                }
            }
            other => {
                if let Some(h) = heading.as_mut() {
                    h.push(other);
                }
            }
        }
    }
    assert_eq!(h2, 1, "one block heading");
    assert!(
        (1..=logs.len()).contains(&h3),
        "{h3} step headings for {} rows",
        logs.len()
    );
});

/// `text` with `\r\n` and `\r` as `\n`, and NUL as U+FFFD: what a CommonMark reader may
/// hand back for them.
fn same_endings(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\0', "\u{fffd}")
}

/// `Step `s` (job `j`, run `r`): `c`, N lines posted`: text and code spans, nothing else.
fn check_step_heading(events: &[Event], block: &str) {
    let shape: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Text(_) => "text",
            Event::Code(_) => "code",
            _ => "other",
        })
        .collect();
    assert_eq!(
        shape,
        ["text", "code", "text", "code", "text", "code", "text", "code", "text"],
        "forged heading in {block:?}"
    );
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| {
            if let Event::Text(t) = e {
                Some(t.as_ref())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(&texts[..4], ["Step ", " (job ", ", run ", "): "]);
    assert!(texts[4].starts_with(", ") && texts[4].ends_with(" posted"));
}

/// Whether `content`, line by line from the end, is the end of `whole`, each of its lines either
/// the same as `whole`'s or that line with a `▶ L<n>: ` mark in front (the first line of
/// `content` may be the end of a line of `whole`).
fn ends_with_marked(whole: &str, content: &str) -> bool {
    let mut theirs = whole.split_inclusive('\n').rev();
    let ours: Vec<&str> = content.split_inclusive('\n').collect();
    for (i, line) in ours.iter().enumerate().rev() {
        let Some(original) = theirs.next() else {
            return false;
        };
        let unmarked = line
            .strip_prefix("▶ L")
            .and_then(|rest| rest.split_once(": "))
            .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|(_, text)| text);
        let first = i == 0;
        let same = |l: &str| if first { original.ends_with(l) } else { original == l };
        if !same(line) && !unmarked.is_some_and(same) {
            return false;
        }
    }
    true
}
