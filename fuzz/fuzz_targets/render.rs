//! `render_prompt_block_noting` on arbitrary rows, steps not read and budgets, read back with a
//! CommonMark parser: the budget holds; the only headings are the block's own (one `## CI log
//! excerpts`, one `### Step …` per shown row, each made of exactly its text and four code spans,
//! so no field can forge structure); every code block is a suffix of a row's tail (once the
//! `▶ L<n>: ` marks in front of highlighted lines are taken out) or a highlight list.
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
}

#[derive(Arbitrary, Debug)]
struct Input {
    rows: Vec<Row>,
    budget: u16,
    /// Steps a limited lookup did not read: how many, and the names of the newest.
    older: (u16, Vec<(String, String, String)>),
}

fuzz_target!(|input: Input| {
    let logs: Vec<CiLog> = input
        .rows
        .into_iter()
        .take(30)
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
                .collect(), ..Default::default() 
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
    let block = citail::render_prompt_block_noting(&logs, &older, budget);
    assert!(block.len() <= budget, "over budget");
    if logs.is_empty() || block.is_empty() {
        return;
    }

    let mut h2 = 0;
    let mut h3 = 0;
    let mut heading: Option<Vec<Event>> = None;
    let mut code: Option<String> = None;
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
                assert!(
                    matches!(kind, CodeBlockKind::Fenced(_)),
                    "an indented code block"
                );
                code = Some(String::new());
            }
            Event::End(TagEnd::CodeBlock) => {
                let content = code.take().expect("open code block");
                // CommonMark reads `\r\n` and a bare `\r` as line endings, like `\n`.
                let content = same_endings(&content);
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
