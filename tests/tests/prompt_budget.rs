//! The prompt budget does what docs/prompt.md says, over the failing fixture logs: the block never
//! exceeds it; while every step's header and highlights fit, every step is shown; highlights
//! shrink before any step is left out, and the steps left out are the oldest; a larger budget
//! never shows less (fewer steps, fewer highlights, or a shorter tail of any step).

use citail::{CiLog, Options, Pipeline};
use citail_tests::load_fixtures;
use proptest::prelude::*;
use std::sync::LazyLock;

/// The fixture logs that show a failure (the demo's 16), as stored rows, oldest first.
static ROWS: LazyLock<Vec<CiLog>> = LazyLock::new(|| {
    let pipeline = Pipeline::new(&Options::default()).expect("default options");
    load_fixtures()
        .into_iter()
        .filter(|f| {
            ![
                "jenkins-ansicolor__testlog-long.log",
                "rust-log-analyzer__test_missing_line.txt",
                "terminal-to-html__docker-pull.sh.raw",
                "terminal-to-html__huge-line.sh.raw",
                "terminal-to-html__npm.sh.raw",
                "terminal-to-html__playwright.sh.raw",
                "xeus-lean__docker-build.log",
            ]
            .contains(&f.name.as_str())
        })
        .enumerate()
        .map(|(i, f)| {
            let out = pipeline.run(f.wire_tail());
            CiLog {
                id: i as u64,
                repo: "acme/app".into(),
                head_sha: "a".repeat(40),
                run_id: format!("{}", 9000 + i),
                job_id: "1".into(),
                step_name: f.name.clone(),
                conclusion: "failure".into(),
                log_tail: out.tail,
                created_at: i as u64,
                truncated: out.truncated,
                original_bytes: f.wire_tail().len(),
                original_lines: out.original_lines,
                highlights: out.highlights,
                ..Default::default()
            }
        })
        .collect()
});

/// What a block shows of each row: `None` when the row is left out, else (highlights shown,
/// bytes of its section).
fn shown(block: &str, rows: &[CiLog]) -> Vec<Option<(usize, usize)>> {
    let sections: Vec<&str> = block.split("\n### Step ").skip(1).collect();
    rows.iter()
        .map(|row| {
            let head = format!("`{}`", row.step_name);
            let section = sections.iter().find(|s| s.starts_with(&head))?;
            let section = section
                .split("\n_Left out to fit the prompt:")
                .next()
                .unwrap_or_default();
            let highlights = row
                .highlights
                .iter()
                .filter(|h| {
                    section.contains(&format!("\nL{}:", h.line))
                        || section.contains(&format!("\nL{} (", h.line))
                        || section.contains(&format!("▶ L{}: ", h.line))
                })
                .count();
            Some((highlights, section.len()))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_larger_budget_never_shows_less(a in 0usize..64 * 1024, b in 0usize..64 * 1024) {
        let rows = &*ROWS;
        let (small, large) = (a.min(b), a.max(b));
        let block_small = citail::render_prompt_block(rows, small);
        let block_large = citail::render_prompt_block(rows, large);
        prop_assert!(block_small.len() <= small && block_large.len() <= large);
        let (s, l) = (shown(&block_small, rows), shown(&block_large, rows));
        if !block_small.is_empty() {
            // Left out: the oldest, and each named once.
            let left_out: Vec<usize> = (0..rows.len()).filter(|&i| s[i].is_none()).collect();
            prop_assert!(left_out.iter().enumerate().all(|(n, &i)| n == i), "not the oldest: {:?}", left_out);
            for &i in &left_out {
                prop_assert_eq!(block_small.matches(&format!("`{}`", rows[i].step_name)).count(), 1);
            }
        }
        for (i, (x, y)) in s.iter().zip(&l).enumerate() {
            match (x, y) {
                (Some(_), None) => prop_assert!(false, "{} shown at {small} but not at {large}", rows[i].step_name),
                (Some((hx, _)), Some((hy, _))) => prop_assert!(hx <= hy, "{}: {hx} highlights at {small}, {hy} at {large}", rows[i].step_name),
                _ => {}
            }
        }
    }
}

#[test]
fn from_the_budget_that_holds_every_highlight_up_every_step_shows_all_of_them() {
    let rows = &*ROWS;
    let complete = |budget: usize| {
        let block = citail::render_prompt_block(rows, budget);
        !block.contains("_Left out")
            && shown(&block, rows)
                .iter()
                .zip(rows)
                .all(|(s, r)| s.is_some_and(|(h, _)| h == r.highlights.len()))
    };
    let full = (1..=64)
        .map(|k| k * 1024)
        .find(|&budget| complete(budget))
        .expect("64 KiB holds every header and highlight");
    for budget in (full..=64 * 1024).step_by(8191) {
        assert!(complete(budget), "at {budget} bytes (complete from {full})");
    }
    // The highlights alone are most of that budget: the tails share what is left.
    println!("every step with all its highlights from {full} bytes");
}
