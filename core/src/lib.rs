//! citail keeps the last lines of failed CI steps so a fix-CI agent can read them.
//!
//! A [`Store`] is a redb file of log tails keyed by `(repo, head_sha, created_at)`. Ingesting a
//! [`NewLog`] validates it, keeps its tail ([`truncate_tail`]: last 200 lines or 32 KiB by
//! default) and replaces any earlier row for the same step. [`Store::logs_for`] returns the rows
//! of one commit, oldest first, and [`render_prompt_block`] turns them into the text appended to
//! the agent's prompt. [`Store::prune`] deletes rows past their retention (14 days by default).
//!
//! ```
//! use citail::{NewLog, Options, Store};
//! # let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path().join("ci-logs.redb"), Options::default())?;
//! let sha = "0123456789abcdef0123456789abcdef01234567";
//! store.ingest(&NewLog {
//!     repo: "acme/widgets", run_id: "812", job_id: "3", step_name: "test",
//!     head_sha: sha, conclusion: "failure",
//!     log_tail: "running 3 tests\ntest parse ... FAILED\n", ..Default::default()
//! })?;
//! let rows = store.logs_for("acme/widgets", sha)?;
//! let prompt = citail::render_prompt_block(&rows, 64 * 1024);
//! assert!(prompt.contains("test parse ... FAILED"));
//! # Ok::<(), citail::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::dbg_macro
)]
#![warn(clippy::pedantic)]
#![allow(
    clippy::module_name_repetitions,
    clippy::must_use_candidate,
    clippy::doc_markdown
)]

// Shared by the three rooms below: the models, the options and the errors.
mod clock;
mod error;
mod model;
mod options;

// Text in: validate → normalise → redact → highlight → truncate.
mod ingest;
// Storage: the redb file and everything that reads or writes it.
mod storage;
// Text out: the prompt block.
mod prompt;

pub use clock::now_ms;
pub use error::{Error, Result};
pub use ingest::fingerprint::{fingerprint, FINGERPRINT_VERSION};
pub use ingest::highlight::{
    find_highlights, Highlighter, MatcherPattern, ProblemMatcher, MAX_HIGHLIGHT_LINE_BYTES,
};
pub use ingest::normalize::normalize;
pub use ingest::pipeline::{masked_at_source, Pipeline, Processed, SOURCE_MASKS};
pub use ingest::redact::{redact_secrets, RedactPattern, Redacted, Redactor};
pub use ingest::truncate::{count_lines, truncate_tail};
pub use model::{
    CiLog, FailureHistory, Highlight, Ingested, NewLog, OlderSteps, PromptContext, SeenOn, Stats,
    StepRef,
};
pub use options::{Options, MAX_INPUT_BYTES_LIMIT};
pub use prompt::render::{
    render_prompt_block, render_prompt_block_noting, render_prompt_block_with,
};
pub use storage::check::{CheckReport, Problem};
pub use storage::compact::{compact, Compaction};
pub use storage::dump::ExportedRow;
pub use storage::read_only::ReadOnlyStore;
pub use storage::recover::Recovery;
pub use storage::scan::{CommitSummary, RowFilter, Rows};
pub use storage::schema::SCHEMA_VERSION;
pub use storage::store::{CommitStats, Store, Ticket};

/// Property-test case count: `CITAIL_PROPTEST_CASES` when set (the test command sets 4096), else
/// `default`.
#[cfg(test)]
pub(crate) fn proptest_cases(default: u32) -> u32 {
    std::env::var("CITAIL_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Entry points for the fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    /// Decodes a stored row value: `Ok` or [`Error::Corrupt`](crate::Error::Corrupt), never a
    /// panic.
    ///
    /// # Errors
    /// When `bytes` are not a row value.
    pub fn decode_row(bytes: &[u8]) -> crate::Result<()> {
        crate::storage::layout::RowValue::decode(bytes).map(|_| ())
    }

    /// Decodes a stored highlight list; returns how many it holds.
    ///
    /// # Errors
    /// When `bytes` are not a highlight list.
    pub fn decode_highlights(bytes: &[u8]) -> crate::Result<usize> {
        crate::storage::layout::decode_highlights(bytes).map(|h| h.len())
    }

    /// Decodes a stored, zstd-compressed highlight list; returns how many it holds.
    ///
    /// # Errors
    /// When `bytes` are not a compressed highlight list.
    pub fn decode_compressed_highlights(bytes: &[u8]) -> crate::Result<usize> {
        crate::storage::layout::decode_compressed_highlights(bytes).map(|h| h.len())
    }

    /// Decompresses a stored tail that must be `tail_bytes` long; returns its length.
    ///
    /// # Errors
    /// When `compressed` is not a zstd frame of exactly `tail_bytes` bytes.
    pub fn decompress_tail(compressed: &[u8], tail_bytes: usize) -> crate::Result<usize> {
        crate::storage::layout::decompress(compressed, tail_bytes).map(|t| t.len())
    }
}

/// The crate README's Rust snippet, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
