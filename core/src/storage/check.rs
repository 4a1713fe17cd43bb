//! The consistency check behind `citail check`: every invariant of [`layout`](crate::storage::layout), verified
//! over one snapshot.

use crate::error::Result;
use crate::storage::layout::{
    RowValue, BY_FINGERPRINT, BY_TIME, HIGHLIGHTS, IDENTITY, META, META_NEXT_ID, META_ROWS,
    META_STORED_BYTES, ROWS, TAILS, ZHIGHLIGHTS, ZTAILS,
};
use crate::storage::scan::RowReader;
use crate::storage::tables::meta_get;
use redb::{ReadTransaction, ReadableTable};
use std::collections::HashSet;

/// Most problems a report lists; past it, [`CheckReport::more_problems`] counts the rest.
const MAX_LISTED: usize = 1000;

/// One broken invariant found by [`Store::check`](crate::Store::check).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// A row's value, tail or highlights do not decode.
    #[error("row {id} ({repo} {head_sha}): {detail}")]
    UnreadableRow {
        /// The row's id.
        id: u64,
        /// Its repo.
        repo: String,
        /// Its commit.
        head_sha: String,
        /// What failed.
        detail: String,
    },
    /// A row has no time-index entry (prune would never delete it), or the entry names another
    /// commit.
    #[error("row {id}: no matching time-index entry")]
    MissingTimeEntry {
        /// The row's id.
        id: u64,
    },
    /// A row's step identity does not point back at it (a re-post would not replace it).
    #[error("row {id}: its step identity does not point at it")]
    MissingIdentity {
        /// The row's id.
        id: u64,
    },
    /// A row with a fingerprint has no entry in the failure-memory index (history lookups would
    /// not find it).
    #[error("row {id}: no matching failure-memory entry")]
    MissingFingerprintEntry {
        /// The row's id.
        id: u64,
    },
    /// A failure-memory entry points at no row, or at a row without that fingerprint.
    #[error("failure-memory entry ({created_at}, {id}) points at no row with its fingerprint")]
    DanglingFingerprintEntry {
        /// The entry's `created_at`.
        created_at: u64,
        /// The entry's id.
        id: u64,
    },
    /// A time-index entry points at no row.
    #[error("time-index entry ({created_at}, {id}) points at no row")]
    DanglingTimeEntry {
        /// The entry's `created_at`.
        created_at: u64,
        /// The entry's id.
        id: u64,
    },
    /// A step identity points at no row, or at a row of another step.
    #[error("identity {repo} {head_sha} {step_name:?} points at no row (id {id})")]
    DanglingIdentity {
        /// The identity's repo.
        repo: String,
        /// The identity's commit.
        head_sha: String,
        /// The identity's step.
        step_name: String,
        /// The id it points at.
        id: u64,
    },
    /// Tail chunks or highlights of an id with no row.
    #[error("{table}: entries of id {id}, which has no row")]
    Orphan {
        /// The table holding them.
        table: &'static str,
        /// The id.
        id: u64,
    },
    /// Two rows share an id.
    #[error("id {id} is used by more than one row")]
    DuplicateId {
        /// The id.
        id: u64,
    },
    /// A row's id is not below the file's next id: a later ingest could reuse it.
    #[error("row {id} is not below next_id {next_id}")]
    IdNotBelowNext {
        /// The row's id.
        id: u64,
        /// The recorded next id.
        next_id: u64,
    },
    /// A `meta` counter disagrees with the rows.
    #[error("counter {counter} records {recorded}, the rows add up to {actual}")]
    CounterMismatch {
        /// The counter's name.
        counter: &'static str,
        /// The recorded value.
        recorded: u64,
        /// What the rows add up to.
        actual: u64,
    },
}

/// What [`Store::check`](crate::Store::check) found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Rows examined.
    pub rows_checked: u64,
    /// The first 1,000 problems found, in the order found; empty for a healthy store.
    pub problems: Vec<Problem>,
    /// Problems found beyond those listed.
    pub more_problems: u64,
}

impl CheckReport {
    /// Whether no problem was found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    fn push(&mut self, problem: Problem) {
        if self.problems.len() < MAX_LISTED {
            self.problems.push(problem);
        } else {
            self.more_problems += 1;
        }
    }
}

/// Checks every invariant over the snapshot `tx`; `progress` gets the rows checked so far.
pub(crate) fn check(tx: &ReadTransaction, progress: &mut dyn FnMut(u64)) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    let (ids, stored_bytes) = check_rows(tx, &mut report, progress)?;
    check_indexes(tx, &mut report)?;
    check_orphans(tx, &ids, &mut report)?;
    let meta = tx.open_table(META)?;
    for (counter, actual) in [
        (META_ROWS, report.rows_checked),
        (META_STORED_BYTES, stored_bytes),
    ] {
        let recorded = meta_get(&meta, counter)?;
        if recorded != actual {
            report.push(Problem::CounterMismatch {
                counter,
                recorded,
                actual,
            });
        }
    }
    Ok(report)
}

/// Each row: unique id below `next_id`, decodable value, tail and highlights, and index entries
/// pointing back. Returns the ids seen and the sum of their tail bytes.
fn check_rows(
    tx: &ReadTransaction,
    report: &mut CheckReport,
    progress: &mut dyn FnMut(u64),
) -> Result<(HashSet<u64>, u64)> {
    let rows = tx.open_table(ROWS)?;
    let by_time = tx.open_table(BY_TIME)?;
    let identities = tx.open_table(IDENTITY)?;
    let by_fingerprint = tx.open_table(BY_FINGERPRINT)?;
    let reader = RowReader::open(tx)?;
    let next_id = meta_get(&tx.open_table(META)?, META_NEXT_ID)?;
    let mut ids = HashSet::new();
    let mut stored_bytes = 0u64;
    for entry in rows.iter()? {
        let (key, value) = entry?;
        let (repo, sha, created_at, id) = key.value();
        report.rows_checked += 1;
        progress(report.rows_checked);
        if !ids.insert(id) {
            report.push(Problem::DuplicateId { id });
        }
        if id >= next_id {
            report.push(Problem::IdNotBelowNext { id, next_id });
        }
        let unreadable = |detail: String| Problem::UnreadableRow {
            id,
            repo: repo.to_owned(),
            head_sha: sha.to_owned(),
            detail,
        };
        let row = match RowValue::decode(value.value()) {
            Ok(row) => row,
            Err(err) => {
                report.push(unreadable(err.to_string()));
                continue;
            }
        };
        stored_bytes += row.tail_bytes;
        if let Err(err) = reader.tail(id, row.tail_bytes) {
            report.push(unreadable(err.to_string()));
        }
        if let Err(err) = reader.highlights(id) {
            report.push(unreadable(err.to_string()));
        }
        let time_entry = by_time.get((created_at, id))?;
        if time_entry.is_none_or(|g| g.value() != (repo, sha)) {
            report.push(Problem::MissingTimeEntry { id });
        }
        let run = row.identity_run();
        let identity = identities
            .get(row.identity(repo, sha, &run))?
            .map(|g| g.value());
        if identity != Some((created_at, id)) {
            report.push(Problem::MissingIdentity { id });
        }
        if let Some(fingerprint) = &row.extras.fingerprint {
            let entry = by_fingerprint.get((repo, fingerprint.as_str(), created_at, id))?;
            if entry.is_none_or(|g| g.value() != sha) {
                report.push(Problem::MissingFingerprintEntry { id });
            }
        }
    }
    Ok((ids, stored_bytes))
}

/// Each time-index and identity entry points at a row (of its step, for an identity).
fn check_indexes(tx: &ReadTransaction, report: &mut CheckReport) -> Result<()> {
    let rows = tx.open_table(ROWS)?;
    for entry in tx.open_table(BY_TIME)?.iter()? {
        let (key, value) = entry?;
        let (created_at, id) = key.value();
        let (repo, sha) = value.value();
        if rows.get((repo, sha, created_at, id))?.is_none() {
            report.push(Problem::DanglingTimeEntry { created_at, id });
        }
    }
    for entry in tx.open_table(IDENTITY)?.iter()? {
        let (key, value) = entry?;
        let (repo, sha, run, job_id, step_name) = key.value();
        let (created_at, id) = value.value();
        let points_back = match rows.get((repo, sha, created_at, id))? {
            Some(guard) => RowValue::decode(guard.value()).is_ok_and(|row| {
                row.identity_run() == run && row.job_id == job_id && row.step_name == step_name
            }),
            None => false,
        };
        if !points_back {
            report.push(Problem::DanglingIdentity {
                repo: repo.to_owned(),
                head_sha: sha.to_owned(),
                step_name: step_name.to_owned(),
                id,
            });
        }
    }
    for entry in tx.open_table(BY_FINGERPRINT)?.iter()? {
        let (key, value) = entry?;
        let (repo, fingerprint, created_at, id) = key.value();
        let sha = value.value();
        let points_back = match rows.get((repo, sha, created_at, id))? {
            Some(guard) => RowValue::decode(guard.value())
                .is_ok_and(|row| row.extras.fingerprint.as_deref() == Some(fingerprint)),
            None => false,
        };
        if !points_back {
            report.push(Problem::DanglingFingerprintEntry { created_at, id });
        }
    }
    Ok(())
}

/// No tail chunk or highlight list belongs to an id without a row.
fn check_orphans(tx: &ReadTransaction, ids: &HashSet<u64>, report: &mut CheckReport) -> Result<()> {
    for (table, definition) in [("tails", TAILS), ("tails_zstd", ZTAILS)] {
        let mut last = None;
        for entry in tx.open_table(definition)?.iter()? {
            let id = entry?.0.value().0;
            if last != Some(id) && !ids.contains(&id) {
                report.push(Problem::Orphan { table, id });
            }
            last = Some(id);
        }
    }
    for (table, definition) in [("highlights", HIGHLIGHTS), ("highlights_zstd", ZHIGHLIGHTS)] {
        for entry in tx.open_table(definition)?.iter()? {
            let id = entry?.0.value();
            if !ids.contains(&id) {
                report.push(Problem::Orphan { table, id });
            }
        }
    }
    Ok(())
}
