//! The read operations over one redb snapshot (a `ReadTransaction`), shared by
//! [`Store`](crate::Store), which reads through its writable database, and
//! [`ReadOnlyStore`](crate::ReadOnlyStore), which opens the file without writing to it.
//!
//! Invariant: nothing here writes; every function sees one consistent snapshot.

use crate::error::{Error, Result};
use crate::ingest::validate::{normalize_sha, validate_repo};
use crate::model::{CiLog, OlderSteps, Stats, StepRef};
use crate::storage::layout::RowValue;
use crate::storage::layout::{BY_TIME, META, META_ROWS, META_SCHEMA, META_STORED_BYTES, ROWS};
use crate::storage::scan::RowReader;
use crate::storage::tables::{meta_get, RowKey};
use redb::{ReadTransaction, ReadableTable};
use std::path::Path;

/// A lookup's checked arguments: the lowercase SHA, and the oldest `created_at` still live at
/// `now_ms` under `retention_ms`.
///
/// # Errors
/// [`Error::InvalidField`] for a malformed `repo` or `head_sha`.
pub(crate) fn lookup_bounds(
    repo: &str,
    head_sha: &str,
    now_ms: u64,
    retention_ms: u64,
) -> Result<(String, u64)> {
    validate_repo(repo)?;
    let sha = normalize_sha(head_sha)?;
    Ok((sha, now_ms.saturating_sub(retention_ms)))
}

/// The keys in `rows` of the rows of (repo, sha) created at or after `cutoff`, oldest first.
pub(crate) fn live_rows<'a>(
    repo: &'a str,
    sha: &'a str,
    cutoff: u64,
) -> std::ops::RangeInclusive<RowKey<'a>> {
    (repo, sha, cutoff, 0)..=(repo, sha, u64::MAX, u64::MAX)
}

/// Whether (repo, sha) has a row created at or after `cutoff`: one index key, no row value.
pub(crate) fn has_rows(tx: &ReadTransaction, repo: &str, sha: &str, cutoff: u64) -> Result<bool> {
    let rows = tx.open_table(ROWS)?;
    let first = rows
        .range(live_rows(repo, sha, cutoff))?
        .next()
        .transpose()?;
    Ok(first.is_some())
}

/// The newest `limit` rows of (repo, sha) created at or after `cutoff`, returned oldest first;
/// the read stops at `limit`.
pub(crate) fn recent_rows(
    tx: &ReadTransaction,
    repo: &str,
    sha: &str,
    cutoff: u64,
    limit: usize,
) -> Result<Vec<CiLog>> {
    let rows = tx.open_table(ROWS)?;
    let reader = RowReader::open(tx)?;
    let mut out = Vec::new();
    for entry in rows.range(live_rows(repo, sha, cutoff))?.rev().take(limit) {
        let (key, value) = entry?;
        out.push(reader.row(key.value(), value.value())?);
    }
    out.reverse();
    Ok(out)
}

/// The live rows of (repo, sha) whose key sorts before `(before_created_at, before_id)`: all
/// counted from their keys, the newest `names` of them decoded (without their tails), so the
/// cost is one key per row plus `names` row values.
pub(crate) fn steps_before(
    tx: &ReadTransaction,
    repo: &str,
    sha: &str,
    cutoff: u64,
    before: (u64, u64),
    names: usize,
) -> Result<OlderSteps> {
    let rows = tx.open_table(ROWS)?;
    let (created_at, id) = before;
    if created_at < cutoff || (created_at, id) == (cutoff, 0) {
        return Ok(OlderSteps::default());
    }
    let end: RowKey<'_> = if id == 0 {
        (repo, sha, created_at - 1, u64::MAX)
    } else {
        (repo, sha, created_at, id - 1)
    };
    let mut out = OlderSteps::default();
    for entry in rows.range((repo, sha, cutoff, 0)..=end)?.rev() {
        let (key, value) = entry?;
        out.count += 1;
        if out.newest.len() < names {
            let (_, _, created_at, id) = key.value();
            let row = RowValue::decode(value.value())?;
            out.newest.push(StepRef {
                id,
                created_at,
                run_id: row.run_id,
                job_id: row.job_id,
                step_name: row.step_name,
                conclusion: row.conclusion,
            });
        }
    }
    out.newest.reverse();
    Ok(out)
}

/// The counters and the time span of the snapshot; `file_bytes` is left 0 for the caller, who
/// knows the file.
pub(crate) fn stats(tx: &ReadTransaction) -> Result<Stats> {
    let meta = tx.open_table(META)?;
    let by_time = tx.open_table(BY_TIME)?;
    let oldest = by_time.first()?.map(|(key, _)| key.value().0);
    let newest = by_time.last()?.map(|(key, _)| key.value().0);
    Ok(Stats {
        schema_version: meta_get(&meta, META_SCHEMA)?,
        rows: meta_get(&meta, META_ROWS)?,
        stored_bytes: meta_get(&meta, META_STORED_BYTES)?,
        oldest_created_at: oldest,
        newest_created_at: newest,
        file_bytes: 0,
    })
}

/// The schema version the snapshot's `meta` table records; `None` when the file has no `meta`
/// table (no citail tables at all): each caller says what that means for it.
///
/// # Errors
/// Storage errors; [`Error::Corrupt`] when `meta` holds no version.
pub(crate) fn schema_version(tx: &ReadTransaction) -> Result<Option<u64>> {
    match tx.open_table(META) {
        Ok(meta) => meta_get(&meta, META_SCHEMA).map(Some),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// The size of the file at `path`.
///
/// # Errors
/// [`Error::File`] when it cannot be read.
pub(crate) fn file_bytes(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .map_err(|e| Error::Io(e).at("stat", path))?
        .len())
}
