//! Rows as they leave and re-enter a store: [`ExportedRow`], one per line of an export, and the
//! checks an imported row goes through.

use crate::error::{Error, Result};
use crate::ingest::highlight::{cap, clip};
use crate::ingest::pipeline::Pipeline;
use crate::ingest::truncate::truncate_tail;
use crate::model::{CiLog, Highlight};
use serde::{Deserialize, Serialize};

/// Every field of a stored row except its id (ids are local to a file), in a form serde can
/// write and read: the unit of `citail export` / `citail import` (one JSON object per line).
///
/// Exporting a store and importing the rows into an empty one gives a store whose export is
/// byte-identical: rows keep their `created_at`, tails, highlights and counts, and come back in
/// the same order.
///
/// ```
/// let row = citail::ExportedRow {
///     repo: "acme/app".into(), head_sha: "a".repeat(40), run_id: "1".into(),
///     job_id: "2".into(), step_name: "test".into(), conclusion: "failure".into(),
///     created_at: 1_700_000_000_000, truncated: false, original_bytes: 5, original_lines: 1,
///     log_tail: "boom\n".into(), highlights: vec![], ..Default::default()
/// };
/// # let dir = tempfile::tempdir()?;
/// let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
/// store.import(&row)?;
/// let back = store.rows(&citail::RowFilter::default())?.next().expect("one row")?;
/// assert_eq!(citail::ExportedRow::from(back), row);
/// # Ok::<(), citail::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedRow {
    /// `<owner>/<name>`.
    pub repo: String,
    /// The commit, lowercase hex.
    pub head_sha: String,
    /// Workflow run id.
    pub run_id: String,
    /// Job id.
    pub job_id: String,
    /// Step name.
    pub step_name: String,
    /// How the step ended.
    pub conclusion: String,
    /// Creation time, epoch milliseconds; kept on import.
    pub created_at: u64,
    /// Whether `log_tail` is shorter than what was posted.
    pub truncated: bool,
    /// Bytes posted.
    pub original_bytes: u64,
    /// Lines posted.
    pub original_lines: u64,
    /// The stored tail.
    pub log_tail: String,
    /// The stored failure highlights.
    pub highlights: Vec<Highlight>,
    /// The branch or tag the run was for, when it was sent (`ref`; omitted when absent, so an
    /// export of rows without it reads as before schema 5).
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// The run attempt, when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_attempt: Option<u32>,
    /// The command the step ran, when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl From<CiLog> for ExportedRow {
    fn from(row: CiLog) -> Self {
        ExportedRow {
            repo: row.repo,
            head_sha: row.head_sha,
            run_id: row.run_id,
            job_id: row.job_id,
            step_name: row.step_name,
            conclusion: row.conclusion,
            created_at: row.created_at,
            truncated: row.truncated,
            original_bytes: row.original_bytes as u64,
            original_lines: row.original_lines as u64,
            log_tail: row.log_tail,
            highlights: row.highlights,
            git_ref: row.git_ref,
            run_attempt: row.run_attempt,
            command: row.command,
        }
    }
}

/// An imported row's tail and highlights after the checks of
/// [`Store::import`](crate::Store::import).
pub(crate) struct CleanedImport {
    pub tail: String,
    pub truncated: bool,
    pub highlights: Vec<Highlight>,
    pub redactions: usize,
}

/// Cleans an imported row's text as an ingest would (escapes resolved, secrets redacted, the
/// tail within the store's caps) and checks its highlights: lines numbered from 1 and
/// increasing, each one line, counted at least once; kept within the store's highlight caps.
pub(crate) fn clean_import(pipeline: &Pipeline, row: &ExportedRow) -> Result<CleanedImport> {
    let (text, mut redactions) = pipeline.clean_imported(&row.log_tail);
    let (max_lines, max_bytes) = pipeline.tail_caps();
    let tail = truncate_tail(&text, max_lines, max_bytes);
    let truncated = row.truncated || tail.len() != text.len();
    let tail = tail.to_owned();
    let mut previous = 0;
    let mut highlights = Vec::with_capacity(row.highlights.len());
    for h in &row.highlights {
        if h.line <= previous {
            return Err(Error::invalid(
                "highlights",
                format!(
                    "line {} after line {previous}: numbers must increase from 1",
                    h.line
                ),
            ));
        }
        if h.text.contains('\n') || h.repeats == 0 {
            return Err(Error::invalid(
                "highlights",
                format!("line {}: one line of text, repeats at least 1", h.line),
            ));
        }
        previous = h.line;
        let (text, found) = pipeline.clean_imported(&h.text);
        redactions += found;
        highlights.push(Highlight {
            line: h.line,
            text: clip(&text).to_owned(),
            repeats: h.repeats,
        });
    }
    let (max_highlights, max_highlight_bytes) = pipeline.highlight_caps();
    Ok(CleanedImport {
        tail,
        truncated,
        highlights: cap(highlights, max_highlights, max_highlight_bytes),
        redactions,
    })
}
