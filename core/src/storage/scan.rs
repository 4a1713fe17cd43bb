//! Reading many rows: [`Rows`], every stored row in key order (for export and tools), and
//! [`CommitSummary`], the recent commits with rows (for `citail list`).

use crate::error::Result;
use crate::model::{CiLog, Highlight};
use crate::storage::layout::{
    get_highlights, get_tail, RowValue, BY_TIME, HIGHLIGHTS, ROWS, TAILS, ZHIGHLIGHTS, ZTAILS,
};
use redb::{ReadOnlyTable, ReadTransaction};
use std::collections::HashSet;

/// Which rows [`Store::rows`](crate::Store::rows) and [`Store::commits`](crate::Store::commits)
/// look at. The default is every stored row, expired-but-unpruned ones included.
///
/// ```
/// let filter = citail::RowFilter::default().repo("acme/app").since(1_700_000_000_000);
/// assert_eq!(filter.get_repo(), Some("acme/app"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    repo: Option<String>,
    since_ms: Option<u64>,
}

impl RowFilter {
    /// Only rows of this repo (`<owner>/<name>`).
    #[must_use]
    pub fn repo(mut self, repo: impl Into<String>) -> Self {
        self.repo = Some(repo.into());
        self
    }

    /// Only rows with `created_at >= since_ms`.
    #[must_use]
    pub fn since(mut self, since_ms: u64) -> Self {
        self.since_ms = Some(since_ms);
        self
    }

    /// The repo filter, if any.
    pub fn get_repo(&self) -> Option<&str> {
        self.repo.as_deref()
    }

    /// The time filter, if any.
    pub fn get_since(&self) -> Option<u64> {
        self.since_ms
    }

    fn admits(&self, repo: &str, created_at: u64) -> bool {
        self.repo.as_deref().is_none_or(|r| r == repo)
            && self.since_ms.is_none_or(|since| created_at >= since)
    }
}

/// The tables a row's tail and highlights are read from, opened in one read transaction.
pub(crate) struct RowReader {
    tails: ReadOnlyTable<(u64, u32), &'static [u8]>,
    ztails: ReadOnlyTable<(u64, u32), &'static [u8]>,
    highlights: ReadOnlyTable<u64, &'static [u8]>,
    zhighlights: ReadOnlyTable<u64, &'static [u8]>,
}

impl RowReader {
    pub(crate) fn open(tx: &ReadTransaction) -> Result<Self> {
        Ok(RowReader {
            tails: tx.open_table(TAILS)?,
            ztails: tx.open_table(ZTAILS)?,
            highlights: tx.open_table(HIGHLIGHTS)?,
            zhighlights: tx.open_table(ZHIGHLIGHTS)?,
        })
    }

    /// The whole row stored under `key` with value bytes `value`.
    pub(crate) fn row(&self, key: (&str, &str, u64, u64), value: &[u8]) -> Result<CiLog> {
        let (repo, sha, created_at, id) = key;
        let row = RowValue::decode(value)?;
        Ok(CiLog {
            id,
            repo: repo.to_owned(),
            head_sha: sha.to_owned(),
            log_tail: self.tail(id, row.tail_bytes)?,
            highlights: self.highlights(id)?,
            run_id: row.run_id,
            job_id: row.job_id,
            step_name: row.step_name,
            conclusion: row.conclusion,
            created_at,
            truncated: row.truncated,
            original_bytes: to_usize(row.original_bytes),
            original_lines: to_usize(row.original_lines),
            fingerprint: row.extras.fingerprint,
            git_ref: row.extras.git_ref,
            run_attempt: row.extras.run_attempt,
            command: row.extras.command,
        })
    }

    pub(crate) fn tail(&self, id: u64, tail_bytes: u64) -> Result<String> {
        get_tail(&self.ztails, &self.tails, id, tail_bytes)
    }

    pub(crate) fn highlights(&self, id: u64) -> Result<Vec<Highlight>> {
        get_highlights(&self.zhighlights, &self.highlights, id)
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

type RowRange = redb::Range<'static, (&'static str, &'static str, u64, u64), &'static [u8]>;

/// Every row a [`RowFilter`] admits, in key order: by repo, then head SHA, then `created_at`,
/// then id. Reads one snapshot: rows written after [`Store::rows`](crate::Store::rows) returned
/// are not seen, and a long iteration never blocks writers. A damaged row is an `Err` item; the
/// iteration goes on after it.
pub struct Rows {
    range: RowRange,
    reader: RowReader,
    filter: RowFilter,
    done: bool,
}

impl Rows {
    pub(crate) fn new(tx: &ReadTransaction, filter: RowFilter) -> Result<Rows> {
        let rows = tx.open_table(ROWS)?;
        let range = match filter.get_repo() {
            Some(repo) => rows.range((repo, "", 0, 0)..)?,
            None => rows.range::<(&str, &str, u64, u64)>(..)?,
        };
        Ok(Rows {
            range,
            reader: RowReader::open(tx)?,
            filter,
            done: false,
        })
    }
}

impl Iterator for Rows {
    type Item = Result<CiLog>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let (key, value) = match self.range.next()? {
                Ok(entry) => entry,
                Err(err) => return Some(Err(err.into())),
            };
            let (repo, sha, created_at, id) = key.value();
            if self.filter.get_repo().is_some_and(|r| r != repo) {
                // Keys are sorted by repo: past the filtered repo, nothing more matches.
                self.done = true;
                return None;
            }
            if self.filter.admits(repo, created_at) {
                return Some(self.reader.row((repo, sha, created_at, id), value.value()));
            }
        }
        None
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

/// One commit with stored rows, from [`Store::commits`](crate::Store::commits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSummary {
    /// `<owner>/<name>`.
    pub repo: String,
    /// Lowercase hex commit id.
    pub head_sha: String,
    /// Rows stored for the commit (all of them, not only those the filter's `since` admits).
    pub rows: u64,
    /// The oldest row's `created_at`.
    pub oldest_created_at: u64,
    /// The newest row's `created_at`.
    pub newest_created_at: u64,
    /// The steps with a row, in row order (oldest first), each named once.
    pub steps: Vec<String>,
}

/// The `limit` commits with the newest rows that `filter` admits, newest first.
pub(crate) fn commits(
    tx: &ReadTransaction,
    filter: &RowFilter,
    limit: usize,
) -> Result<Vec<CommitSummary>> {
    let by_time = tx.open_table(BY_TIME)?;
    let since = filter.get_since().unwrap_or(0);
    let mut seen = HashSet::new();
    let mut picked: Vec<(String, String)> = Vec::new();
    for entry in by_time.range((since, 0)..)?.rev() {
        if picked.len() >= limit {
            break;
        }
        let (key, value) = entry?;
        let (repo, sha) = value.value();
        if !filter.admits(repo, key.value().0) {
            continue;
        }
        if seen.insert((repo.to_owned(), sha.to_owned())) {
            picked.push((repo.to_owned(), sha.to_owned()));
        }
    }
    let rows = tx.open_table(ROWS)?;
    let mut out = Vec::with_capacity(picked.len());
    for (repo, sha) in picked {
        let mut summary = CommitSummary {
            rows: 0,
            oldest_created_at: u64::MAX,
            newest_created_at: 0,
            steps: Vec::new(),
            repo,
            head_sha: sha,
        };
        let range = (summary.repo.as_str(), summary.head_sha.as_str(), 0, 0)
            ..=(
                summary.repo.as_str(),
                summary.head_sha.as_str(),
                u64::MAX,
                u64::MAX,
            );
        for entry in rows.range(range)? {
            let (key, value) = entry?;
            let created_at = key.value().2;
            let row = RowValue::decode(value.value())?;
            summary.rows += 1;
            summary.oldest_created_at = summary.oldest_created_at.min(created_at);
            summary.newest_created_at = summary.newest_created_at.max(created_at);
            if !summary.steps.contains(&row.step_name) {
                summary.steps.push(row.step_name);
            }
        }
        out.push(summary);
    }
    Ok(out)
}
