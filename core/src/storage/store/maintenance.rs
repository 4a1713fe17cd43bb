//! [`Store`]'s maintenance family: prune by retention in bounded batches, the consistency
//! check, and the totals of group commit.

use super::{CommitStats, Store};
use crate::clock;
use crate::error::Result;
use crate::storage::check::{self, CheckReport};
use crate::storage::commit::Committer;
use crate::storage::tables::WriteTables;
use redb::{Durability, ReadableDatabase, WriteTransaction};

/// Rows deleted per write transaction by [`Store::prune`], so a large backlog never holds the
/// writer for long.
const PRUNE_BATCH: usize = 512;

impl Store {
    /// Deletes rows past retention at the current time. See [`Store::prune_at`].
    ///
    /// # Errors
    /// As [`Store::prune_at`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// # let sha = "e".repeat(40);
    /// # let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "t",
    /// #     head_sha: &sha, conclusion: "failure", log_tail: "", ..Default::default() };
    /// store.ingest_at(&log, 0)?; // created in 1970: long expired
    /// assert_eq!(store.prune()?, 1);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn prune(&self) -> Result<u64> {
        self.prune_at(clock::now_ms())
    }

    /// Deletes every row with `created_at < now_ms - retention` and returns how many.
    ///
    /// Walks the time index, so the cost is proportional to the rows deleted, not the rows kept;
    /// deletes at most 512 rows per transaction, so ingests interleave with a large prune.
    ///
    /// Only the last batch is committed durably (it persists the ones before it): an expired row
    /// is already invisible, so a batch lost to a crash only means those rows are deleted again
    /// by the next prune. After an error, the batches before it stay deleted.
    ///
    /// # Errors
    /// Storage errors.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// # let sha = "a".repeat(40);
    /// # let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "t",
    /// #     head_sha: &sha, conclusion: "failure", log_tail: "", ..Default::default() };
    /// const DAY: u64 = 24 * 60 * 60 * 1000;
    /// store.ingest_at(&log, DAY)?;
    /// assert_eq!(store.prune_at(14 * DAY)?, 0); // exactly 13 days old: kept
    /// assert_eq!(store.prune_at(16 * DAY)?, 1);
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn prune_at(&self, now_ms: u64) -> Result<u64> {
        let cutoff = now_ms.saturating_sub(self.options.get_retention_ms());
        let mut total = 0;
        loop {
            let deleted = self.shared.run("prune", |db| {
                let mut tx = db.begin_write()?;
                tx.set_quick_repair(self.shared.quick_repair());
                let deleted = prune_batch(&tx, cutoff)?;
                if deleted == PRUNE_BATCH || !self.options.get_durable() {
                    tx.set_durability(Durability::None)?;
                }
                tx.commit()?;
                Ok(deleted)
            })?;
            total += deleted as u64;
            if deleted < PRUNE_BATCH {
                return Ok(total);
            }
        }
    }

    /// What group commit has done on this file since it was opened in this process: write
    /// transactions and the rows they carried, and how often the file was reopened after a
    /// failed write. `rows / transactions` is the average group size; it grows with the number
    /// of ingests arriving while a commit is in flight.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// let log = citail::NewLog { repo: "a/b", run_id: "1", job_id: "1", step_name: "t",
    ///     head_sha: &"e".repeat(40), conclusion: "failure", log_tail: "boom\n", ..Default::default() };
    /// store.ingest(&log)?;
    /// let stats = store.commit_stats();
    /// assert_eq!((stats.transactions, stats.rows, stats.reopens), (1, 1, 0));
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn commit_stats(&self) -> CommitStats {
        let (transactions, rows) = self.shared.committer().map_or((0, 0), Committer::totals);
        CommitStats {
            transactions,
            rows,
            reopens: self.shared.reopens(),
        }
    }

    /// Checks every invariant of the file over one snapshot: each row decodes (value, tail,
    /// highlights) and has its time-index and identity entries pointing back; each index entry
    /// points at a row; no tail chunk or highlight list belongs to no row; ids are unique and
    /// below the next id; the row and byte counters add up. Writers are not blocked.
    ///
    /// For redb's own page checksums, open with
    /// [`Options::verify_on_open`](crate::Options::verify_on_open).
    ///
    /// # Errors
    /// Storage errors that stop the walk (a problem found is in the report, not an error).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let store = citail::Store::open(dir.path().join("s.redb"), citail::Options::default())?;
    /// assert!(store.check()?.is_clean());
    /// # Ok::<(), citail::Error>(())
    /// ```
    pub fn check(&self) -> Result<CheckReport> {
        self.check_with_progress(&mut |_| {})
    }

    /// [`Store::check`], calling `progress` with the rows checked so far after each row.
    ///
    /// # Errors
    /// As [`Store::check`].
    pub fn check_with_progress(&self, progress: &mut dyn FnMut(u64)) -> Result<CheckReport> {
        self.shared
            .run("read", |db| check::check(&db.begin_read()?, progress))
    }
}

/// Deletes up to [`PRUNE_BATCH`] rows older than `cutoff` inside `tx`; returns how many.
fn prune_batch(tx: &WriteTransaction, cutoff: u64) -> Result<usize> {
    WriteTables::open(tx)?.delete_expired(cutoff, PRUNE_BATCH)
}
