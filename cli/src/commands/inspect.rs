//! Reading a store: `stats`, `list`, `show` (from a file or through the server's read route).

use super::{open_for_reading, print_json};
use crate::args::{FileArgs, HistoryArgs, ListArgs, ShowArgs};
use crate::failure::Failure;
use crate::output::{out, outln};
use crate::remote;
use crate::view;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

pub fn stats(args: &FileArgs) -> Result<ExitCode, Failure> {
    let store = open_for_reading(&args.file, citail::Options::default())?;
    let stats = store.stats().map_err(|e| Failure::store(&args.file, e))?;
    if args.json {
        print_json(&json!({
            "file": store.path(),
            "schema_version": stats.schema_version,
            "rows": stats.rows,
            "stored_bytes": stats.stored_bytes,
            "oldest_created_at": stats.oldest_created_at,
            "newest_created_at": stats.newest_created_at,
            "file_bytes": stats.file_bytes,
        }))?;
    } else {
        let when = |t: Option<u64>| t.map_or_else(|| "-".to_owned(), view::time);
        outln!("file          {}", store.path().display())?;
        outln!("schema        {}", stats.schema_version)?;
        outln!("rows          {}", stats.rows)?;
        outln!("stored tails  {}", view::bytes(stats.stored_bytes))?;
        outln!("oldest row    {}", when(stats.oldest_created_at))?;
        outln!("newest row    {}", when(stats.newest_created_at))?;
        outln!("file size     {}", view::bytes(stats.file_bytes))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn list(args: &ListArgs) -> Result<ExitCode, Failure> {
    let file = &args.file.file;
    let store = open_for_reading(file, citail::Options::default())?;
    let mut filter = citail::RowFilter::default();
    if let Some(repo) = &args.repo {
        filter = filter.repo(repo);
    }
    if let Some(since) = args.since {
        filter = filter.since(citail::now_ms().saturating_sub(since));
    }
    let commits = store
        .commits(&filter, args.limit)
        .map_err(|e| Failure::store(file, e))?;
    if args.file.json {
        let out: Vec<_> = commits
            .iter()
            .map(|c| {
                json!({
                    "repo": c.repo, "head_sha": c.head_sha, "rows": c.rows,
                    "oldest_created_at": c.oldest_created_at,
                    "newest_created_at": c.newest_created_at, "steps": c.steps,
                })
            })
            .collect();
        print_json(&out)?;
    } else if commits.is_empty() {
        outln!("no commits with stored rows")?;
    } else {
        outln!(
            "{:<20}  {:<12}  {:>4}  {:<30}  steps",
            "newest row",
            "commit",
            "rows",
            "repo"
        )?;
        for c in &commits {
            outln!(
                "{:<20}  {:<12}  {:>4}  {:<30}  {}",
                view::time(c.newest_created_at),
                c.head_sha.get(..12).unwrap_or(&c.head_sha),
                c.rows,
                c.repo,
                c.steps.join(", ")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn show(args: &ShowArgs) -> Result<ExitCode, Failure> {
    let (rows, prompt) = match (&args.url, args.args.as_slice()) {
        (Some(url), [repo, sha]) => {
            let token = remote::token(args.token_file.as_deref())?;
            let answer = remote::fetch(url, &token, repo, sha)?;
            (answer.rows, answer.prompt)
        }
        (None, [file, repo, sha]) => local_rows(args, Path::new(file), repo, sha)?,
        (Some(_), _) => return Err(usage("with --url, give REPO SHA (no FILE)")),
        (None, _) => return Err(usage("give FILE REPO SHA (or --url URL REPO SHA)")),
    };
    if args.prompt {
        out!("{prompt}")?;
    } else if args.json {
        print_json(&rows)?;
    } else if rows.is_empty() {
        outln!("no live rows for this commit")?;
    } else {
        for row in &rows {
            out!("{}", view::row_text(row))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How many of the steps beyond `--limit` the block names, as `buildFixCiPrompt` does.
const OLDER_NAMED: usize = 20;

/// The rows and prompt block of (repo, sha) read from the file, as the dispatch reads them.
fn local_rows(
    args: &ShowArgs,
    file: &Path,
    repo: &str,
    sha: &str,
) -> Result<(Vec<citail::CiLog>, String), Failure> {
    let options = citail::Options::default().retention_ms(args.retention);
    let store = open_for_reading(file, options)?;
    let rows = store
        .recent_logs_for(repo, sha, args.limit)
        .map_err(|e| Failure::store(file, e))?;
    let prompt = if rows.is_empty() {
        String::new()
    } else {
        // As buildFixCiPrompt builds it: the steps the limited read left out, counted and named,
        // and what the store remembers of each failure.
        let now = citail::now_ms();
        let store_error = |e| Failure::store(file, e);
        let older = match rows.first() {
            Some(oldest) if rows.len() >= args.limit => store
                .steps_before_at(oldest, now, OLDER_NAMED)
                .map_err(store_error)?,
            _ => citail::OlderSteps::default(),
        };
        let history = store.history_at(&rows, now).map_err(store_error)?;
        let context = citail::PromptContext { older, history };
        citail::render_prompt_block_with(&rows, &context, args.budget)
    };
    Ok((rows, prompt))
}

fn usage(message: &str) -> Failure {
    Failure::Usage(format!("show: {message}; see `citail show --help`"))
}

/// `citail history`: each live row of (repo, sha) the dispatch reads, with what the store
/// remembers of its failure.
pub fn history(args: &HistoryArgs) -> Result<ExitCode, Failure> {
    let (rows, history) = match (args.url.as_deref(), args.args.as_slice()) {
        (Some(url), [repo, sha]) => {
            let token = remote::token(args.token_file.as_deref())?;
            let answer = remote::fetch(url, &token, repo, sha)?;
            (answer.rows, answer.history)
        }
        (None, [file, repo, sha]) => {
            let file = Path::new(file);
            let options = citail::Options::default().retention_ms(args.retention);
            let store = open_for_reading(file, options)?;
            let rows = store
                .recent_logs_for(repo, sha, args.limit)
                .map_err(|e| Failure::store(file, e))?;
            let history = store
                .history_at(&rows, citail::now_ms())
                .map_err(|e| Failure::store(file, e))?;
            (rows, history)
        }
        (Some(_), _) => return Err(history_usage("with --url, give REPO SHA (no FILE)")),
        (None, _) => return Err(history_usage("give FILE REPO SHA (or --url URL REPO SHA)")),
    };
    if args.json {
        print_json(&history)?;
    } else if rows.is_empty() {
        outln!("no live rows for this commit")?;
    } else {
        for row in &rows {
            let found = history.iter().find(|h| h.id == row.id);
            out!("{}", view::history_text(row, found))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn history_usage(message: &str) -> Failure {
    Failure::Usage(format!("history: {message}; see `citail history --help`"))
}
