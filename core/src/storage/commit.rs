//! Group commit: one writer thread per open database turns every ingest that arrives while a
//! commit is in flight into one write transaction and one fsync.
//!
//! Callers prepare their row (validation and the [`Pipeline`](crate::Pipeline)) on their own
//! thread, in parallel, then hand it to [`Committer::submit`]. The writer thread takes the first
//! waiting row and everything queued behind it (at most [`MAX_GROUP_ROWS`]), writes them in one
//! transaction, commits, and only then runs each row's `done` callback.
//!
//! Invariants:
//! - **No early acknowledgement.** A row's `done` runs after the transaction holding it has
//!   committed with the durability the row asked for (a group is durable if any row in it is),
//!   or with the error that stopped it. Nothing else calls `done`.
//! - **Failures stay alone.** If a group's transaction fails, nothing of it is written and each
//!   row is retried in a transaction of its own, so one bad row fails alone and its neighbours
//!   succeed or fail on their own merits.
//! - **The last arrival wins.** Rows are applied in queue order, and a row replaces the stored
//!   row of its step only if its id is larger. Ids are taken in arrival order
//!   ([`Store::ticket`](crate::Store::ticket)), so re-posts of one step end with the last one
//!   posted stored, whatever order the threads preparing them finish in.
//! - **Close drains.** Dropping the [`Committer`] closes the queue; the writer commits what is
//!   queued, runs those callbacks, and exits before the database is closed.

use crate::error::panic_message;
use crate::error::{Error, Result};
use crate::storage::layout::{PackedText, RowValue};
use crate::storage::live::LiveDb;
use crate::storage::tables::{Applied, WriteTables};
use redb::Durability;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::{JoinHandle, ThreadId};

/// Most rows written by one transaction: a bound on the transaction's size (rows are at most
/// [`MAX_INPUT_BYTES_LIMIT`](crate::MAX_INPUT_BYTES_LIMIT) each) and on how long one commit holds
/// the writer.
pub(crate) const MAX_GROUP_ROWS: usize = 256;

/// A prepared row waiting for the writer.
pub(crate) struct PendingRow {
    pub repo: String,
    pub sha: String,
    pub created_at: u64,
    pub id: u64,
    pub value: RowValue,
    /// The tail and highlights, compressed by the ingesting thread.
    pub text: PackedText,
    /// Whether the row's commit must reach the disk before `done` runs.
    pub durable: bool,
}

type Done = Box<dyn FnOnce(Result<Applied>) + Send>;

/// The writer thread of one database and the queue feeding it.
pub(crate) struct Committer {
    queue: Option<Sender<(PendingRow, Done)>>,
    writer: Option<JoinHandle<()>>,
    writer_id: Option<ThreadId>,
    /// What the writer has done so far.
    counters: Arc<Counters>,
}

/// Running totals of the writer: how well group commit is grouping.
#[derive(Default)]
struct Counters {
    /// Groups taken off the queue (a failed group and its retries count once).
    groups: AtomicU64,
    /// Rows in those groups.
    rows: AtomicU64,
}

impl Committer {
    /// Starts the writer thread for `db`.
    ///
    /// # Errors
    /// [`Error::Io`] if the thread cannot be spawned.
    pub(crate) fn start(db: Arc<LiveDb>) -> Result<Committer> {
        let (queue, incoming) = channel();
        let counters = Arc::new(Counters::default());
        let counting = Arc::clone(&counters);
        let writer = std::thread::Builder::new()
            .name("citail-commit".to_owned())
            .spawn(move || run(&db, &incoming, &counting))
            .map_err(Error::Io)?;
        Ok(Committer {
            queue: Some(queue),
            writer_id: Some(writer.thread().id()),
            writer: Some(writer),
            counters,
        })
    }

    /// `(groups, rows)` the writer has taken off the queue so far.
    pub(crate) fn totals(&self) -> (u64, u64) {
        (
            self.counters.groups.load(Ordering::Relaxed),
            self.counters.rows.load(Ordering::Relaxed),
        )
    }

    /// Queues `row`; `done` runs on the writer thread once its transaction has committed (or
    /// failed). If the writer is gone, `done` runs here with [`Error::Storage`] (closed).
    pub(crate) fn submit(
        &self,
        row: PendingRow,
        done: impl FnOnce(Result<Applied>) + Send + 'static,
    ) {
        let Some(queue) = &self.queue else {
            return done(Err(Error::closed()));
        };
        if let Err(std::sync::mpsc::SendError((_, done))) = queue.send((row, Box::new(done))) {
            done(Err(Error::closed()));
        }
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        drop(self.queue.take());
        let Some(writer) = self.writer.take() else {
            return;
        };
        // A `done` callback that drops the last handle runs on the writer itself: it cannot wait
        // for itself, and it exits as soon as that callback returns (the queue is closed).
        if Some(std::thread::current().id()) != self.writer_id {
            let _ = writer.join();
        }
    }
}

/// The writer loop: block for one row, take what queued behind it, commit them together.
fn run(db: &LiveDb, incoming: &Receiver<(PendingRow, Done)>, counters: &Counters) {
    while let Ok(first) = incoming.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP_ROWS {
            match incoming.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        counters.groups.fetch_add(1, Ordering::Relaxed);
        counters
            .rows
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        commit_group(db, group);
    }
}

/// Writes `group` in one transaction, or row by row if that fails, then acknowledges each row.
fn commit_group(db: &LiveDb, group: Vec<(PendingRow, Done)>) {
    let (rows, dones): (Vec<PendingRow>, Vec<Done>) = group.into_iter().unzip();
    let quick_repair = db.quick_repair();
    match db.run("write to", |db| write_guarded(db, &rows, quick_repair)) {
        Ok(applied) => {
            for (done, applied) in dones.into_iter().zip(applied) {
                acknowledge(done, Ok(applied));
            }
        }
        Err(err) if rows.len() == 1 => {
            if let Some(done) = dones.into_iter().next() {
                acknowledge(done, Err(err));
            }
        }
        // Each row again, as a group of one: it lands, or fails with its own error above.
        Err(_) => {
            for one in rows.into_iter().zip(dones) {
                commit_group(db, vec![one]);
            }
        }
    }
}

/// Runs a callback, keeping a panic in it from killing the writer.
fn acknowledge(done: Done, result: Result<Applied>) {
    let _ = catch_unwind(AssertUnwindSafe(move || done(result)));
}

/// [`write`], with a panic inside redb (possible on a damaged file) reported as
/// [`Error::Corrupt`] and the transaction dropped uncommitted.
fn write_guarded(
    db: &redb::Database,
    rows: &[PendingRow],
    quick_repair: bool,
) -> Result<Vec<Applied>> {
    catch_unwind(AssertUnwindSafe(|| write(db, rows, quick_repair))).unwrap_or_else(|panic| {
        Err(Error::corrupt(format!(
            "writing a group of {} rows: {}",
            rows.len(),
            panic_message(&panic)
        )))
    })
}

/// One write transaction holding every row of `rows`, in order; with `quick_repair`, it also
/// records redb's allocator state.
fn write(db: &redb::Database, rows: &[PendingRow], quick_repair: bool) -> Result<Vec<Applied>> {
    let mut tx = db.begin_write()?;
    tx.set_quick_repair(quick_repair);
    if !rows.iter().any(|row| row.durable) {
        tx.set_durability(Durability::None)?;
    }
    let applied = {
        let mut tables = WriteTables::open(&tx)?;
        let mut applied = Vec::with_capacity(rows.len());
        let mut max_id = 0;
        for row in rows {
            applied.push(tables.upsert(
                (&row.repo, &row.sha, row.created_at, row.id),
                &row.value,
                &row.text,
            )?);
            max_id = max_id.max(row.id);
        }
        tables.keep_next_id_above(max_id)?;
        applied
    };
    tx.commit()?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::layout::{ROWS, ZTAILS};
    use redb::{ReadableDatabase, ReadableTableMetadata};
    use std::sync::mpsc::{sync_channel, RecvTimeoutError};
    use std::time::Duration;

    /// A fresh database, and a way to run a transaction on it beside the committer.
    struct Fixture {
        _dir: tempfile::TempDir,
        live: Arc<LiveDb>,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("c.redb");
            let db = redb::Database::create(&path).expect("create");
            let live = Arc::new(LiveDb::new(path, crate::options::Options::default(), db));
            Fixture { _dir: dir, live }
        }

        fn committer(&self) -> Committer {
            Committer::start(Arc::clone(&self.live)).expect("start")
        }

        fn begin_write(&self) -> redb::WriteTransaction {
            self.live
                .run("test", |db| Ok(db.begin_write()?))
                .expect("begin")
        }

        fn rows_in(
            &self,
            table: redb::TableDefinition<
                'static,
                impl redb::Key + 'static,
                impl redb::Value + 'static,
            >,
        ) -> u64 {
            self.live
                .run("test", |db| {
                    Ok(db.begin_read()?.open_table(table)?.len()?)
                })
                .expect("count")
        }
    }

    fn row(id: u64, step: &str) -> PendingRow {
        PendingRow {
            repo: "acme/app".into(),
            sha: "a".repeat(40),
            created_at: 1,
            id,
            value: RowValue {
                run_id: "1".into(),
                job_id: "1".into(),
                step_name: step.into(),
                conclusion: "failure".into(),
                truncated: false,
                original_bytes: 5,
                original_lines: 1,
                tail_bytes: 5,
                extras: crate::storage::layout::RowExtras::default(),
            },
            text: PackedText::pack("boom\n", &[]).expect("pack"),
            durable: true,
        }
    }

    #[test]
    fn rows_queued_behind_a_busy_writer_share_one_commit_and_wait_for_it() {
        let db = Fixture::new();
        let committer = db.committer();
        // Another write transaction holds redb's writer: the committer cannot commit yet.
        let blocker = db.begin_write();
        let (acks, acked) = sync_channel(64);
        for id in 1..=50 {
            let acks = acks.clone();
            committer.submit(row(id, &format!("s{id}")), move |r| {
                acks.send((id, r)).expect("send");
            });
        }
        // Nothing is acknowledged while its commit cannot happen.
        assert!(matches!(
            acked.recv_timeout(Duration::from_millis(100)),
            Err(RecvTimeoutError::Timeout)
        ));
        drop(blocker);
        let mut ids: Vec<u64> = (0..50)
            .map(|_| {
                let (id, result) = acked.recv().expect("ack");
                assert_eq!(
                    result.expect("applied"),
                    Applied {
                        replaced: false,
                        superseded: false
                    }
                );
                id
            })
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=50).collect::<Vec<_>>());
        // The first row may have gone alone before the blocker; the other 49 went together.
        let (groups, rows) = committer.totals();
        assert!(groups <= 2 && rows == 50, "{groups} groups, {rows} rows");
        assert_eq!(db.rows_in(ROWS), 50);
        assert_eq!(db.rows_in(ZTAILS), 50);
    }

    #[test]
    fn a_group_that_fails_is_retried_row_by_row_so_only_the_bad_row_fails() {
        let db = Fixture::new();
        let committer = db.committer();
        let blocker = db.begin_write();
        let (acks, acked) = sync_channel(8);
        // Row 2's step is recorded by hand as stored under a row that does not exist, so
        // replacing it fails (an index points at nothing): the group fails as a whole.
        for (id, step) in [(1, "good-1"), (2, "broken"), (3, "good-3")] {
            let acks = acks.clone();
            committer.submit(row(id, step), move |r| acks.send((id, r)).expect("send"));
        }
        {
            let mut identity = blocker
                .open_table(crate::storage::layout::IDENTITY)
                .expect("identity");
            let sha = "a".repeat(40);
            identity
                .insert(("acme/app", sha.as_str(), "1", "1", "broken"), (1, 0))
                .expect("insert");
        }
        blocker.commit().expect("commit");
        let mut results: Vec<(u64, Result<Applied>)> =
            (0..3).map(|_| acked.recv().expect("ack")).collect();
        results.sort_by_key(|(id, _)| *id);
        let [(_, first), (_, broken), (_, third)] = <[_; 3]>::try_from(results).expect("three");
        assert!(first.is_ok() && third.is_ok(), "{first:?} {third:?}");
        assert!(matches!(broken, Err(Error::Corrupt { .. })), "{broken:?}");
        assert_eq!(db.rows_in(ROWS), 2);
    }

    #[test]
    fn dropping_the_committer_drains_the_queue_first() {
        let db = Fixture::new();
        let committer = db.committer();
        let (acks, acked) = sync_channel(300);
        for id in 1..=300 {
            let acks = acks.clone();
            committer.submit(row(id, &format!("s{id}")), move |r| {
                acks.send(r.is_ok()).expect("send");
            });
        }
        drop(committer);
        assert_eq!(acked.try_iter().filter(|ok| *ok).count(), 300);
        assert_eq!(db.rows_in(ROWS), 300);
    }
}
