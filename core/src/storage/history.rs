//! Failure memory: the live rows of a repository that failed the way a given row did, read
//! from the `by_fingerprint` index over one snapshot.
//!
//! Invariant: only rows with the same fingerprint (same version, same step, same masked
//! failure lines) are ever named as the same failure; a row without a fingerprint has no
//! history. Each lookup reads at most [`MAX_MATCHES`] index entries and decodes one row value
//! per distinct commit among them, so a failure seen on every commit for 14 days costs a
//! bounded read; rows of one commit with one fingerprint (a retry loop's) share the read, and
//! the same commit's rows are decoded only to count a later attempt's earlier ones.

use crate::error::Result;
use crate::model::{CiLog, FailureHistory, SeenOn};
use crate::storage::layout::{RowValue, BY_FINGERPRINT, ROWS};
use redb::{ReadOnlyTable, ReadTransaction};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// Index entries read per row, newest first; past it the count of other commits is a lower
/// bound (`other_commits_capped`).
pub(crate) const MAX_MATCHES: usize = 2_000;

/// Branches named per history.
const MAX_REFS: usize = 5;

/// What one scan of the index found for a (fingerprint, commit): the other commits with that
/// fingerprint, newest first, each at its newest row; and the rows of the same commit.
struct Scan {
    commits: Vec<SeenOn>,
    capped: bool,
    /// `(created_at, id)` of the same commit's rows with the fingerprint.
    same_commit: Vec<(u64, u64)>,
}

/// The history of each of `rows` (in their order), counting rows created at or after `cutoff`.
/// Rows that share a fingerprint and a commit (a retry loop's) share one scan of the index.
pub(crate) fn history(
    tx: &ReadTransaction,
    rows: &[CiLog],
    cutoff: u64,
) -> Result<Vec<FailureHistory>> {
    let index = tx.open_table(BY_FINGERPRINT)?;
    let values = tx.open_table(ROWS)?;
    let mut scans: HashMap<(&str, &str, &str), Scan> = HashMap::new();
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
        let key = (repo, fingerprint, row.head_sha.as_str());
        let scan = match scans.entry(key) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(scan(&index, &values, key, cutoff)?),
        };
        found.other_commits = scan.commits.len() as u64;
        found.other_commits_capped = scan.capped;
        found.newest = scan.commits.first().cloned();
        found.first = scan.commits.last().cloned();
        for seen in &scan.commits {
            if let Some(name) = &seen.git_ref {
                if found.refs.len() < MAX_REFS && !found.refs.contains(name) {
                    found.refs.push(name.clone());
                }
            }
        }
        if row.git_ref.is_some() {
            found.same_branch = scan
                .commits
                .iter()
                .find(|seen| seen.git_ref == row.git_ref && seen.created_at < row.created_at)
                .cloned();
        }
        // Only a second or later attempt has earlier ones; their row values are read then.
        let attempt = |a: Option<u32>| a.unwrap_or(1);
        if attempt(row.run_attempt) > 1 {
            for &(created_at, id) in &scan.same_commit {
                if id == row.id {
                    continue;
                }
                let Some(value) = values.get((repo, row.head_sha.as_str(), created_at, id))? else {
                    continue;
                };
                let other = RowValue::decode(value.value())?;
                if other.run_id == row.run_id
                    && attempt(other.extras.run_attempt) < attempt(row.run_attempt)
                {
                    found.earlier_attempts += 1;
                }
            }
        }
        out.push(found);
    }
    Ok(out)
}

/// Reads the index entries of (repo, fingerprint) newest first, at most [`MAX_MATCHES`]: the
/// other commits (one row value read per commit, for its ref) and the same commit's rows.
fn scan(
    index: &ReadOnlyTable<(&'static str, &'static str, u64, u64), &'static str>,
    values: &ReadOnlyTable<(&'static str, &'static str, u64, u64), &'static [u8]>,
    (repo, fingerprint, head_sha): (&str, &str, &str),
    cutoff: u64,
) -> Result<Scan> {
    let mut found = Scan {
        commits: Vec::new(),
        capped: false,
        same_commit: Vec::new(),
    };
    let mut seen_commits: HashSet<String> = HashSet::new();
    let range = (repo, fingerprint, cutoff, 0)..=(repo, fingerprint, u64::MAX, u64::MAX);
    for (read, entry) in index.range(range)?.rev().enumerate() {
        if read == MAX_MATCHES {
            found.capped = true;
            break;
        }
        let (key, sha) = entry?;
        let (_, _, created_at, id) = key.value();
        let sha = sha.value();
        if sha == head_sha {
            found.same_commit.push((created_at, id));
            continue;
        }
        if !seen_commits.insert(sha.to_owned()) {
            continue;
        }
        let git_ref = match values.get((repo, sha, created_at, id))? {
            Some(value) => RowValue::decode(value.value())?.extras.git_ref,
            None => None,
        };
        found.commits.push(SeenOn {
            head_sha: sha.to_owned(),
            git_ref,
            created_at,
        });
    }
    Ok(found)
}
