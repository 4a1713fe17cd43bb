//! Ingests every fixture log under a few (repo, sha, step) identities, prints the fix-CI prompt
//! block for one commit and the store's stats, then prunes as if 15 days had passed.
//!
//! Run: `cargo run -p citail-examples --bin ingest-fixtures` (no arguments). The store lives in
//! `citail-demo.redb` in the system temp folder and is recreated on every run.

use citail::{NewLog, Options, Store};
use citail_tests::{load_fixtures, sha};

const DAY_MS: u64 = 24 * 60 * 60 * 1000;
/// A fixed "now" so the run prints the same output every time: 2026-11-23T00:00:00Z.
const NOW_MS: u64 = 1_795_392_000_000;

fn main() -> Result<(), citail::Error> {
    let path = std::env::temp_dir().join("citail-demo.redb");
    // A fresh store each run; a missing file is fine.
    let _ = std::fs::remove_file(&path);
    let store = Store::open(&path, Options::default())?;
    println!("store: {}", store.path().display());

    let fixtures = load_fixtures();
    let repos = ["acme/widgets", "acme/gadgets"];
    let steps = ["setup", "typecheck", "lint", "fmt-check", "test"];
    for (i, fixture) in fixtures.iter().enumerate() {
        let repo = repos[i % repos.len()];
        let head = sha(1 + (i % 3) as u64);
        let run_id = (800 + i % 3).to_string();
        let log = NewLog {
            repo,
            run_id: &run_id,
            job_id: "1",
            step_name: steps[i % steps.len()],
            head_sha: &head,
            conclusion: "failure",
            log_tail: fixture.wire_tail(),
            ..Default::default()
        };
        let done = store.ingest_at(&log, NOW_MS + i as u64)?;
        println!(
            "ingested {:<58} -> {repo} {}… step {:<9} id {:>2}: {:>5} bytes, {:>3} lines{}{}",
            fixture.name,
            &head[36..],
            log.step_name,
            done.id,
            done.stored_bytes,
            done.stored_lines,
            if done.truncated { ", truncated" } else { "" },
            if done.replaced {
                ", replaced an earlier post"
            } else {
                ""
            },
        );
    }

    let rows = store.logs_for_at("acme/widgets", &sha(1), NOW_MS + DAY_MS)?;
    let block = citail::render_prompt_block(&rows, 24 * 1024);
    println!(
        "\n===== prompt block for acme/widgets @ {} ({} rows, {} bytes) =====",
        sha(1),
        rows.len(),
        block.len()
    );
    println!("{block}");
    println!("===== end of prompt block =====\n");

    let stats = store.stats()?;
    println!(
        "stats: {} rows, {} tail bytes stored, file {} bytes ({} bytes per row)",
        stats.rows,
        stats.stored_bytes,
        stats.file_bytes,
        stats.file_bytes / stats.rows.max(1),
    );
    let later = NOW_MS + 15 * DAY_MS;
    println!(
        "prune at now + 15 days: {} rows deleted",
        store.prune_at(later)?
    );
    println!("stats after prune: {} rows", store.stats()?.rows);
    Ok(())
}
