//! Failure memory: the live rows of a repository that failed the way a given row did, read
//! from the `by_fingerprint` index over one snapshot.
//!
//! Invariant: only rows with the same fingerprint (same version, same step, same masked
//! failure lines) are ever named as the same failure; a row without a fingerprint has no
//! history. Each lookup reads at most [`MAX_MATCHES`] index entries and decodes one row value
//! per distinct commit among them, so a failure seen on every commit for 14 days costs a
//! bounded read.

use crate::error::Result;
use crate::model::{CiLog, FailureHistory, SeenOn};
use crate::storage::layout::{RowValue, BY_FINGERPRINT, ROWS};
use redb::ReadTransaction;
use std::collections::HashSet;

/// Index entries read per row, newest first; past it the count of other commits is a lower
/// bound (`other_commits_capped`).
pub(crate) const MAX_MATCHES: usize = 2_000;

/// Branches named per history.
const MAX_REFS: usize = 5;

/// The history of each of `rows` (in their order), counting rows created at or after `cutoff`.
pub(crate) fn history(
    tx: &ReadTransaction,
    rows: &[CiLog],
    cutoff: u64,
) -> Result<Vec<FailureHistory>> {
    let index = tx.open_table(BY_FINGERPRINT)?;
    let values = tx.open_table(ROWS)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut found = FailureHistory {
            id: row.id,
            fingerprint: row.fingerprint.clone(),
            ..FailureHistory::default()
        };
        let Some(fingerprint) = row.fingerprint.as_deref() else {
            out.push(found);
            continue;
        };
        let repo = row.repo.as_str();
        let range = (repo, fingerprint, cutoff, 0)..=(repo, fingerprint, u64::MAX, u64::MAX);
        let mut commits: HashSet<String> = HashSet::new();
        for (read, entry) in index.range(range)?.rev().enumerate() {
            if read == MAX_MATCHES {
                found.other_commits_capped = true;
                break;
            }
            let (key, sha) = entry?;
            let (_, _, created_at, id) = key.value();
            let sha = sha.value();
            if id == row.id {
                continue;
            }
            if sha == row.head_sha {
                let Some(value) = values.get((repo, sha, created_at, id))? else {
                    continue;
                };
                let other = RowValue::decode(value.value())?;
                let attempt = |a: Option<u32>| a.unwrap_or(1);
                if other.run_id == row.run_id
                    && attempt(other.extras.run_attempt) < attempt(row.run_attempt)
                {
                    found.earlier_attempts += 1;
                }
                continue;
            }
            if !commits.insert(sha.to_owned()) {
                continue;
            }
            let git_ref = match values.get((repo, sha, created_at, id))? {
                Some(value) => RowValue::decode(value.value())?.extras.git_ref,
                None => None,
            };
            let seen = SeenOn {
                head_sha: sha.to_owned(),
                git_ref,
                created_at,
            };
            if let Some(name) = &seen.git_ref {
                if found.refs.len() < MAX_REFS && !found.refs.contains(name) {
                    found.refs.push(name.clone());
                }
            }
            if found.same_branch.is_none()
                && row.git_ref.is_some()
                && seen.git_ref == row.git_ref
                && created_at < row.created_at
            {
                found.same_branch = Some(seen.clone());
            }
            if found.newest.is_none() {
                found.newest = Some(seen.clone());
            }
            found.first = Some(seen);
        }
        found.other_commits = commits.len() as u64;
        out.push(found);
    }
    Ok(out)
}
