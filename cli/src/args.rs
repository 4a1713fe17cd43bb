//! The command line, declared with clap: every subcommand, its arguments, help text and examples.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Look inside, back up, restore, check and compact a citail store.
///
/// A store is one redb file, and redb lets one process open it at a time: while the server runs,
/// read through its route with `citail show --url`, and stop it for the rest.
#[derive(Debug, Parser)]
#[command(name = "citail", version, propagate_version = true)]
#[command(
    after_help = "Exit status: 0 success; 1 failure (an error, `check` found problems, \
`import` rejected lines); 2 usage error; 3 the store is open in another process; 4 the store \
is damaged."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rows, stored bytes, oldest and newest row, file size and schema version.
    #[command(after_help = "Example:\n  citail stats /var/lib/forge/ci-logs.redb --json")]
    Stats(FileArgs),

    /// Recent commits with stored rows, newest first: row counts and failed steps.
    #[command(
        after_help = "Examples:\n  citail list ci-logs.redb\n  citail list ci-logs.redb \
--repo acme/widgets --since 2d --limit 5"
    )]
    List(ListArgs),

    /// The live rows of one commit, or with --prompt exactly the block a fix-CI dispatch appends.
    #[command(
        after_help = "Examples:\n  citail show ci-logs.redb acme/widgets 0123abc…\n  \
citail show ci-logs.redb acme/widgets 0123abc… --prompt --budget 32768\n  \
CITAIL_TOKEN=… citail show --url http://127.0.0.1:8787 acme/widgets 0123abc…\n\n\
With --url, FILE is left out and the running server is asked through GET /internal/ci-log; the \
token comes from CITAIL_TOKEN or --token-file, never from the command line."
    )]
    Show(ShowArgs),

    /// What the store remembers of each failed step of a commit: the same failure on other
    /// commits (first, newest, their branches), on this branch before, on earlier attempts of
    /// the run, or new.
    #[command(
        after_help = "Examples:\n  citail history ci-logs.redb acme/widgets 0123abc…\n  \
CITAIL_TOKEN=… citail history --url http://127.0.0.1:8787 acme/widgets 0123abc… --json\n\n\
Two failures are the same when their fingerprints are: the same failure lines of the same step, \
times, numbers and ids aside (see docs/memory.md)."
    )]
    History(HistoryArgs),

    /// Store a log read from stdin through the same pipeline as the route (normalise, redact,
    /// highlight, truncate).
    #[command(
        after_help = "Example:\n  cargo test 2>&1 | citail ingest ci-logs.redb --repo \
acme/widgets --sha \"$(git rev-parse HEAD)\" --step test"
    )]
    Ingest(IngestArgs),

    /// Delete the rows past retention.
    #[command(
        after_help = "Examples:\n  citail prune ci-logs.redb\n  citail prune ci-logs.redb \
--now 2026-12-01T00:00:00Z"
    )]
    Prune(PruneArgs),

    /// Write every stored row as JSON, one object per line, to stdout (a backup, a migration, or
    /// a load into another engine).
    #[command(
        after_help = "Example:\n  citail export ci-logs.redb > backup.jsonl\n\n\
Each line holds every field of a row but its id (ids are local to a file). Rows come in key \
order (repo, commit, time), so export → import → export is byte-identical."
    )]
    Export(ExportArgs),

    /// Store rows from an export read on stdin. Each line is checked like an ingest; a bad line
    /// is reported by number and skipped, the rest are stored.
    #[command(after_help = "Example:\n  citail import new.redb < backup.jsonl\n\n\
Rows keep their created_at, counts and highlights; a row of a step already stored replaces it.")]
    Import(ImportArgs),

    /// Check the store's consistency (redb's page checksums, then every index and counter);
    /// exits 1 when a problem is found.
    #[command(after_help = "Example:\n  citail check ci-logs.redb")]
    Check(FileArgs),

    /// Rewrite the file so space freed by prunes goes back to the file system.
    #[command(after_help = "Example:\n  citail compact ci-logs.redb")]
    Compact(FileArgs),
}

/// A store file and the output format.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The store file.
    pub file: PathBuf,
    /// Print JSON for scripts instead of text for people.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Only commits of this repo (`owner/name`).
    #[arg(long)]
    pub repo: Option<String>,
    /// Only commits with a row this recent: a number and a unit, `90s`, `15m`, `2h`, `14d`, `1w`.
    #[arg(long, value_parser = parse_duration_ms)]
    pub since: Option<u64>,
    /// Most commits listed.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// FILE REPO SHA, or with --url only REPO SHA.
    #[arg(value_name = "[FILE] REPO SHA", num_args = 2..=3, required = true)]
    pub args: Vec<String>,
    /// Ask the running server at this address (e.g. `http://127.0.0.1:8787`) instead of opening a
    /// file.
    #[arg(long)]
    pub url: Option<String>,
    /// With --url: read the bearer token from this file (else from CITAIL_TOKEN).
    #[arg(long, requires = "url")]
    pub token_file: Option<PathBuf>,
    /// Print the prompt block a fix-CI dispatch would append (nothing when there are no rows).
    #[arg(long)]
    pub prompt: bool,
    /// Byte budget of the prompt block.
    #[arg(long, default_value_t = 64 * 1024)]
    pub budget: usize,
    /// Most rows read, the newest (as the dispatch does).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Retention: rows older than this are not shown. Match the server's setting.
    #[arg(long, value_parser = parse_retention_ms, default_value = "14d")]
    pub retention: u64,
    /// Print JSON for scripts instead of text for people.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// FILE REPO SHA, or with --url only REPO SHA.
    #[arg(value_name = "[FILE] REPO SHA", num_args = 2..=3, required = true)]
    pub args: Vec<String>,
    /// Ask the running server at this address instead of opening a file.
    #[arg(long)]
    pub url: Option<String>,
    /// With --url: read the bearer token from this file (else from CITAIL_TOKEN).
    #[arg(long, requires = "url")]
    pub token_file: Option<PathBuf>,
    /// Most rows read, the newest (as the dispatch does).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Retention: rows older than this are not counted. Match the server's setting.
    #[arg(long, value_parser = parse_retention_ms, default_value = "14d")]
    pub retention: u64,
    /// Print JSON for scripts instead of text for people.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// `owner/name`.
    #[arg(long)]
    pub repo: String,
    /// The commit: 40 or 64 hex digits.
    #[arg(long)]
    pub sha: String,
    /// The step's name.
    #[arg(long)]
    pub step: String,
    /// The workflow run id.
    #[arg(long, default_value = "local")]
    pub run: String,
    /// The job id.
    #[arg(long, default_value = "local")]
    pub job: String,
    /// How the step ended.
    #[arg(long, default_value = "failure")]
    pub conclusion: String,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Prune as if it were this time: RFC 3339 (`2026-12-01T00:00:00Z`) or epoch milliseconds.
    #[arg(long, value_parser = parse_time_ms)]
    pub now: Option<u64>,
    /// Retention: rows older than this are deleted. Match the server's setting.
    #[arg(long, value_parser = parse_retention_ms, default_value = "14d")]
    pub retention: u64,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The store file.
    pub file: PathBuf,
    /// Only rows of this repo (`owner/name`).
    #[arg(long)]
    pub repo: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub file: FileArgs,
}

/// A retention: a duration of at least one millisecond (a store keeps rows for some time).
///
/// # Errors
/// As [`parse_duration_ms`], and for a zero duration.
pub fn parse_retention_ms(text: &str) -> Result<u64, String> {
    match parse_duration_ms(text)? {
        0 => Err("a retention must be longer than 0 (e.g. 14d)".to_owned()),
        ms => Ok(ms),
    }
}

/// `90s`, `15m`, `2h`, `14d`, `1w` → milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} has no unit: write e.g. 90s, 15m, 2h, 14d or 1w"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} does not start with a number"))?;
    let unit_ms: u64 = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        other => return Err(format!("unknown unit {other:?}: use s, m, h, d or w")),
    };
    number
        .checked_mul(unit_ms)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// RFC 3339 or epoch milliseconds → epoch milliseconds.
pub fn parse_time_ms(text: &str) -> Result<u64, String> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let time = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("{text:?} is neither RFC 3339 nor epoch milliseconds: {e}"))?;
    u64::try_from(time.timestamp_millis()).map_err(|_| format!("{text:?} is before 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_parse_or_say_why_not() {
        assert_eq!(parse_duration_ms("90s"), Ok(90_000));
        assert_eq!(parse_duration_ms("14d"), Ok(14 * 86_400_000));
        assert!(parse_duration_ms("14").is_err_and(|e| e.contains("no unit")));
        assert!(parse_duration_ms("3y").is_err_and(|e| e.contains("unknown unit")));
        assert!(parse_duration_ms("d").is_err());
        assert!(parse_duration_ms("99999999999999999999w").is_err());
        assert!(parse_retention_ms("0s").is_err_and(|e| e.contains("longer than 0")));
        assert_eq!(parse_retention_ms("1s"), Ok(1000));
        assert_eq!(parse_time_ms("1000"), Ok(1000));
        assert_eq!(parse_time_ms("1970-01-01T00:00:01Z"), Ok(1000));
        assert!(parse_time_ms("yesterday").is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
